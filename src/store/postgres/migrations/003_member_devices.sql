-- Devices and IP addresses seen per member through telemetry_id (device fingerprinting); the
-- same step as sqlite/003_member_devices.sql.
CREATE TABLE member_devices (
  project_id     text NOT NULL,
  member_id      text NOT NULL,
  visitor_id     text NOT NULL,
  ip_address     text NOT NULL,
  user_agent     text NOT NULL,
  first_seen_at  bigint NOT NULL,
  last_seen_at   bigint NOT NULL,
  CONSTRAINT member_devices_pkey PRIMARY KEY (project_id, member_id, visitor_id)
);

CREATE TABLE member_ip_addresses (
  project_id     text NOT NULL,
  member_id      text NOT NULL,
  ip_address     text NOT NULL,
  first_seen_at  bigint NOT NULL,
  last_seen_at   bigint NOT NULL,
  CONSTRAINT member_ip_addresses_pkey PRIMARY KEY (project_id, member_id, ip_address)
);
