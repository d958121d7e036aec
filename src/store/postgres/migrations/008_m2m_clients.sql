-- M2M clients (docs/m2m.md); the same step as sqlite/008_m2m_clients.sql. Secrets are kept only as keyed hashes (hex HMAC-SHA256 under the
-- installation's code key); during a rotation both the current and the next hash verify.
-- scopes is the JSON list in the client's order; m2m_client_scopes indexes it for search.
CREATE TABLE m2m_clients (
  project_id             TEXT NOT NULL,
  client_id              TEXT NOT NULL,
  client_name            TEXT NOT NULL,
  client_description     TEXT NOT NULL,
  status                 TEXT NOT NULL,
  scopes                 TEXT NOT NULL,
  trusted_metadata       TEXT NOT NULL,
  secret_hash            TEXT NOT NULL,
  secret_last_four       TEXT NOT NULL,
  next_secret_hash       TEXT,
  next_secret_last_four  TEXT,
  created_at             BIGINT NOT NULL,
  updated_at             BIGINT NOT NULL,
  PRIMARY KEY (project_id, client_id)
);
CREATE INDEX m2m_clients_by_name ON m2m_clients (project_id, client_name, client_id);
CREATE TABLE m2m_client_scopes (
  project_id  TEXT NOT NULL,
  scope       TEXT NOT NULL,
  client_id   TEXT NOT NULL,
  PRIMARY KEY (project_id, scope, client_id)
);
CREATE INDEX m2m_client_scopes_by_client ON m2m_client_scopes (project_id, client_id);
