-- Devices seen per member through telemetry_id (device fingerprinting).
CREATE TABLE member_devices (
  project_id     TEXT NOT NULL,
  member_id      TEXT NOT NULL,
  visitor_id     TEXT NOT NULL,
  ip_address     TEXT NOT NULL,
  user_agent     TEXT NOT NULL,
  first_seen_at  INTEGER NOT NULL,
  last_seen_at   INTEGER NOT NULL,
  PRIMARY KEY (project_id, member_id, visitor_id)
);
CREATE TABLE member_ip_addresses (
  project_id     TEXT NOT NULL,
  member_id      TEXT NOT NULL,
  ip_address     TEXT NOT NULL,
  first_seen_at  INTEGER NOT NULL,
  last_seen_at   INTEGER NOT NULL,
  PRIMARY KEY (project_id, member_id, ip_address)
);
