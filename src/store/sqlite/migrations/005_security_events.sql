-- The security audit trail: every authentication, exchange, step-up, revocation and refusal.
CREATE TABLE security_events (
  seq                     INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id                TEXT NOT NULL UNIQUE,
  project_id              TEXT NOT NULL,
  request_id              TEXT NOT NULL,
  kind                    TEXT NOT NULL,
  outcome                 TEXT NOT NULL,
  reason                  TEXT NOT NULL,
  route                   TEXT NOT NULL,
  organization_id         TEXT NOT NULL,
  member_id               TEXT NOT NULL,
  session_id_hash         TEXT NOT NULL,
  ip_address              TEXT NOT NULL,
  user_agent              TEXT NOT NULL,
  created_at              INTEGER NOT NULL
);
CREATE INDEX security_events_by_project ON security_events (project_id, seq);
