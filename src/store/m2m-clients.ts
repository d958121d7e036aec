/**
 * @module Storage of M2M clients over the dialect-neutral SQL executor: one row per client (its
 * scopes as JSON, its secrets as keyed hashes) plus one index row per scope, written together so
 * search by scope is an index probe. Rotation steps are guarded updates, so two concurrent
 * rotations cannot both start (or both complete).
 */
import type { M2mClientStatus, M2mSearchQuery } from "../domain/m2m.js";
import type { SqlExecutor, SqlStatement, SqlValue } from "./sql/executor.js";

export interface M2mClientRecord {
  projectId: string;
  clientId: string;
  clientName: string;
  clientDescription: string;
  status: M2mClientStatus;
  scopes: string[];
  trustedMetadata: Record<string, unknown>;
  /** Hex keyed hash of the current secret. */
  secretHash: string;
  secretLastFour: string;
  /** Hex keyed hash of the secret being rotated in, null when no rotation is under way. */
  nextSecretHash: string | null;
  nextSecretLastFour: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The fields `update` may change; secrets change only through the rotation steps. */
export type M2mClientChanges = Pick<M2mClientRecord, "clientName" | "clientDescription" | "status" | "scopes" | "trustedMetadata" | "updatedAt">;

export type RotationOutcome = "ok" | "not_found" | "already_rotating" | "not_rotating";

export interface M2mClientPage {
  items: M2mClientRecord[];
  total: number;
  /** The last client id of this page when more follow, null otherwise. */
  lastClientId: string | null;
}

export interface M2mClientStore {
  /** Rejects with StoreConflict("m2m_clients(project_id,client_id)") when the id is taken. */
  insert(client: M2mClientRecord): Promise<void>;
  find(projectId: string, clientId: string): Promise<M2mClientRecord | null>;
  /** False when the client does not exist. */
  update(projectId: string, clientId: string, changes: M2mClientChanges): Promise<boolean>;
  delete(projectId: string, clientId: string): Promise<boolean>;
  startRotation(projectId: string, clientId: string, nextSecretHash: string, nextSecretLastFour: string, now: number): Promise<RotationOutcome>;
  /** The next secret becomes the current one; the old one stops verifying. */
  completeRotation(projectId: string, clientId: string, now: number): Promise<RotationOutcome>;
  cancelRotation(projectId: string, clientId: string, now: number): Promise<RotationOutcome>;
  /** Clients matching `query`, ordered by client id, after `afterClientId`. */
  search(projectId: string, query: M2mSearchQuery | null, afterClientId: string | null, limit: number): Promise<M2mClientPage>;
}

const COLUMNS =
  "project_id, client_id, client_name, client_description, status, scopes, trusted_metadata, secret_hash, secret_last_four, next_secret_hash, next_secret_last_four, created_at, updated_at";

function toRecord(row: Record<string, unknown>): M2mClientRecord {
  return {
    projectId: String(row.project_id),
    clientId: String(row.client_id),
    clientName: String(row.client_name),
    clientDescription: String(row.client_description),
    status: row.status === "inactive" ? "inactive" : "active",
    scopes: JSON.parse(String(row.scopes)) as string[],
    trustedMetadata: JSON.parse(String(row.trusted_metadata)) as Record<string, unknown>,
    secretHash: String(row.secret_hash),
    secretLastFour: String(row.secret_last_four),
    nextSecretHash: row.next_secret_hash === null || row.next_secret_hash === undefined ? null : String(row.next_secret_hash),
    nextSecretLastFour: row.next_secret_last_four === null || row.next_secret_last_four === undefined ? null : String(row.next_secret_last_four),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

const placeholders = (count: number): string => Array.from({ length: count }, () => "?").join(", ");

function scopeRows(projectId: string, clientId: string, scopes: string[]): SqlStatement[] {
  return scopes.map((scope) => ({
    sql: "INSERT INTO m2m_client_scopes (project_id, scope, client_id) VALUES (?, ?, ?)",
    params: [projectId, scope, clientId],
  }));
}

/**
 * The WHERE condition of a search query (after `c.project_id = ?`), with its parameters. Each
 * operand is the set of client ids one index gives (the primary key, the name index, the scope
 * index); the sets are combined with INTERSECT (AND) or UNION (OR), and the clients are then read
 * by primary key, so a query costs what it matches, not what the project holds.
 */
function condition(projectId: string, query: M2mSearchQuery | null): { sql: string; params: SqlValue[] } {
  if (!query || query.operands.length === 0) return { sql: "1 = 1", params: [] };
  const sets: string[] = [];
  const params: SqlValue[] = [];
  for (const operand of query.operands) {
    const list = placeholders(operand.values.length);
    switch (operand.filterName) {
      case "client_id":
        sets.push(`SELECT client_id FROM m2m_clients WHERE project_id = ? AND client_id IN (${list})`);
        break;
      case "client_name":
        sets.push(`SELECT client_id FROM m2m_clients WHERE project_id = ? AND client_name IN (${list})`);
        break;
      case "scopes":
        // Any of the scopes.
        sets.push(`SELECT client_id FROM m2m_client_scopes WHERE project_id = ? AND scope IN (${list})`);
        break;
    }
    params.push(projectId, ...operand.values);
  }
  return { sql: `c.client_id IN (${sets.join(query.operator === "OR" ? " UNION " : " INTERSECT ")})`, params };
}

/** The page query of a search: exported so the contract can check its query plan. */
export function searchPageStatement(projectId: string, query: M2mSearchQuery | null, afterClientId: string | null, limit: number): { sql: string; params: SqlValue[] } {
  const where = condition(projectId, query);
  const after = afterClientId === null ? "" : " AND c.client_id > ?";
  return {
    sql: `SELECT ${COLUMNS.split(", ").map((column) => `c.${column}`).join(", ")} FROM m2m_clients c WHERE c.project_id = ? AND ${where.sql}${after} ORDER BY c.client_id LIMIT ?`,
    params: [projectId, ...where.params, ...(afterClientId === null ? [] : [afterClientId]), limit + 1],
  };
}

export class SqlM2mClientStore implements M2mClientStore {
  constructor(private readonly sql: SqlExecutor) {}

  async insert(client: M2mClientRecord): Promise<void> {
    await this.sql.atomically([
      {
        sql: `INSERT INTO m2m_clients (${COLUMNS}) VALUES (${placeholders(13)})`,
        params: [
          client.projectId, client.clientId, client.clientName, client.clientDescription, client.status, JSON.stringify(client.scopes),
          JSON.stringify(client.trustedMetadata), client.secretHash, client.secretLastFour, client.nextSecretHash, client.nextSecretLastFour,
          client.createdAt, client.updatedAt,
        ],
      },
      ...scopeRows(client.projectId, client.clientId, client.scopes),
    ]);
  }

  async find(projectId: string, clientId: string): Promise<M2mClientRecord | null> {
    const rows = await this.sql.query(`SELECT ${COLUMNS} FROM m2m_clients WHERE project_id = ? AND client_id = ?`, [projectId, clientId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async update(projectId: string, clientId: string, changes: M2mClientChanges): Promise<boolean> {
    const result = await this.sql.atomically([
      {
        sql: "UPDATE m2m_clients SET client_name = ?, client_description = ?, status = ?, scopes = ?, trusted_metadata = ?, updated_at = ? WHERE project_id = ? AND client_id = ?",
        params: [changes.clientName, changes.clientDescription, changes.status, JSON.stringify(changes.scopes), JSON.stringify(changes.trustedMetadata), changes.updatedAt, projectId, clientId],
        expect: "one",
      },
      { sql: "DELETE FROM m2m_client_scopes WHERE project_id = ? AND client_id = ?", params: [projectId, clientId] },
      ...scopeRows(projectId, clientId, changes.scopes),
    ]);
    return result.ok;
  }

  async delete(projectId: string, clientId: string): Promise<boolean> {
    const result = await this.sql.atomically([
      { sql: "DELETE FROM m2m_clients WHERE project_id = ? AND client_id = ?", params: [projectId, clientId], expect: "one" },
      { sql: "DELETE FROM m2m_client_scopes WHERE project_id = ? AND client_id = ?", params: [projectId, clientId] },
    ]);
    return result.ok;
  }

  /** Runs one guarded rotation update; on refusal tells "no such client" from "wrong rotation state". */
  private async rotationStep(projectId: string, clientId: string, statement: SqlStatement, refusal: "already_rotating" | "not_rotating"): Promise<RotationOutcome> {
    const result = await this.sql.atomically([{ ...statement, expect: "one" }]);
    if (result.ok) return "ok";
    return (await this.find(projectId, clientId)) ? refusal : "not_found";
  }

  startRotation(projectId: string, clientId: string, nextSecretHash: string, nextSecretLastFour: string, now: number): Promise<RotationOutcome> {
    return this.rotationStep(projectId, clientId, {
      sql: "UPDATE m2m_clients SET next_secret_hash = ?, next_secret_last_four = ?, updated_at = ? WHERE project_id = ? AND client_id = ? AND next_secret_hash IS NULL",
      params: [nextSecretHash, nextSecretLastFour, now, projectId, clientId],
    }, "already_rotating");
  }

  completeRotation(projectId: string, clientId: string, now: number): Promise<RotationOutcome> {
    return this.rotationStep(projectId, clientId, {
      sql: "UPDATE m2m_clients SET secret_hash = next_secret_hash, secret_last_four = next_secret_last_four, next_secret_hash = NULL, next_secret_last_four = NULL, updated_at = ? WHERE project_id = ? AND client_id = ? AND next_secret_hash IS NOT NULL",
      params: [now, projectId, clientId],
    }, "not_rotating");
  }

  cancelRotation(projectId: string, clientId: string, now: number): Promise<RotationOutcome> {
    return this.rotationStep(projectId, clientId, {
      sql: "UPDATE m2m_clients SET next_secret_hash = NULL, next_secret_last_four = NULL, updated_at = ? WHERE project_id = ? AND client_id = ? AND next_secret_hash IS NOT NULL",
      params: [now, projectId, clientId],
    }, "not_rotating");
  }

  async search(projectId: string, query: M2mSearchQuery | null, afterClientId: string | null, limit: number): Promise<M2mClientPage> {
    const page = searchPageStatement(projectId, query, afterClientId, limit);
    const where = condition(projectId, query);
    const [rows, counted] = await Promise.all([
      this.sql.query(page.sql, page.params),
      this.sql.query(`SELECT count(*) AS total FROM m2m_clients c WHERE c.project_id = ? AND ${where.sql}`, [projectId, ...where.params]),
    ]);
    const items = rows.slice(0, limit).map(toRecord);
    return { items, total: Number(counted[0]?.total ?? 0), lastClientId: rows.length > limit ? items[items.length - 1]!.clientId : null };
  }
}
