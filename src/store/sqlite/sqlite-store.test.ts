/**
 * @module Runs the store contract on the SQLite adapter: a fresh database file in its own temporary
 * directory for every test group.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreContract } from "../contract/index.js";
import { SqliteStore } from "./sqlite-store.js";

runStoreContract(
  "sqlite",
  async () => {
    const directory = mkdtempSync(join(tmpdir(), "tessera-contract-"));
    const path = join(directory, "tessera.db");
    const store = new SqliteStore(path);
    return {
      store,
      reopen: async () => new SqliteStore(path),
      async cleanup() {
        await store.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
  {
    // A directory where the database file should be: SQLite cannot open it.
    async unreachable() {
      const directory = mkdtempSync(join(tmpdir(), "tessera-unopenable-"));
      try {
        return new SqliteStore(directory);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  },
);
