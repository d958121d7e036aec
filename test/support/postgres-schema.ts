/**
 * @module A PostgreSQL schema of a test's own on TEST_DATABASE_URL: its DATABASE_URL for the
 * nodes, and `drop()` for the end of the test (nothing else on the shared server is touched).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export function testSchema(databaseUrl: string, prefix: string): { schema: string; url: string; drop(): Promise<void> } {
  const schema = `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  const url = new URL(databaseUrl);
  url.searchParams.set("schema", schema);
  return {
    schema,
    url: url.toString(),
    async drop() {
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
