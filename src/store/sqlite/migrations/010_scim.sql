-- SCIM provisioning: one connection per organization (bearer tokens kept only as SHA-256 hex),
-- the users and groups an identity provider pushed through it, and group membership. Instants
-- are epoch milliseconds. The same step as postgres/010_scim.sql.
CREATE TABLE scim_connections (
  connection_id             TEXT PRIMARY KEY,
  project_id                TEXT NOT NULL,
  organization_id           TEXT NOT NULL UNIQUE REFERENCES organizations(organization_id) ON DELETE CASCADE,
  display_name              TEXT NOT NULL,
  identity_provider         TEXT NOT NULL,
  token_hash                TEXT NOT NULL,
  token_last_four           TEXT NOT NULL,
  next_token_hash           TEXT,
  next_token_last_four      TEXT NOT NULL,
  group_role_assignments    TEXT NOT NULL,
  created_at                INTEGER NOT NULL,
  updated_at                INTEGER NOT NULL
);

-- A SCIM User is a member; its SCIM id is the member id.
CREATE TABLE scim_users (
  connection_id             TEXT NOT NULL REFERENCES scim_connections(connection_id) ON DELETE CASCADE,
  member_id                 TEXT NOT NULL,
  registration_id           TEXT NOT NULL UNIQUE,
  user_name_normalized      TEXT NOT NULL,
  external_id               TEXT,
  active                    INTEGER NOT NULL,
  attributes                TEXT NOT NULL,
  created_at                INTEGER NOT NULL,
  updated_at                INTEGER NOT NULL,
  PRIMARY KEY (connection_id, member_id)
);
CREATE UNIQUE INDEX scim_users_user_name ON scim_users (connection_id, user_name_normalized);
CREATE INDEX scim_users_by_member ON scim_users (member_id);

CREATE TABLE scim_groups (
  group_id                  TEXT PRIMARY KEY,
  connection_id             TEXT NOT NULL REFERENCES scim_connections(connection_id) ON DELETE CASCADE,
  display_name              TEXT NOT NULL,
  external_id               TEXT,
  created_at                INTEGER NOT NULL,
  updated_at                INTEGER NOT NULL
);
CREATE INDEX scim_groups_by_connection ON scim_groups (connection_id, created_at, group_id);

CREATE TABLE scim_group_members (
  group_id                  TEXT NOT NULL REFERENCES scim_groups(group_id) ON DELETE CASCADE,
  member_id                 TEXT NOT NULL,
  PRIMARY KEY (group_id, member_id)
);
CREATE INDEX scim_group_members_by_member ON scim_group_members (member_id);
