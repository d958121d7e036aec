/**
 * @module Store contract: migrations (idempotent, safe from several nodes at once), ping, and
 * StoreUnavailable for a database that cannot be reached.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Store } from "../store.js";
import { StoreUnavailable } from "../store.js";
import { organization, project } from "./fixtures.js";
import { freshStore, type StoreContractOptions, type StoreFactory } from "./harness.js";

export function lifecycleContract(makeStore: StoreFactory, options: StoreContractOptions): void {
  describe("lifecycle", () => {
    const store = freshStore(makeStore);

    it("ping resolves on a migrated database", async () => {
      await store().ping();
    });

    it("migrate() again is a no-op that keeps the data", async () => {
      const p = project();
      await store().insertProject(p);
      await store().insertOrganization(organization(p.projectId));
      await store().migrate();
      await store().migrate();
      assert.deepEqual(await store().findProject(p.projectId), p);
      assert.equal((await store().searchOrganizations(p.projectId, null, null, 10)).total, 1);
    });

    it("several stores migrating one fresh database at once all succeed, and it works afterwards", async (t) => {
      const handle = await makeStore();
      try {
        if (!handle.reopen) {
          t.skip("the adapter's factory has no reopen(): it cannot open a second store on one database");
          return;
        }
        const others: Store[] = [];
        for (let index = 0; index < 3; index++) others.push(await handle.reopen());
        try {
          await Promise.all([handle.store, ...others].map((each) => each.migrate()));
          // And once more, concurrently, on the migrated database.
          await Promise.all([handle.store, ...others].map((each) => each.migrate()));
          const p = project();
          await handle.store.insertProject(p);
          for (const other of others) assert.deepEqual(await other.findProject(p.projectId), p);
        } finally {
          for (const other of others) await other.close();
        }
      } finally {
        await handle.cleanup();
      }
    });

    it("an unreachable database rejects with StoreUnavailable", async (t) => {
      if (!options.unreachable) {
        t.skip("the adapter gave no way to open a store on an unreachable database");
        return;
      }
      const open = options.unreachable;
      await assert.rejects(async () => {
        const unreachable = await open();
        try {
          await unreachable.ping();
        } finally {
          await unreachable.close().catch(() => {});
        }
      }, StoreUnavailable);
    });
  });
}
