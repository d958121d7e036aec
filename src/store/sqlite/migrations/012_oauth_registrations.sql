-- OAuth logins (docs/oauth.md): one row per member and provider account. Provider tokens are
-- sealed with the installation's sealing key (sealed-box), never stored in the clear; scopes
-- and tenant ids are JSON lists.
CREATE TABLE oauth_registrations (
  project_id               TEXT NOT NULL,
  registration_id          TEXT NOT NULL,
  organization_id          TEXT NOT NULL,
  member_id                TEXT NOT NULL,
  provider                 TEXT NOT NULL,
  provider_subject         TEXT NOT NULL,
  provider_tenant_ids      TEXT NOT NULL,
  profile_picture_url      TEXT NOT NULL,
  locale                   TEXT NOT NULL,
  scopes                   TEXT NOT NULL,
  sealed_tokens            TEXT NOT NULL,
  access_token_expires_at  BIGINT,
  created_at               BIGINT NOT NULL,
  updated_at               BIGINT NOT NULL,
  PRIMARY KEY (project_id, registration_id)
);
CREATE UNIQUE INDEX oauth_registrations_by_member ON oauth_registrations (project_id, member_id, provider, provider_subject);
