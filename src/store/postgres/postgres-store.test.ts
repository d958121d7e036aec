/**
 * @module Runs the store contract on the PostgreSQL adapter when TEST_DATABASE_URL is set, each
 * test group in a schema of its own (created by migrate(), dropped afterwards) so parallel test
 * files never meet; plus what only PostgreSQL has: error translation, URL options, the pool,
 * and connections the server drops.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it, test } from "node:test";
import pg from "pg";
import { openStore } from "../../app.js";
import { project } from "../contract/fixtures.js";
import { runStoreContract } from "../contract/index.js";
import { StoreConflict, StoreUnavailable } from "../store.js";
import { PostgresStore, parsePostgresUrl, translatePgError } from "./postgres-store.js";

const databaseUrl = process.env.TEST_DATABASE_URL;

/** A schema (and application) name no other test file or run will use. */
function uniqueName(): string {
  return `tessera_test_${process.pid}_${randomBytes(4).toString("hex")}`;
}

function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("application_name", name);
  return parsed.toString();
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const dropSchema = (url: string, schema: string): Promise<unknown> => withAdmin(url, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

const databaseError = (code: string, constraint?: string): Error => Object.assign(new Error(`error ${code}`), { code, constraint });

describe("postgres error translation", () => {
  it("maps unique violations to StoreConflict by constraint name", () => {
    const expected: [string, StoreConflict["constraint"]][] = [
      ["organizations_slug", "organization_slug"],
      ["organizations_external_id", "organization_external_id"],
      ["members_email", "member_email"],
      ["members_external_id", "member_external_id"],
      ["projects_pkey", "project_id"],
    ];
    for (const [constraint, name] of expected) {
      const translated = translatePgError(databaseError("23505", constraint));
      assert.ok(translated instanceof StoreConflict);
      assert.equal(translated.constraint, name);
    }
  });

  it("passes unique violations of other constraints and other errors through unchanged", () => {
    for (const error of [databaseError("23505", "sessions_token_hash"), databaseError("23503", "members_organization_id_fkey"), databaseError("42P01")]) {
      assert.equal(translatePgError(error), error);
    }
    assert.equal(translatePgError("not an error"), "not an error");
  });

  it("maps unreachable or unusable servers to StoreUnavailable", () => {
    const unavailable = [
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
      Object.assign(new Error("getaddrinfo ENOTFOUND db"), { code: "ENOTFOUND" }),
      databaseError("57P01"),
      databaseError("57P03"),
      databaseError("08006"),
      databaseError("08001"),
      databaseError("53300"),
      databaseError("25006"),
      new Error("Connection terminated unexpectedly"),
      new Error("timeout exceeded when trying to connect"),
    ];
    for (const error of unavailable) {
      const translated = translatePgError(error);
      assert.ok(translated instanceof StoreUnavailable, `${error.message} should be StoreUnavailable`);
      assert.equal(translated.cause, error);
    }
  });
});

describe("postgres options", () => {
  it("parsePostgresUrl takes schema and pool_size out of the URL and leaves the rest", () => {
    assert.deepEqual(parsePostgresUrl("postgresql://u:p%40ss@db:5432/tessera?pool_size=20&sslmode=require&schema=auth"), {
      connectionString: "postgresql://u:p%40ss@db:5432/tessera?sslmode=require",
      options: { poolSize: 20, schema: "auth" },
    });
    assert.deepEqual(parsePostgresUrl("postgres://db/tessera"), { connectionString: "postgres://db/tessera", options: {} });
    assert.throws(() => parsePostgresUrl("postgres://db/tessera?pool_size=ten"), /pool_size/);
    assert.deepEqual(parsePostgresUrl("postgres://db/tessera?connect_timeout_ms=1500"), {
      connectionString: "postgres://db/tessera",
      options: { connectionTimeoutMs: 1500 },
    });
    assert.throws(() => parsePostgresUrl("postgres://db/tessera?connect_timeout_ms=soon"), /connect_timeout_ms/);
  });

  it("the constructor refuses schema names that are not plain identifiers and pool sizes below 1", () => {
    assert.throws(() => new PostgresStore("postgres://db/tessera", { schema: 'x"; DROP TABLE projects; --' }), /schema/);
    assert.throws(() => new PostgresStore("postgres://db/tessera", { schema: "Upper" }), /schema/);
    assert.throws(() => new PostgresStore("postgres://db/tessera", { poolSize: 0 }), /pool size/);
  });
});

if (!databaseUrl) {
  test("postgres store contract", { skip: "TEST_DATABASE_URL is not set (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test)" }, () => {});
} else {
  const url = databaseUrl;

  runStoreContract(
    "postgres",
    async () => {
      const schema = uniqueName();
      const store = new PostgresStore(url, { schema, poolSize: 8 });
      return {
        store,
        reopen: async () => new PostgresStore(url, { schema, poolSize: 2 }),
        async cleanup() {
          await store.close();
          await dropSchema(url, schema);
        },
      };
    },
    {
      // Port 1 on localhost: nothing listens there, the connection is refused.
      unreachable: async () => new PostgresStore("postgres://postgres@127.0.0.1:1/tessera", { connectionTimeoutMs: 2000 }),
    },
  );

  describe("postgres adapter", () => {
    const schema = uniqueName();
    const applicationName = uniqueName();
    // Two admin connections: pg_stat_activity is a snapshot inside a transaction, so the one that
    // observes must not be the one holding a lock open.
    const admin = new pg.Client({ connectionString: url });
    const locker = new pg.Client({ connectionString: url });
    let store: PostgresStore;

    before(async () => {
      await admin.connect();
      await locker.connect();
      store = new PostgresStore(withApplicationName(url, applicationName), { schema, poolSize: 3 });
      await store.migrate();
    });
    after(async () => {
      await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
      await locker.end();
    });

    const backends = async (): Promise<number> =>
      Number((await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [applicationName])).rows[0].n);

    it("creates its tables in its own schema, with each migration recorded once", async () => {
      const tables = await admin.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema]);
      // Every table of the core migrations is there (branches add their own tables beside them).
      const present = new Set(tables.rows.map((row) => row.table_name));
      for (const table of [
        "failure_counters", "instance_secrets", "intermediate_sessions", "member_devices", "member_ip_addresses", "member_passwords",
        "members", "one_time_secrets", "organizations", "outbox_messages", "projects", "rate_limits", "recovery_codes",
        "schema_migrations", "security_events", "sessions", "signing_keys", "totp_registrations",
        "project_settings", "public_tokens", "organization_rbac_roles", "m2m_clients", "m2m_client_scopes",
        "scim_connections", "scim_group_members", "scim_groups", "scim_users",
        "sso_connections", "sso_registrations",
      ]) {
        assert.ok(present.has(table), `table ${table} missing`);
      }
      await store.migrate();
      const versions = (await admin.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).rows.map((row) => Number(row.version));
      assert.deepEqual(versions, [...new Set(versions)], "each migration recorded once");
      for (const version of [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]) assert.ok(versions.includes(version), `migration ${version} not recorded`);
    });

    it("stores in different schemas of one database do not see each other", async () => {
      const otherSchema = uniqueName();
      const other = new PostgresStore(url, { schema: otherSchema, poolSize: 1 });
      try {
        await other.migrate();
        const p = project();
        await store.insertProject(p);
        assert.equal(await other.findProject(p.projectId), null);
        await other.insertProject(p);
      } finally {
        await other.close();
        await dropSchema(url, otherSchema);
      }
    });

    it("never opens more connections than its pool size", async () => {
      await locker.query("BEGIN");
      await locker.query(`LOCK TABLE "${schema}".projects IN ACCESS EXCLUSIVE MODE`);
      const blocked = Promise.all(Array.from({ length: 8 }, () => store.countProjects()));
      try {
        for (let attempt = 0; attempt < 50 && (await backends()) < 3; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(await backends(), 3);
      } finally {
        await locker.query("COMMIT");
      }
      await blocked;
    });

    it("a call whose connection the server terminates rejects with StoreUnavailable, and the store recovers", async () => {
      await locker.query("BEGIN");
      await locker.query(`LOCK TABLE "${schema}".sessions IN ACCESS EXCLUSIVE MODE`);
      // A transaction method (BEGIN … on one client) and a single statement, both waiting on the lock.
      const outcome = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => "resolved", (error: unknown) => error);
      const inTransaction = outcome(store.deleteMember("project-x", "member-x", 1));
      const single = outcome(store.revokeSession("project-x", "session-x", 1));
      try {
        for (let attempt = 0; attempt < 50; attempt++) {
          const waiting = await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [
            applicationName,
          ]);
          if (Number(waiting.rows[0].n) === 2) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [applicationName]);
      } finally {
        await locker.query("COMMIT");
      }
      assert.ok((await inTransaction) instanceof StoreUnavailable, `deleteMember gave ${String(await inTransaction)}`);
      assert.ok((await single) instanceof StoreUnavailable, `revokeSession gave ${String(await single)}`);
      // Idle connections were terminated too; the pool may hand one out before it notices.
      let recovered = false;
      for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
        try {
          await store.ping();
          recovered = true;
        } catch (error) {
          assert.ok(error instanceof StoreUnavailable, `expected StoreUnavailable, got ${String(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
      assert.ok(recovered, "the store did not recover");
      assert.equal(await store.deleteMember("project-x", "member-x", 2), false);
    });

    it("openStore opens and migrates a PostgresStore for postgres:// and postgresql:// URLs, with schema and pool_size", async () => {
      for (const scheme of ["postgres:", "postgresql:"]) {
        const otherSchema = uniqueName();
        const parsed = new URL(url);
        parsed.protocol = scheme;
        parsed.searchParams.set("schema", otherSchema);
        parsed.searchParams.set("pool_size", "2");
        const opened = await openStore(parsed.toString());
        try {
          assert.ok(opened instanceof PostgresStore);
          await opened.insertProject(project());
          assert.equal(await opened.countProjects(), 1);
        } finally {
          await opened.close();
          await dropSchema(url, otherSchema);
        }
      }
    });

    it("close() is safe to call twice", async () => {
      const extra = new PostgresStore(url, { schema, poolSize: 1 });
      await extra.ping();
      await extra.close();
      await extra.close();
    });
  });
}
