-- Projects, signing keys, organizations, members, sessions: the same step as sqlite/001_core.sql.
-- Instants are epoch milliseconds in bigint columns. JSON columns are `json`, not `jsonb`: json
-- keeps the text as written, so documents round-trip exactly as they do on SQLite (key order, and
-- "\u0000", which jsonb refuses). Search filters run in the adapter, so no JSON operators are needed.
-- Unique constraints and indexes are named explicitly: the adapter maps a violation to the
-- StoreConflict it means by the constraint name PostgreSQL reports.
CREATE TABLE projects (
  project_id   text NOT NULL,
  environment  text NOT NULL,
  name         text NOT NULL,
  secret_hash  bytea NOT NULL,
  created_at   bigint NOT NULL,
  CONSTRAINT projects_pkey PRIMARY KEY (project_id)
);

CREATE TABLE signing_keys (
  kid              text NOT NULL,
  project_id       text NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
  state            text NOT NULL CHECK (state IN ('next', 'current', 'retired')),
  private_key_pem  text NOT NULL,
  certificate_der  text NOT NULL,
  created_at       bigint NOT NULL,
  activated_at     bigint,
  retired_at       bigint,
  CONSTRAINT signing_keys_pkey PRIMARY KEY (kid)
);
CREATE INDEX signing_keys_by_project ON signing_keys (project_id);

CREATE TABLE organizations (
  seq               bigint GENERATED ALWAYS AS IDENTITY,
  organization_id   text NOT NULL,
  project_id        text NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
  name              text NOT NULL,
  slug              text NOT NULL,
  logo_url          text NOT NULL,
  external_id       text,
  trusted_metadata  json NOT NULL,
  settings          json NOT NULL,
  created_at        bigint NOT NULL,
  updated_at        bigint NOT NULL,
  CONSTRAINT organizations_pkey PRIMARY KEY (seq),
  CONSTRAINT organizations_organization_id UNIQUE (organization_id)
);
CREATE UNIQUE INDEX organizations_slug ON organizations (project_id, slug);
CREATE UNIQUE INDEX organizations_external_id ON organizations (project_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE members (
  seq                        bigint GENERATED ALWAYS AS IDENTITY,
  member_id                  text NOT NULL,
  project_id                 text NOT NULL,
  organization_id            text NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
  email_id                   text NOT NULL,
  email_address              text NOT NULL,
  email_normalized           text NOT NULL,
  email_address_verified     boolean NOT NULL,
  status                     text NOT NULL,
  name                       text NOT NULL,
  external_id                text,
  trusted_metadata           json NOT NULL,
  untrusted_metadata         json NOT NULL,
  is_breakglass              boolean NOT NULL,
  mfa_enrolled               boolean NOT NULL,
  mfa_phone_number           text NOT NULL,
  mfa_phone_number_verified  boolean NOT NULL,
  default_mfa_method         text NOT NULL,
  totp_registration_id       text NOT NULL,
  member_password_id         text NOT NULL,
  role_ids                   json NOT NULL,
  created_at                 bigint NOT NULL,
  updated_at                 bigint NOT NULL,
  CONSTRAINT members_pkey PRIMARY KEY (seq),
  CONSTRAINT members_member_id UNIQUE (member_id)
);
-- An email (compared lower-cased) and an external id are unique per organization among members
-- that are not deleted, so deleting a member frees both.
CREATE UNIQUE INDEX members_email ON members (organization_id, email_normalized) WHERE status <> 'deleted';
CREATE UNIQUE INDEX members_external_id ON members (organization_id, external_id) WHERE status <> 'deleted' AND external_id IS NOT NULL;
-- The same person across organizations (exchange, discovery) is found by email.
CREATE INDEX members_by_email ON members (project_id, email_normalized);

CREATE TABLE sessions (
  session_id        text NOT NULL,
  project_id        text NOT NULL,
  organization_id   text NOT NULL,
  member_id         text NOT NULL,
  token_hash        bytea NOT NULL,
  started_at        bigint NOT NULL,
  last_accessed_at  bigint NOT NULL,
  expires_at        bigint NOT NULL,
  revoked_at        bigint,
  factors           json NOT NULL,
  custom_claims     json NOT NULL,
  roles             json NOT NULL,
  CONSTRAINT sessions_pkey PRIMARY KEY (session_id),
  CONSTRAINT sessions_token_hash UNIQUE (token_hash)
);
CREATE INDEX sessions_by_member ON sessions (member_id);
