-- What logins, MFA and exchange need: intermediate sessions, one-time secrets, passwords,
-- TOTP and recovery codes, failure counters, rate limits, the message outbox, instance secrets.
CREATE TABLE intermediate_sessions (
  intermediate_session_id  TEXT PRIMARY KEY,
  project_id               TEXT NOT NULL,
  organization_id          TEXT NOT NULL,
  member_id                TEXT NOT NULL,
  token_hash               BLOB NOT NULL UNIQUE,
  factors                  TEXT NOT NULL,
  created_at               INTEGER NOT NULL,
  expires_at               INTEGER NOT NULL,
  consumed_at              INTEGER
);

CREATE TABLE one_time_secrets (
  secret_id        TEXT PRIMARY KEY,
  project_id       TEXT NOT NULL,
  purpose          TEXT NOT NULL,
  subject          TEXT NOT NULL,
  secret_hash      BLOB NOT NULL,
  organization_id  TEXT,
  member_id        TEXT,
  details          TEXT NOT NULL,
  attempts         INTEGER NOT NULL,
  max_attempts     INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  consumed_at      INTEGER
);
CREATE INDEX one_time_secrets_by_hash ON one_time_secrets (secret_hash);
CREATE INDEX one_time_secrets_by_subject ON one_time_secrets (project_id, purpose, subject, created_at);

CREATE TABLE member_passwords (
  member_id           TEXT PRIMARY KEY,
  project_id          TEXT NOT NULL,
  member_password_id  TEXT NOT NULL,
  password_hash       TEXT NOT NULL,
  updated_at          INTEGER NOT NULL
);

CREATE TABLE totp_registrations (
  totp_registration_id  TEXT PRIMARY KEY,
  project_id            TEXT NOT NULL,
  member_id             TEXT NOT NULL,
  sealed_secret         TEXT NOT NULL,
  verified              INTEGER NOT NULL,
  last_used_step        INTEGER NOT NULL,
  created_at            INTEGER NOT NULL,
  expires_at            INTEGER
);
CREATE INDEX totp_registrations_by_member ON totp_registrations (member_id);

CREATE TABLE recovery_codes (
  recovery_code_id      TEXT PRIMARY KEY,
  project_id            TEXT NOT NULL,
  totp_registration_id  TEXT NOT NULL,
  member_id             TEXT NOT NULL,
  code_hash             BLOB NOT NULL,
  consumed_at           INTEGER
);
CREATE INDEX recovery_codes_by_registration ON recovery_codes (totp_registration_id);

CREATE TABLE failure_counters (
  project_id  TEXT NOT NULL,
  key         TEXT NOT NULL,
  count       INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (project_id, key)
);

CREATE TABLE rate_limits (
  key           TEXT PRIMARY KEY,
  window_start  INTEGER NOT NULL,
  count         INTEGER NOT NULL
);

CREATE TABLE outbox_messages (
  message_id         TEXT PRIMARY KEY,
  project_id         TEXT NOT NULL,
  channel            TEXT NOT NULL,
  recipient          TEXT NOT NULL,
  subject            TEXT NOT NULL,
  body               TEXT NOT NULL,
  html_body          TEXT NOT NULL,
  locale             TEXT NOT NULL,
  magic_links_token  TEXT,
  code               TEXT,
  status             TEXT NOT NULL,
  attempts           INTEGER NOT NULL,
  next_attempt_at    INTEGER NOT NULL,
  last_error         TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  delivered_at       INTEGER
);
CREATE INDEX outbox_due ON outbox_messages (status, next_attempt_at);
CREATE INDEX outbox_by_recipient ON outbox_messages (project_id, recipient, created_at);

CREATE TABLE instance_secrets (
  name        TEXT PRIMARY KEY,
  value       BLOB NOT NULL
);
