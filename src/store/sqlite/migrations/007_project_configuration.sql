-- Project configuration (the config file, the CLI and the admin API): one settings document per
-- project (JSON; OAuth client secrets inside are sealed), public tokens, and each organization's
-- own custom RBAC roles. `source` tells tokens the config file manages from those made by hand.
CREATE TABLE project_settings (
  project_id TEXT PRIMARY KEY,
  document TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE public_tokens (
  public_token TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX public_tokens_by_project ON public_tokens (project_id, created_at);

CREATE TABLE organization_rbac_roles (
  project_id TEXT NOT NULL,
  organization_id TEXT NOT NULL,
  roles TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, organization_id)
);
