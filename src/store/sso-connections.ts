/**
 * @module Storage of enterprise SSO over the SQL executor: connections (one row each, the
 * kind-specific settings as one JSON document whose secrets are already sealed) and the members'
 * registrations at them (NameID or sub, the raw attributes of the last login).
 */
import type { SsoConnection, SsoConnectionKind, SsoRegistration } from "../domain/sso.js";
import type { Row } from "./rows.js";
import { StoreConflict } from "./store.js";
import type { SqlExecutor } from "./sql/executor.js";

export interface SsoConnectionStore {
  insertConnection(connection: SsoConnection): Promise<void>;
  findConnection(projectId: string, connectionId: string): Promise<SsoConnection | null>;
  /** By id alone: a callback knows only the connection id of its URL (ids are unique across projects). */
  findConnectionById(connectionId: string): Promise<SsoConnection | null>;
  /** The connections of these organizations, oldest first (management lists, wire decoration). */
  connectionsOfOrganizations(projectId: string, organizationIds: string[]): Promise<SsoConnection[]>;
  /** Rewrites the mutable fields; false when the connection is gone. */
  updateConnection(connection: SsoConnection): Promise<boolean>;
  deleteConnection(projectId: string, connectionId: string): Promise<boolean>;
  /** The external connections (of any organization) that log in through this connection. */
  externalConnectionsOnto(projectId: string, connectionId: string): Promise<SsoConnection[]>;

  /**
   * Records a login's registration: a new one, or the existing one of this (connection, external
   * id) moved to this member with the new attributes. Returns the registration as stored.
   */
  upsertRegistration(registration: SsoRegistration): Promise<SsoRegistration>;
  registrationsOfMembers(projectId: string, memberIds: string[]): Promise<SsoRegistration[]>;
  /** Records a SAML assertion id as used; false when it already was (a replay), on any node. */
  useAssertionId(connectionId: string, assertionId: string, expiresAt: number, now: number): Promise<boolean>;
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

  async findConnectionById(connectionId: string): Promise<SsoConnection | null> {
    const rows = await this.sql.query("SELECT * FROM sso_connections WHERE connection_id = ?", [connectionId]);
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

  async upsertRegistration(r: SsoRegistration): Promise<SsoRegistration> {
    await this.sql.atomically([
      {
        sql: `INSERT INTO sso_registrations (registration_id, project_id, connection_id, member_id, external_id, sso_attributes, created_at, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (connection_id, external_id) DO UPDATE SET member_id = excluded.member_id, sso_attributes = excluded.sso_attributes,
                updated_at = excluded.updated_at`,
        params: [r.registrationId, r.projectId, r.connectionId, r.memberId, r.externalId, JSON.stringify(r.ssoAttributes), r.createdAt, r.updatedAt],
      },
    ], { durable: true });
    const rows = await this.sql.query("SELECT * FROM sso_registrations WHERE connection_id = ? AND external_id = ?", [r.connectionId, r.externalId]);
    return registrationFromRow(rows[0]!);
  }

  async registrationsOfMembers(projectId: string, memberIds: string[]): Promise<SsoRegistration[]> {
    if (memberIds.length === 0) return [];
    const rows = await this.sql.query(
      `SELECT * FROM sso_registrations WHERE project_id = ? AND member_id IN (${placeholders(memberIds.length)}) ORDER BY created_at, registration_id`,
      [projectId, ...memberIds],
    );
    return rows.map(registrationFromRow);
  }

  async useAssertionId(connectionId: string, assertionId: string, expiresAt: number, now: number): Promise<boolean> {
    try {
      await this.sql.atomically([
        { sql: "DELETE FROM sso_used_assertions WHERE expires_at < ?", params: [now] },
        { sql: "INSERT INTO sso_used_assertions (connection_id, assertion_id, expires_at) VALUES (?, ?, ?)", params: [connectionId, assertionId, expiresAt] },
      ], { durable: true });
      return true;
    } catch (error) {
      if (error instanceof StoreConflict) return false;
      throw error;
    }
  }
}

function registrationFromRow(row: Row): SsoRegistration {
  return {
    projectId: String(row.project_id),
    registrationId: String(row.registration_id),
    memberId: String(row.member_id),
    connectionId: String(row.connection_id),
    externalId: String(row.external_id),
    ssoAttributes: typeof row.sso_attributes === "string" ? JSON.parse(row.sso_attributes) : (row.sso_attributes as Record<string, unknown>),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
