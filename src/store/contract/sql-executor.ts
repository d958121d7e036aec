/**
 * @module The SQL executor's promises on every dialect: `?` placeholders, guards that roll the
 * whole statement list back, unique violations named `table(cols)`, and portable value types.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StoreConflict } from "../store.js";
import { freshStore, type StoreFactory } from "./harness.js";

export function sqlExecutorContract(makeStore: StoreFactory): void {
  describe("sql executor", () => {
    const store = freshStore(makeStore);
    const sql = () => store().sqlExecutor();
    const table = "contract_executor_probe";

    it("runs portable statements with ? placeholders and keeps value types", async () => {
      const create = `CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, n BIGINT NOT NULL, flag INTEGER NOT NULL, blob_value ${sql().dialect === "postgres" ? "BYTEA" : "BLOB"})`;
      assert.equal((await sql().atomically([{ sql: create }])).ok, true);
      const at = 1_760_000_000_123;
      const inserted = await sql().atomically([
        { sql: `INSERT INTO ${table} (id, n, flag, blob_value) VALUES (?, ?, ?, ?)`, params: ["a", at, 1, Buffer.from([1, 2, 3])], expect: "one" },
        { sql: `INSERT INTO ${table} (id, n, flag, blob_value) VALUES (?, ?, ?, ?) RETURNING id`, params: ["b", 2, 0, null], expect: "one" },
      ]);
      assert.ok(inserted.ok);
      assert.deepEqual(inserted.results[1]!.rows.map((row) => row.id), ["b"]);
      const rows = await sql().query(`SELECT id, n, flag, blob_value FROM ${table} WHERE id = ? OR id = ? ORDER BY id`, ["a", "b"]);
      assert.deepEqual(rows.map((row) => [row.id, Number(row.n), Number(row.flag)]), [["a", at, 1], ["b", 2, 0]]);
      assert.deepEqual(Buffer.from(rows[0]!.blob_value as Buffer), Buffer.from([1, 2, 3]));
      assert.equal(rows[1]!.blob_value, null);
    });

    it("a guard that does not hold rolls back every statement of the list", async () => {
      const result = await sql().atomically([
        { sql: `INSERT INTO ${table} (id, n, flag) VALUES (?, ?, ?)`, params: ["c", 3, 0] },
        { sql: `UPDATE ${table} SET flag = 1 WHERE id = ? AND flag = 0`, params: ["a"], expect: "one" },
      ]);
      assert.deepEqual(result, { ok: false, failedIndex: 1 });
      assert.deepEqual(await sql().query(`SELECT id FROM ${table} WHERE id = ?`, ["c"]), []);
      const select = await sql().atomically([{ sql: `SELECT id FROM ${table} WHERE id = ?`, params: ["missing"], expect: "some" }]);
      assert.deepEqual(select, { ok: false, failedIndex: 0 });
    });

    it("reports a unique violation as StoreConflict named table(columns)", async () => {
      await assert.rejects(
        sql().atomically([{ sql: `INSERT INTO ${table} (id, n, flag) VALUES (?, ?, ?)`, params: ["a", 9, 0] }]),
        (error: unknown) => error instanceof StoreConflict && error.constraint === `${table}(id)`,
      );
      assert.equal((await sql().query(`SELECT n FROM ${table} WHERE id = ?`, ["a"])).length, 1);
    });
  });
}
