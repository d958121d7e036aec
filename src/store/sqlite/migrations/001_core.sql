-- Projects, signing keys, organizations, members, sessions. Instants are epoch milliseconds.
CREATE TABLE projects (
  project_id   TEXT PRIMARY KEY,
  environment  TEXT NOT NULL,
  name         TEXT NOT NULL,
  secret_hash  BLOB NOT NULL,
  created_at   INTEGER NOT NULL
);

CREATE TABLE signing_keys (
  kid              TEXT PRIMARY KEY,
  project_id       TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
  state            TEXT NOT NULL CHECK (state IN ('next', 'current', 'retired')),
  private_key_pem  TEXT NOT NULL,
  certificate_der  TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  activated_at     INTEGER,
  retired_at       INTEGER
);
CREATE INDEX signing_keys_by_project ON signing_keys (project_id);

CREATE TABLE organizations (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  organization_id   TEXT NOT NULL UNIQUE,
  project_id        TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
  name              TEXT NOT NULL,
  slug              TEXT NOT NULL,
  logo_url          TEXT NOT NULL,
  external_id       TEXT,
  trusted_metadata  TEXT NOT NULL,
  settings          TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX organizations_slug ON organizations (project_id, slug);
CREATE UNIQUE INDEX organizations_external_id ON organizations (project_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE members (
  seq                        INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id                  TEXT NOT NULL UNIQUE,
  project_id                 TEXT NOT NULL,
  organization_id            TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
  email_id                   TEXT NOT NULL,
  email_address              TEXT NOT NULL,
  email_normalized           TEXT NOT NULL,
  email_address_verified     INTEGER NOT NULL,
  status                     TEXT NOT NULL,
  name                       TEXT NOT NULL,
  external_id                TEXT,
  trusted_metadata           TEXT NOT NULL,
  untrusted_metadata         TEXT NOT NULL,
  is_breakglass              INTEGER NOT NULL,
  mfa_enrolled               INTEGER NOT NULL,
  mfa_phone_number           TEXT NOT NULL,
  mfa_phone_number_verified  INTEGER NOT NULL,
  default_mfa_method         TEXT NOT NULL,
  totp_registration_id       TEXT NOT NULL,
  member_password_id         TEXT NOT NULL,
  role_ids                   TEXT NOT NULL,
  created_at                 INTEGER NOT NULL,
  updated_at                 INTEGER NOT NULL
);
CREATE UNIQUE INDEX members_email ON members (organization_id, email_normalized) WHERE status <> 'deleted';
CREATE UNIQUE INDEX members_external_id ON members (organization_id, external_id) WHERE status <> 'deleted' AND external_id IS NOT NULL;
-- The same person across organizations (exchange, discovery) is found by email.
CREATE INDEX members_by_email ON members (project_id, email_normalized);

CREATE TABLE sessions (
  session_id        TEXT PRIMARY KEY,
  project_id        TEXT NOT NULL,
  organization_id   TEXT NOT NULL,
  member_id         TEXT NOT NULL,
  token_hash        BLOB NOT NULL UNIQUE,
  started_at        INTEGER NOT NULL,
  last_accessed_at  INTEGER NOT NULL,
  expires_at        INTEGER NOT NULL,
  revoked_at        INTEGER,
  factors           TEXT NOT NULL,
  custom_claims     TEXT NOT NULL,
  roles             TEXT NOT NULL
);
CREATE INDEX sessions_by_member ON sessions (member_id);
