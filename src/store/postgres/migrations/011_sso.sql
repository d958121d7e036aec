-- Enterprise SSO connections (SAML, OIDC, external). The kind-specific settings are one JSON
-- document (the domain's SamlSettings / OidcSettings / ExternalSettings); secrets inside it
-- (SP signing key, encryption keys, OIDC client secret) are sealed before they get here.
-- Instants are epoch milliseconds. The same step as sqlite/011_sso.sql.
CREATE TABLE sso_connections (
  connection_id             TEXT PRIMARY KEY,
  project_id                TEXT NOT NULL,
  organization_id           TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
  kind                      TEXT NOT NULL,
  display_name              TEXT NOT NULL,
  identity_provider         TEXT NOT NULL,
  settings                  TEXT NOT NULL,
  created_at                BIGINT NOT NULL,
  updated_at                BIGINT NOT NULL
);
CREATE INDEX sso_connections_by_organization ON sso_connections (project_id, organization_id, created_at);

-- A member's identity at a connection's IdP (NameID or sub), with the raw attributes of its last
-- login (groups among them: they decide the connection's group roles in sessions it mints).
CREATE TABLE sso_registrations (
  registration_id           TEXT PRIMARY KEY,
  project_id                TEXT NOT NULL,
  connection_id             TEXT NOT NULL REFERENCES sso_connections(connection_id) ON DELETE CASCADE,
  member_id                 TEXT NOT NULL,
  external_id               TEXT NOT NULL,
  sso_attributes            TEXT NOT NULL,
  created_at                BIGINT NOT NULL,
  updated_at                BIGINT NOT NULL,
  UNIQUE (connection_id, external_id)
);
CREATE INDEX sso_registrations_by_member ON sso_registrations (project_id, member_id);

-- SAML assertion ids already accepted (replay cache, shared by every node), kept until the
-- assertion could no longer be accepted anyway.
CREATE TABLE sso_used_assertions (
  connection_id             TEXT NOT NULL,
  assertion_id              TEXT NOT NULL,
  expires_at                BIGINT NOT NULL,
  PRIMARY KEY (connection_id, assertion_id)
);
