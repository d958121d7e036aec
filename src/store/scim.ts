/**
 * @module Storage of SCIM provisioning: connections (tokens as SHA-256 hex only), the users and
 * groups an identity provider pushed, and group membership; written once over the SQL executor.
 * Deprovisioning and reactivation also write the core `members`/`sessions` rows, in the same
 * transaction as the SCIM user, so a member is never left half-deactivated.
 */
import type { EpochMs, Member } from "../domain/types.js";
import type { ScimGroupRoleAssignment } from "../domain/scim.js";
import { rowMappers, type Row } from "./rows.js";
import type { SqlExecutor } from "./sql/executor.js";

export interface ScimConnection {
  projectId: string;
  connectionId: string;
  organizationId: string;
  displayName: string;
  identityProvider: string;
  tokenHash: string;
  tokenLastFour: string;
  /** Set while a token rotation is under way: both tokens are accepted. */
  nextTokenHash: string | null;
  nextTokenLastFour: string;
  groupRoleAssignments: ScimGroupRoleAssignment[];
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface ScimUser {
  connectionId: string;
  memberId: string;
  registrationId: string;
  userName: string;
  externalId: string | null;
  active: boolean;
  /** The SCIM User resource as last written by the identity provider (without id and meta). */
  attributes: Record<string, unknown>;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface ScimGroup {
  connectionId: string;
  groupId: string;
  displayName: string;
  externalId: string | null;
  /** Member ids, in no particular order. */
  memberIds: string[];
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface ScimStore {
  /** Rejects with StoreConflict `scim_connections(organization_id)` when the organization has one. */
  insertConnection(connection: ScimConnection): Promise<void>;
  findConnection(projectId: string, connectionId: string): Promise<ScimConnection | null>;
  findConnectionOfOrganization(projectId: string, organizationId: string): Promise<ScimConnection | null>;
  /** By id alone: the SCIM server knows only the connection id of its URL (the token then proves it). */
  findConnectionById(connectionId: string): Promise<ScimConnection | null>;
  /** Connections of several organizations at once (wire decoration). */
  connectionsOfOrganizations(projectId: string, organizationIds: string[]): Promise<ScimConnection[]>;
  /** Rewrites the mutable fields; false when the connection is gone. */
  updateConnection(connection: ScimConnection): Promise<boolean>;
  /** Deletes the connection with its users, groups and memberships (members stay). */
  deleteConnection(projectId: string, connectionId: string): Promise<boolean>;

  listUsers(connectionId: string): Promise<ScimUser[]>;
  findUser(connectionId: string, memberId: string): Promise<ScimUser | null>;
  /** The SCIM registrations of these members (any connection). */
  usersOfMembers(memberIds: string[]): Promise<ScimUser[]>;
  /** Rejects with StoreConflict `scim_users(connection_id,user_name_normalized)` on a taken userName. */
  insertUser(user: ScimUser): Promise<void>;
  /** Rewrites userName, externalId and attributes (not `active`: see the two below). */
  updateUser(user: ScimUser): Promise<void>;
  /**
   * Deprovisions: the SCIM user inactive, the member deleted with its explicit roles cleared,
   * all its sessions revoked — one transaction. False when the user was already inactive.
   */
  deactivateUser(projectId: string, user: ScimUser, now: EpochMs): Promise<boolean>;
  /** Reactivates: the SCIM user active and the member active again. False when already active. */
  reactivateUser(projectId: string, user: ScimUser, now: EpochMs): Promise<boolean>;
  /** Removes the SCIM user and its group memberships (the member is deactivated first by the caller). */
  deleteUser(connectionId: string, memberId: string): Promise<void>;
  /** The member row whatever its status (a deprovisioned member is `deleted`). */
  findMemberAnyStatus(projectId: string, memberId: string): Promise<Member | null>;

  listGroups(connectionId: string): Promise<ScimGroup[]>;
  /** A page of groups in creation order, after the group `afterGroupId` names (cursor). */
  pageGroups(connectionId: string, afterGroupId: string | null, limit: number): Promise<ScimGroup[]>;
  findGroup(connectionId: string, groupId: string): Promise<ScimGroup | null>;
  insertGroup(group: ScimGroup): Promise<void>;
  /** Rewrites the display name, external id and the whole member list. */
  replaceGroup(group: ScimGroup): Promise<boolean>;
  deleteGroup(connectionId: string, groupId: string): Promise<boolean>;
  /** Ids of the groups (of active SCIM users only) each of these members belongs to. */
  groupIdsOfMembers(memberIds: string[]): Promise<{ memberId: string; connectionId: string; groupId: string }[]>;
}

const placeholders = (count: number): string => Array.from({ length: count }, () => "?").join(", ");

export class SqlScimStore implements ScimStore {
  private readonly fromRow;

  constructor(private readonly sql: SqlExecutor) {
    // The core member row comes back in each dialect's own column types.
    this.fromRow = rowMappers(
      sql.dialect === "postgres"
        ? { bool: (value) => value === true, json: <T>(value: unknown) => (typeof value === "string" ? JSON.parse(value) : value) as T }
        : { bool: (value) => value === 1 || value === 1n, json: <T>(value: unknown) => JSON.parse(String(value)) as T },
    );
  }

  async insertConnection(c: ScimConnection): Promise<void> {
    await this.sql.atomically([
      {
        sql: `INSERT INTO scim_connections (connection_id, project_id, organization_id, display_name, identity_provider, token_hash, token_last_four,
                next_token_hash, next_token_last_four, group_role_assignments, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [c.connectionId, c.projectId, c.organizationId, c.displayName, c.identityProvider, c.tokenHash, c.tokenLastFour,
          c.nextTokenHash, c.nextTokenLastFour, JSON.stringify(c.groupRoleAssignments), c.createdAt, c.updatedAt],
      },
    ], { durable: true });
  }

  async findConnection(projectId: string, connectionId: string): Promise<ScimConnection | null> {
    const rows = await this.sql.query("SELECT * FROM scim_connections WHERE connection_id = ? AND project_id = ?", [connectionId, projectId]);
    return rows[0] ? connectionFromRow(rows[0]) : null;
  }

  async findConnectionById(connectionId: string): Promise<ScimConnection | null> {
    const rows = await this.sql.query("SELECT * FROM scim_connections WHERE connection_id = ?", [connectionId]);
    return rows[0] ? connectionFromRow(rows[0]) : null;
  }

  async findConnectionOfOrganization(projectId: string, organizationId: string): Promise<ScimConnection | null> {
    return (await this.connectionsOfOrganizations(projectId, [organizationId]))[0] ?? null;
  }

  async connectionsOfOrganizations(projectId: string, organizationIds: string[]): Promise<ScimConnection[]> {
    if (organizationIds.length === 0) return [];
    const rows = await this.sql.query(
      `SELECT * FROM scim_connections WHERE project_id = ? AND organization_id IN (${placeholders(organizationIds.length)})`,
      [projectId, ...organizationIds],
    );
    return rows.map(connectionFromRow);
  }

  async updateConnection(c: ScimConnection): Promise<boolean> {
    const result = await this.sql.atomically([
      {
        sql: `UPDATE scim_connections SET display_name = ?, identity_provider = ?, token_hash = ?, token_last_four = ?, next_token_hash = ?,
                next_token_last_four = ?, group_role_assignments = ?, updated_at = ? WHERE connection_id = ? AND project_id = ?`,
        params: [c.displayName, c.identityProvider, c.tokenHash, c.tokenLastFour, c.nextTokenHash, c.nextTokenLastFour,
          JSON.stringify(c.groupRoleAssignments), c.updatedAt, c.connectionId, c.projectId],
        expect: "one",
      },
    ], { durable: true });
    return result.ok;
  }

  async deleteConnection(projectId: string, connectionId: string): Promise<boolean> {
    // Children first: both dialects then work with or without foreign-key enforcement.
    const result = await this.sql.atomically([
      { sql: "DELETE FROM scim_group_members WHERE group_id IN (SELECT group_id FROM scim_groups WHERE connection_id = ?)", params: [connectionId] },
      { sql: "DELETE FROM scim_groups WHERE connection_id = ?", params: [connectionId] },
      { sql: "DELETE FROM scim_users WHERE connection_id = ?", params: [connectionId] },
      { sql: "DELETE FROM scim_connections WHERE connection_id = ? AND project_id = ?", params: [connectionId, projectId], expect: "one" },
    ], { durable: true });
    return result.ok;
  }

  async listUsers(connectionId: string): Promise<ScimUser[]> {
    return (await this.sql.query("SELECT * FROM scim_users WHERE connection_id = ? ORDER BY created_at, member_id", [connectionId])).map(userFromRow);
  }

  async findUser(connectionId: string, memberId: string): Promise<ScimUser | null> {
    const rows = await this.sql.query("SELECT * FROM scim_users WHERE connection_id = ? AND member_id = ?", [connectionId, memberId]);
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async usersOfMembers(memberIds: string[]): Promise<ScimUser[]> {
    if (memberIds.length === 0) return [];
    return (await this.sql.query(`SELECT * FROM scim_users WHERE member_id IN (${placeholders(memberIds.length)})`, memberIds)).map(userFromRow);
  }

  async insertUser(u: ScimUser): Promise<void> {
    await this.sql.atomically([
      {
        sql: `INSERT INTO scim_users (connection_id, member_id, registration_id, user_name_normalized, external_id, active, attributes, created_at, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [u.connectionId, u.memberId, u.registrationId, u.userName.toLowerCase(), u.externalId, u.active ? 1 : 0,
          JSON.stringify(u.attributes), u.createdAt, u.updatedAt],
      },
    ], { durable: true });
  }

  async updateUser(u: ScimUser): Promise<void> {
    await this.sql.atomically([
      {
        sql: "UPDATE scim_users SET user_name_normalized = ?, external_id = ?, attributes = ?, updated_at = ? WHERE connection_id = ? AND member_id = ?",
        params: [u.userName.toLowerCase(), u.externalId, JSON.stringify(u.attributes), u.updatedAt, u.connectionId, u.memberId],
      },
    ], { durable: true });
  }

  async deactivateUser(projectId: string, u: ScimUser, now: EpochMs): Promise<boolean> {
    const result = await this.sql.atomically([
      { sql: "UPDATE scim_users SET active = 0, updated_at = ? WHERE connection_id = ? AND member_id = ? AND active = 1", params: [now, u.connectionId, u.memberId], expect: "one" },
      { sql: "UPDATE members SET status = 'deleted', role_ids = ?, updated_at = ? WHERE project_id = ? AND member_id = ?", params: ["[]", now, projectId, u.memberId] },
      { sql: "UPDATE sessions SET revoked_at = ? WHERE project_id = ? AND member_id = ? AND revoked_at IS NULL", params: [now, projectId, u.memberId] },
    ], { durable: true });
    return result.ok;
  }

  async reactivateUser(projectId: string, u: ScimUser, now: EpochMs): Promise<boolean> {
    const result = await this.sql.atomically([
      { sql: "UPDATE scim_users SET active = 1, updated_at = ? WHERE connection_id = ? AND member_id = ? AND active = 0", params: [now, u.connectionId, u.memberId], expect: "one" },
      { sql: "UPDATE members SET status = 'active', updated_at = ? WHERE project_id = ? AND member_id = ?", params: [now, projectId, u.memberId] },
    ], { durable: true });
    return result.ok;
  }

  async deleteUser(connectionId: string, memberId: string): Promise<void> {
    await this.sql.atomically([
      { sql: "DELETE FROM scim_group_members WHERE member_id = ? AND group_id IN (SELECT group_id FROM scim_groups WHERE connection_id = ?)", params: [memberId, connectionId] },
      { sql: "DELETE FROM scim_users WHERE connection_id = ? AND member_id = ?", params: [connectionId, memberId] },
    ], { durable: true });
  }

  async findMemberAnyStatus(projectId: string, memberId: string): Promise<Member | null> {
    const rows = await this.sql.query("SELECT * FROM members WHERE member_id = ? AND project_id = ?", [memberId, projectId]);
    return rows[0] ? this.fromRow.member(rows[0]) : null;
  }

  async listGroups(connectionId: string): Promise<ScimGroup[]> {
    const rows = await this.sql.query("SELECT * FROM scim_groups WHERE connection_id = ? ORDER BY created_at, group_id", [connectionId]);
    return this.withMembers(rows);
  }

  async pageGroups(connectionId: string, afterGroupId: string | null, limit: number): Promise<ScimGroup[]> {
    const rows = afterGroupId === null
      ? await this.sql.query("SELECT * FROM scim_groups WHERE connection_id = ? ORDER BY created_at, group_id LIMIT ?", [connectionId, limit])
      : await this.sql.query(
        `SELECT g.* FROM scim_groups g JOIN scim_groups a ON a.group_id = ? AND a.connection_id = g.connection_id
         WHERE g.connection_id = ? AND (g.created_at > a.created_at OR (g.created_at = a.created_at AND g.group_id > a.group_id))
         ORDER BY g.created_at, g.group_id LIMIT ?`,
        [afterGroupId, connectionId, limit],
      );
    return this.withMembers(rows);
  }

  async findGroup(connectionId: string, groupId: string): Promise<ScimGroup | null> {
    const rows = await this.sql.query("SELECT * FROM scim_groups WHERE connection_id = ? AND group_id = ?", [connectionId, groupId]);
    return (await this.withMembers(rows))[0] ?? null;
  }

  async insertGroup(g: ScimGroup): Promise<void> {
    await this.sql.atomically([
      {
        sql: "INSERT INTO scim_groups (group_id, connection_id, display_name, external_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        params: [g.groupId, g.connectionId, g.displayName, g.externalId, g.createdAt, g.updatedAt],
      },
      ...g.memberIds.map((memberId) => ({ sql: "INSERT INTO scim_group_members (group_id, member_id) VALUES (?, ?)", params: [g.groupId, memberId] })),
    ], { durable: true });
  }

  async replaceGroup(g: ScimGroup): Promise<boolean> {
    const result = await this.sql.atomically([
      {
        sql: "UPDATE scim_groups SET display_name = ?, external_id = ?, updated_at = ? WHERE connection_id = ? AND group_id = ?",
        params: [g.displayName, g.externalId, g.updatedAt, g.connectionId, g.groupId],
        expect: "one",
      },
      { sql: "DELETE FROM scim_group_members WHERE group_id = ?", params: [g.groupId] },
      ...[...new Set(g.memberIds)].map((memberId) => ({ sql: "INSERT INTO scim_group_members (group_id, member_id) VALUES (?, ?)", params: [g.groupId, memberId] })),
    ], { durable: true });
    return result.ok;
  }

  async deleteGroup(connectionId: string, groupId: string): Promise<boolean> {
    const result = await this.sql.atomically([
      { sql: "DELETE FROM scim_group_members WHERE group_id IN (SELECT group_id FROM scim_groups WHERE connection_id = ? AND group_id = ?)", params: [connectionId, groupId] },
      { sql: "DELETE FROM scim_groups WHERE connection_id = ? AND group_id = ?", params: [connectionId, groupId], expect: "one" },
    ], { durable: true });
    return result.ok;
  }

  async groupIdsOfMembers(memberIds: string[]): Promise<{ memberId: string; connectionId: string; groupId: string }[]> {
    if (memberIds.length === 0) return [];
    const rows = await this.sql.query(
      `SELECT m.member_id, g.connection_id, g.group_id FROM scim_group_members m
       JOIN scim_groups g ON g.group_id = m.group_id
       JOIN scim_users u ON u.connection_id = g.connection_id AND u.member_id = m.member_id AND u.active = 1
       WHERE m.member_id IN (${placeholders(memberIds.length)})`,
      memberIds,
    );
    return rows.map((row) => ({ memberId: String(row.member_id), connectionId: String(row.connection_id), groupId: String(row.group_id) }));
  }

  private async withMembers(rows: Row[]): Promise<ScimGroup[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => String(row.group_id));
    const memberships = await this.sql.query(
      `SELECT group_id, member_id FROM scim_group_members WHERE group_id IN (${placeholders(ids.length)}) ORDER BY member_id`,
      ids,
    );
    const byGroup = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const row of memberships) byGroup.get(String(row.group_id))?.push(String(row.member_id));
    return rows.map((row) => ({
      connectionId: String(row.connection_id),
      groupId: String(row.group_id),
      displayName: String(row.display_name),
      externalId: row.external_id === null ? null : String(row.external_id),
      memberIds: byGroup.get(String(row.group_id)) ?? [],
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    }));
  }
}

function connectionFromRow(row: Row): ScimConnection {
  return {
    projectId: String(row.project_id),
    connectionId: String(row.connection_id),
    organizationId: String(row.organization_id),
    displayName: String(row.display_name),
    identityProvider: String(row.identity_provider),
    tokenHash: String(row.token_hash),
    tokenLastFour: String(row.token_last_four),
    nextTokenHash: row.next_token_hash === null ? null : String(row.next_token_hash),
    nextTokenLastFour: String(row.next_token_last_four),
    groupRoleAssignments: JSON.parse(String(row.group_role_assignments)) as ScimGroupRoleAssignment[],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function userFromRow(row: Row): ScimUser {
  const attributes = JSON.parse(String(row.attributes)) as Record<string, unknown>;
  return {
    connectionId: String(row.connection_id),
    memberId: String(row.member_id),
    registrationId: String(row.registration_id),
    userName: typeof attributes.userName === "string" ? attributes.userName : String(row.user_name_normalized),
    externalId: row.external_id === null ? null : String(row.external_id),
    active: Number(row.active) === 1,
    attributes,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
