-- What logins, MFA and exchange need: intermediate sessions, one-time secrets, passwords, TOTP and
-- recovery codes, failure counters, rate limits, the message outbox, instance secrets. The same
-- step as sqlite/002_authentication.sql: bigint epoch milliseconds, bytea for hashes and keys,
-- json (kept verbatim) for documents. Like SQLite, these tables carry no foreign keys.
CREATE TABLE intermediate_sessions (
  intermediate_session_id  text NOT NULL,
  project_id               text NOT NULL,
  organization_id          text NOT NULL,
  member_id                text NOT NULL,
  token_hash               bytea NOT NULL,
  factors                  json NOT NULL,
  created_at               bigint NOT NULL,
  expires_at               bigint NOT NULL,
  consumed_at              bigint,
  CONSTRAINT intermediate_sessions_pkey PRIMARY KEY (intermediate_session_id),
  CONSTRAINT intermediate_sessions_token_hash UNIQUE (token_hash)
);

CREATE TABLE one_time_secrets (
  secret_id        text NOT NULL,
  project_id       text NOT NULL,
  purpose          text NOT NULL,
  subject          text NOT NULL,
  secret_hash      bytea NOT NULL,
  organization_id  text,
  member_id        text,
  details          json NOT NULL,
  attempts         integer NOT NULL,
  max_attempts     integer NOT NULL,
  created_at       bigint NOT NULL,
  expires_at       bigint NOT NULL,
  consumed_at      bigint,
  CONSTRAINT one_time_secrets_pkey PRIMARY KEY (secret_id)
);
CREATE INDEX one_time_secrets_by_hash ON one_time_secrets (secret_hash);
CREATE INDEX one_time_secrets_by_subject ON one_time_secrets (project_id, purpose, subject, created_at);

CREATE TABLE member_passwords (
  member_id           text NOT NULL,
  project_id          text NOT NULL,
  member_password_id  text NOT NULL,
  password_hash       text NOT NULL,
  updated_at          bigint NOT NULL,
  CONSTRAINT member_passwords_pkey PRIMARY KEY (member_id)
);

CREATE TABLE totp_registrations (
  totp_registration_id  text NOT NULL,
  project_id            text NOT NULL,
  member_id             text NOT NULL,
  sealed_secret         text NOT NULL,
  verified              boolean NOT NULL,
  last_used_step        bigint NOT NULL,
  created_at            bigint NOT NULL,
  expires_at            bigint,
  CONSTRAINT totp_registrations_pkey PRIMARY KEY (totp_registration_id)
);
CREATE INDEX totp_registrations_by_member ON totp_registrations (member_id);

CREATE TABLE recovery_codes (
  recovery_code_id      text NOT NULL,
  project_id            text NOT NULL,
  totp_registration_id  text NOT NULL,
  member_id             text NOT NULL,
  code_hash             bytea NOT NULL,
  consumed_at           bigint,
  CONSTRAINT recovery_codes_pkey PRIMARY KEY (recovery_code_id)
);
CREATE INDEX recovery_codes_by_registration ON recovery_codes (totp_registration_id);
CREATE INDEX recovery_codes_by_member ON recovery_codes (member_id);

CREATE TABLE failure_counters (
  project_id  text NOT NULL,
  key         text NOT NULL,
  count       bigint NOT NULL,
  updated_at  bigint NOT NULL,
  CONSTRAINT failure_counters_pkey PRIMARY KEY (project_id, key)
);

CREATE TABLE rate_limits (
  key           text NOT NULL,
  window_start  bigint NOT NULL,
  count         bigint NOT NULL,
  CONSTRAINT rate_limits_pkey PRIMARY KEY (key)
);

-- seq breaks ties between messages created in the same millisecond (SQLite uses its rowid).
CREATE TABLE outbox_messages (
  seq                bigint GENERATED ALWAYS AS IDENTITY,
  message_id         text NOT NULL,
  project_id         text NOT NULL,
  channel            text NOT NULL,
  recipient          text NOT NULL,
  subject            text NOT NULL,
  body               text NOT NULL,
  html_body          text NOT NULL,
  locale             text NOT NULL,
  magic_links_token  text,
  code               text,
  status             text NOT NULL,
  attempts           integer NOT NULL,
  next_attempt_at    bigint NOT NULL,
  last_error         text NOT NULL,
  created_at         bigint NOT NULL,
  delivered_at       bigint,
  CONSTRAINT outbox_messages_pkey PRIMARY KEY (message_id)
);
-- Workers on every node poll for due messages: a partial index keeps that scan to pending rows.
CREATE INDEX outbox_due ON outbox_messages (next_attempt_at, seq) WHERE status = 'pending';
CREATE INDEX outbox_by_recipient ON outbox_messages (project_id, recipient, created_at);

CREATE TABLE instance_secrets (
  name   text NOT NULL,
  value  bytea NOT NULL,
  CONSTRAINT instance_secrets_pkey PRIMARY KEY (name)
);
