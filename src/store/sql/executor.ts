/**
 * @module One way to run SQL on either database, so a capability's statements are written once.
 * Statements use `?` placeholders (the PostgreSQL executor numbers them); a write is a list of
 * statements applied all-or-nothing, each optionally with what it must affect, so a guard
 * ("this row is still unused") is part of the same transaction as the writes it protects.
 *
 * Portable SQL, by rule: instants are epoch-ms integers (BIGINT on PostgreSQL: read them with
 * `Number(row.x)`), booleans are 0/1 integers, JSON is TEXT, no `?` inside literals, and
 * `ON CONFLICT … DO NOTHING` / `RETURNING` are fine on both. Where a statement truly differs, the
 * caller chooses by `dialect`, side by side.
 */
import type { Row } from "../rows.js";

export type SqlValue = string | number | bigint | Buffer | null;

export interface SqlStatement {
  sql: string;
  params?: SqlValue[];
  /**
   * A guard: the transaction is rolled back (nothing written) unless the statement affects
   * exactly one row (`one`) or at least one (`some`). Without it the statement may affect any count.
   */
  expect?: "one" | "some";
}

export interface StatementResult {
  /** Rows a `SELECT` or `… RETURNING` gave. */
  rows: Row[];
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export type AtomicResult =
  | { ok: true; results: StatementResult[] }
  /** The guard at `failedIndex` did not hold; nothing was written. */
  | { ok: false; failedIndex: number };

export interface SqlExecutor {
  readonly dialect: "sqlite" | "postgres";
  /** Rows of one read. Unavailable databases reject with StoreUnavailable. */
  query(sql: string, params?: SqlValue[]): Promise<Row[]>;
  /**
   * Runs the statements in order in one write transaction. Unique violations reject with
   * `StoreConflict` whose constraint is `table(col1,col2)` on both dialects.
   */
  atomically(statements: SqlStatement[], options?: { durable?: boolean }): Promise<AtomicResult>;
}

/** Rewrites `?` placeholders to PostgreSQL's `$1, $2, …` (statements never hold `?` in literals). */
export function numberPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/** `table(col1,col2)`: how both executors name the unique constraint a write violated. */
export function uniqueConstraintName(table: string, columns: string[]): string {
  return `${table}(${columns.map((column) => column.trim()).join(",")})`;
}
