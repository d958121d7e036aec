/**
 * @module The M2M client store's promises on every dialect: round trip, conflict on a taken id,
 * partial updates that leave secrets alone, guarded rotation steps (one winner under races),
 * search by each filter with AND/OR and keyset pages, and deletes that take the scope index along.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { searchPageStatement, SqlM2mClientStore, type M2mClientRecord } from "../m2m-clients.js";
import { StoreConflict } from "../store.js";
import { freshStore, type StoreFactory } from "./harness.js";

function client(projectId: string, clientId: string, overrides: Partial<M2mClientRecord> = {}): M2mClientRecord {
  return {
    projectId,
    clientId,
    clientName: `name-${clientId}`,
    clientDescription: "",
    status: "active",
    scopes: ["read:users"],
    trustedMetadata: { a: 1 },
    secretHash: "aa".repeat(32),
    secretLastFour: "abcd",
    nextSecretHash: null,
    nextSecretLastFour: null,
    createdAt: 1_760_000_000_000,
    updatedAt: 1_760_000_000_000,
    ...overrides,
  };
}

export function m2mClientsContract(makeStore: StoreFactory): void {
  describe("m2m clients", () => {
    const store = freshStore(makeStore);
    const clients = () => new SqlM2mClientStore(store().sqlExecutor());

    it("inserts and finds a client with every field intact; a taken id is a StoreConflict", async () => {
      const record = client("project-test-m2m-a", "c-1", { scopes: ["b", "a:x"], trustedMetadata: { nested: { k: [1, "two"] } } });
      await clients().insert(record);
      assert.deepEqual(await clients().find("project-test-m2m-a", "c-1"), record);
      assert.equal(await clients().find("project-test-m2m-b", "c-1"), null);
      await assert.rejects(clients().insert(client("project-test-m2m-a", "c-1")), (error: unknown) => error instanceof StoreConflict);
      // The same id in another project is another client.
      await clients().insert(client("project-test-m2m-b", "c-1"));
    });

    it("updates the mutable fields only, and reports a missing client", async () => {
      await clients().insert(client("project-test-m2m-a", "c-2", { nextSecretHash: "bb".repeat(32), nextSecretLastFour: "wxyz" }));
      const changes = { clientName: "renamed", clientDescription: "d", status: "inactive" as const, scopes: ["c"], trustedMetadata: {}, updatedAt: 1_760_000_000_500 };
      assert.equal(await clients().update("project-test-m2m-a", "c-2", changes), true);
      const updated = await clients().find("project-test-m2m-a", "c-2");
      assert.deepEqual(updated, { ...client("project-test-m2m-a", "c-2", { nextSecretHash: "bb".repeat(32), nextSecretLastFour: "wxyz" }), ...changes });
      assert.equal(await clients().update("project-test-m2m-a", "missing", changes), false);
    });

    it("rotation: start once, complete moves next to current, cancel discards it; wrong states and missing clients are told apart", async () => {
      const id = "c-rotate";
      await clients().insert(client("project-test-m2m-a", id));
      assert.equal(await clients().completeRotation("project-test-m2m-a", id, 1), "not_rotating");
      assert.equal(await clients().cancelRotation("project-test-m2m-a", id, 1), "not_rotating");
      const starts = await Promise.all([1, 2, 3].map((n) => clients().startRotation("project-test-m2m-a", id, String(n).repeat(64), `${n}${n}${n}${n}`, 2)));
      assert.deepEqual(starts.filter((outcome) => outcome === "ok").length, 1);
      assert.deepEqual(starts.filter((outcome) => outcome === "already_rotating").length, 2);
      const rotating = (await clients().find("project-test-m2m-a", id))!;
      assert.notEqual(rotating.nextSecretHash, null);
      assert.equal(rotating.secretHash, "aa".repeat(32));
      assert.equal(await clients().completeRotation("project-test-m2m-a", id, 3), "ok");
      const completed = (await clients().find("project-test-m2m-a", id))!;
      assert.deepEqual([completed.secretHash, completed.secretLastFour, completed.nextSecretHash, completed.nextSecretLastFour], [rotating.nextSecretHash, rotating.nextSecretLastFour, null, null]);
      assert.equal(await clients().startRotation("project-test-m2m-a", id, "cc".repeat(32), "cccc", 4), "ok");
      assert.equal(await clients().cancelRotation("project-test-m2m-a", id, 5), "ok");
      assert.equal((await clients().find("project-test-m2m-a", id))!.secretHash, completed.secretHash);
      assert.equal(await clients().startRotation("project-test-m2m-a", "missing", "dd".repeat(32), "dddd", 6), "not_found");
      assert.equal(await clients().completeRotation("project-test-m2m-a", "missing", 6), "not_found");
    });

    it("searches by client_id, client_name and scopes with AND/OR, in id order, in keyset pages with the total", async () => {
      const project = "project-test-m2m-search";
      for (let index = 0; index < 12; index++) {
        const scopes = [index % 2 === 0 ? "even" : "odd", ...(index % 3 === 0 ? ["three"] : [])];
        await clients().insert(client(project, `s-${String(index).padStart(2, "0")}`, { clientName: `group-${index % 4}`, scopes }));
      }
      const ids = async (query: Parameters<SqlM2mClientStore["search"]>[1]) => (await clients().search(project, query, null, 1000)).items.map((item) => item.clientId);
      assert.equal((await ids(null)).length, 12);
      assert.deepEqual(await ids({ operator: "AND", operands: [{ filterName: "client_id", values: ["s-05", "s-01", "nope"] }] }), ["s-01", "s-05"]);
      assert.deepEqual(await ids({ operator: "AND", operands: [{ filterName: "client_name", values: ["group-1"] }] }), ["s-01", "s-05", "s-09"]);
      assert.deepEqual(await ids({ operator: "AND", operands: [{ filterName: "scopes", values: ["three"] }] }), ["s-00", "s-03", "s-06", "s-09"]);
      assert.deepEqual(await ids({ operator: "AND", operands: [{ filterName: "scopes", values: ["three"] }, { filterName: "scopes", values: ["odd"] }] }), ["s-03", "s-09"]);
      assert.deepEqual(await ids({ operator: "OR", operands: [{ filterName: "client_name", values: ["group-2"] }, { filterName: "scopes", values: ["three"] }] }), ["s-00", "s-02", "s-03", "s-06", "s-09", "s-10"]);
      const first = await clients().search(project, { operator: "AND", operands: [{ filterName: "scopes", values: ["even", "odd"] }] }, null, 5);
      assert.deepEqual([first.items.length, first.total, first.lastClientId], [5, 12, "s-04"]);
      const last = await clients().search(project, null, "s-09", 5);
      assert.deepEqual([last.items.map((item) => item.clientId), last.total, last.lastClientId], [["s-10", "s-11"], 12, null]);
    });

    it("delete removes the client and its scope index rows; a second delete finds nothing", async () => {
      const project = "project-test-m2m-delete";
      await clients().insert(client(project, "d-1", { scopes: ["gone"] }));
      assert.equal(await clients().delete(project, "d-1"), true);
      assert.equal(await clients().find(project, "d-1"), null);
      assert.equal(await clients().delete(project, "d-1"), false);
      assert.deepEqual((await clients().search(project, { operator: "AND", operands: [{ filterName: "scopes", values: ["gone"] }] }, null, 10)).total, 0);
      const rows = await store().sqlExecutor().query("SELECT count(*) AS n FROM m2m_client_scopes WHERE project_id = ?", [project]);
      assert.equal(Number(rows[0]!.n), 0);
    });

    it("search is answered from the indexes, never by scanning the clients table (SQLite query plan)", async (t) => {
      const sql = store().sqlExecutor();
      if (sql.dialect !== "sqlite") return t.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL's planner picks by statistics");
      const query = { operator: "OR" as const, operands: [{ filterName: "client_name" as const, values: ["n"] }, { filterName: "scopes" as const, values: ["s", "t"] }, { filterName: "client_id" as const, values: ["x"] }] };
      for (const statement of [searchPageStatement("p", query, null, 10), searchPageStatement("p", { ...query, operator: "AND" }, "a", 10)]) {
        const plan = await sql.query(`EXPLAIN QUERY PLAN ${statement.sql}`, statement.params);
        const details = plan.map((row) => String(row.detail));
        // Every table access is a SEARCH on an index (no SCAN), and the clients are read by primary key.
        assert.ok(details.every((detail) => !/^SCAN /.test(detail)), details.join("\n"));
        assert.ok(details.some((detail) => /^SEARCH c USING .*\(project_id=\? AND client_id=\?\)/.test(detail)), details.join("\n"));
      }
    });
  });
}
