/**
 * @module Storage of project configuration over the dialect-neutral SQL executor: each project's
 * settings document, its public tokens, and organizations' own RBAC roles.
 */
import type { SqlExecutor } from "./sql/executor.js";

export type PublicTokenSource = "config_file" | "api";

export interface StoredPublicToken {
  publicToken: string;
  projectId: string;
  source: PublicTokenSource;
  createdAt: number;
}

export interface ProjectConfigurationStore {
  /** The settings document (JSON text) of a project, or null when it has none. */
  readSettings(projectId: string): Promise<string | null>;
  writeSettings(projectId: string, document: string, now: number): Promise<void>;
  findPublicToken(publicToken: string): Promise<StoredPublicToken | null>;
  listPublicTokens(projectId: string): Promise<StoredPublicToken[]>;
  /** Inserts the token unless it exists; false when it belongs to another project. */
  insertPublicToken(token: StoredPublicToken): Promise<boolean>;
  deletePublicToken(projectId: string, publicToken: string): Promise<boolean>;
  /** Deletes the project's config-file tokens that are not in `keep`. */
  prunePublicTokens(projectId: string, source: PublicTokenSource, keep: string[]): Promise<void>;
  readOrganizationRoles(projectId: string, organizationId: string): Promise<string | null>;
  writeOrganizationRoles(projectId: string, organizationId: string, roles: string, now: number): Promise<void>;
}

function tokenFromRow(row: Record<string, unknown>): StoredPublicToken {
  return {
    publicToken: String(row.public_token),
    projectId: String(row.project_id),
    source: String(row.source) as PublicTokenSource,
    createdAt: Number(row.created_at),
  };
}

export class SqlProjectConfigurationStore implements ProjectConfigurationStore {
  constructor(private readonly sql: SqlExecutor) {}

  async readSettings(projectId: string): Promise<string | null> {
    const rows = await this.sql.query("SELECT document FROM project_settings WHERE project_id = ?", [projectId]);
    return rows[0] ? String(rows[0].document) : null;
  }

  async writeSettings(projectId: string, document: string, now: number): Promise<void> {
    await this.sql.atomically(
      [
        {
          sql:
            "INSERT INTO project_settings (project_id, document, updated_at) VALUES (?, ?, ?) " +
            "ON CONFLICT (project_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
          params: [projectId, document, now],
        },
      ],
      { durable: true },
    );
  }

  async findPublicToken(publicToken: string): Promise<StoredPublicToken | null> {
    const rows = await this.sql.query("SELECT public_token, project_id, source, created_at FROM public_tokens WHERE public_token = ?", [publicToken]);
    return rows[0] ? tokenFromRow(rows[0]) : null;
  }

  async listPublicTokens(projectId: string): Promise<StoredPublicToken[]> {
    const rows = await this.sql.query(
      "SELECT public_token, project_id, source, created_at FROM public_tokens WHERE project_id = ? ORDER BY created_at, public_token",
      [projectId],
    );
    return rows.map(tokenFromRow);
  }

  async insertPublicToken(token: StoredPublicToken): Promise<boolean> {
    await this.sql.atomically(
      [
        {
          sql: "INSERT INTO public_tokens (public_token, project_id, source, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (public_token) DO NOTHING",
          params: [token.publicToken, token.projectId, token.source, token.createdAt],
        },
      ],
      { durable: true },
    );
    return (await this.findPublicToken(token.publicToken))?.projectId === token.projectId;
  }

  async deletePublicToken(projectId: string, publicToken: string): Promise<boolean> {
    const result = await this.sql.atomically(
      [{ sql: "DELETE FROM public_tokens WHERE project_id = ? AND public_token = ?", params: [projectId, publicToken], expect: "one" }],
      { durable: true },
    );
    return result.ok;
  }

  async prunePublicTokens(projectId: string, source: PublicTokenSource, keep: string[]): Promise<void> {
    const stale = (await this.listPublicTokens(projectId)).filter((token) => token.source === source && !keep.includes(token.publicToken));
    if (stale.length === 0) return;
    await this.sql.atomically(
      stale.map((token) => ({ sql: "DELETE FROM public_tokens WHERE project_id = ? AND public_token = ?", params: [projectId, token.publicToken] })),
      { durable: true },
    );
  }

  async readOrganizationRoles(projectId: string, organizationId: string): Promise<string | null> {
    const rows = await this.sql.query("SELECT roles FROM organization_rbac_roles WHERE project_id = ? AND organization_id = ?", [projectId, organizationId]);
    return rows[0] ? String(rows[0].roles) : null;
  }

  async writeOrganizationRoles(projectId: string, organizationId: string, roles: string, now: number): Promise<void> {
    await this.sql.atomically(
      [
        {
          sql:
            "INSERT INTO organization_rbac_roles (project_id, organization_id, roles, updated_at) VALUES (?, ?, ?, ?) " +
            "ON CONFLICT (project_id, organization_id) DO UPDATE SET roles = excluded.roles, updated_at = excluded.updated_at",
          params: [projectId, organizationId, roles, now],
        },
      ],
      { durable: true },
    );
  }
}
