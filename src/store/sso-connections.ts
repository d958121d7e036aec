/**
 * @module Storage of enterprise SSO connections over the SQL executor: one row per connection,
 * its kind-specific settings as one JSON document (secrets in it are already sealed).
 */
import type { SsoConnection, SsoConnectionKind } from "../domain/sso.js";
import type { Row } from "./rows.js";
import type { SqlExecutor } from "./sql/executor.js";

export interface SsoConnectionStore {
  insertConnection(connection: SsoConnection): Promise<void>;
  findConnection(projectId: string, connectionId: string): Promise<SsoConnection | null>;
  /** The connections of these organizations, oldest first (management lists, wire decoration). */
  connectionsOfOrganizations(projectId: string, organizationIds: string[]): Promise<SsoConnection[]>;
  /** Rewrites the mutable fields; false when the connection is gone. */
  updateConnection(connection: SsoConnection): Promise<boolean>;
  deleteConnection(projectId: string, connectionId: string): Promise<boolean>;
  /** The external connections (of any organization) that log in through this connection. */
  externalConnectionsOnto(projectId: string, connectionId: string): Promise<SsoConnection[]>;
}

const placeholders = (count: number): string => Array.from({ length: count }, () => "?").join(", ");

function settingsOf(connection: SsoConnection): string {
  return JSON.stringify(connection.saml ?? connection.oidc ?? connection.external);
}

function connectionFromRow(row: Row): SsoConnection {
  const kind = String(row.kind) as SsoConnectionKind;
  const settings = typeof row.settings === "string" ? JSON.parse(row.settings) : row.settings;
  return {
    projectId: String(row.project_id),
    organizationId: String(row.organization_id),
    connectionId: String(row.connection_id),
    kind,
    displayName: String(row.display_name),
    identityProvider: String(row.identity_provider),
    [kind]: settings,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export class SqlSsoConnectionStore implements SsoConnectionStore {
  constructor(private readonly sql: SqlExecutor) {}

  async insertConnection(c: SsoConnection): Promise<void> {
    await this.sql.atomically([
      {
        sql: `INSERT INTO sso_connections (connection_id, project_id, organization_id, kind, display_name, identity_provider, settings, created_at, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [c.connectionId, c.projectId, c.organizationId, c.kind, c.displayName, c.identityProvider, settingsOf(c), c.createdAt, c.updatedAt],
      },
    ], { durable: true });
  }

  async findConnection(projectId: string, connectionId: string): Promise<SsoConnection | null> {
    const rows = await this.sql.query("SELECT * FROM sso_connections WHERE connection_id = ? AND project_id = ?", [connectionId, projectId]);
    return rows[0] ? connectionFromRow(rows[0]) : null;
  }

  async connectionsOfOrganizations(projectId: string, organizationIds: string[]): Promise<SsoConnection[]> {
    if (organizationIds.length === 0) return [];
    const rows = await this.sql.query(
      `SELECT * FROM sso_connections WHERE project_id = ? AND organization_id IN (${placeholders(organizationIds.length)}) ORDER BY created_at, connection_id`,
      [projectId, ...organizationIds],
    );
    return rows.map(connectionFromRow);
  }

  async updateConnection(c: SsoConnection): Promise<boolean> {
    const result = await this.sql.atomically([
      {
        sql: "UPDATE sso_connections SET display_name = ?, identity_provider = ?, settings = ?, updated_at = ? WHERE connection_id = ? AND project_id = ?",
        params: [c.displayName, c.identityProvider, settingsOf(c), c.updatedAt, c.connectionId, c.projectId],
        expect: "one",
      },
    ], { durable: true });
    return result.ok;
  }

  async deleteConnection(projectId: string, connectionId: string): Promise<boolean> {
    const result = await this.sql.atomically([
      { sql: "DELETE FROM sso_connections WHERE connection_id = ? AND project_id = ?", params: [connectionId, projectId], expect: "one" },
    ], { durable: true });
    return result.ok;
  }

  async externalConnectionsOnto(projectId: string, connectionId: string): Promise<SsoConnection[]> {
    const rows = await this.sql.query("SELECT * FROM sso_connections WHERE project_id = ? AND kind = 'external' ORDER BY created_at, connection_id", [projectId]);
    return rows.map(connectionFromRow).filter((c) => c.external!.externalConnectionId === connectionId);
  }
}
