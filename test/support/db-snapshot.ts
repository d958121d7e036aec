/**
 * @module Read-only views of a Tessera SQLite file for tests: row counts and a digest of every
 * table that an authentication can write, so a test can prove that a refused request changed
 * nothing at all. Opens its own read-only connection (WAL lets it read beside the server).
 */
import Database from "better-sqlite3";
import { createHash } from "node:crypto";

/**
 * Tables whose content a request can change; a refused request must leave each one as it was.
 * Not watched: `rate_limits` and `security_events`, which count and record refusals on purpose.
 */
export const WATCHED_TABLES = [
  "projects",
  "signing_keys",
  "organizations",
  "members",
  "sessions",
  "intermediate_sessions",
  "one_time_secrets",
  "outbox_messages",
  "member_passwords",
  "totp_registrations",
  "recovery_codes",
  "failure_counters",
  "member_devices",
  "member_ip_addresses",
  "project_settings",
  "public_tokens",
  "organization_rbac_roles",
] as const;

export interface DbSnapshot {
  counts: Record<string, number>;
  digests: Record<string, string>;
}

function rowText(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_key, value: unknown) =>
    value && typeof value === "object" && (value as { type?: string }).type === "Buffer"
      ? Buffer.from((value as { data: number[] }).data).toString("hex")
      : value,
  );
}

/** A read-only connection to the database file at `path`. */
export function openReadOnly(path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 2000");
  return db;
}

export function existingTables(db: Database.Database): Set<string> {
  return new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((row) => row.name));
}

const prepared = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function tableStatements(db: Database.Database): Map<string, Database.Statement> {
  let statements = prepared.get(db);
  if (!statements) {
    const present = existingTables(db);
    statements = new Map(WATCHED_TABLES.filter((table) => present.has(table)).map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY rowid`)]));
    prepared.set(db, statements);
  }
  return statements;
}

/** Counts and content digests of every watched table (tables a later migration adds are skipped until they exist). */
export function snapshot(db: Database.Database): DbSnapshot {
  const counts: Record<string, number> = {};
  const digests: Record<string, string> = {};
  const read = db.transaction(() => {
    for (const [table, statement] of tableStatements(db)) {
      const hash = createHash("sha256");
      let count = 0;
      for (const row of statement.iterate() as Iterable<Record<string, unknown>>) {
        hash.update(rowText(row));
        hash.update("\n");
        count++;
      }
      counts[table] = count;
      digests[table] = hash.digest("hex");
    }
  });
  read();
  return { counts, digests };
}

/** The tables whose content differs between two snapshots, with their row counts before and after. */
export function changedTables(before: DbSnapshot, after: DbSnapshot): string[] {
  const changed: string[] = [];
  for (const table of Object.keys(after.digests)) {
    if (before.digests[table] !== after.digests[table]) {
      changed.push(`${table} (${before.counts[table] ?? 0} → ${after.counts[table]} rows)`);
    }
  }
  return changed;
}
