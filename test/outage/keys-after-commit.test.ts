/**
 * A login that has committed answers 200 even when the signing keys cannot be re-read right after
 * the commit (issue 22 item 1). The reproduction: the key cache is stale (fake clock), another
 * connection holds `LOCK TABLE signing_keys IN ACCESS EXCLUSIVE MODE` in the test's own schema,
 * the magic link is authenticated, and the server's blocked backend is terminated. Before the fix
 * the client got 503 after the token was consumed and the session written, and 401 on its retry.
 *
 * Runs when TEST_DATABASE_URL is set; only the test's own schema and connections are touched.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it, test } from "node:test";
import pg from "pg";
import { KeyService } from "../../src/services/keys.js";
import { createMember, createOrganization, decodeJwt, startSession } from "../support/fixtures.js";
import { FakeClock, startHarness, type Harness } from "../support/harness.js";
import { latestMessage } from "../http/login-helpers.js";

const databaseUrl = process.env.TEST_DATABASE_URL;

if (!databaseUrl) {
  test("signing keys after the commit (PostgreSQL lock)", { skip: "TEST_DATABASE_URL is not set" }, () => {});
} else {
  describe("signing keys after the commit (PostgreSQL lock held on signing_keys)", { timeout: 60_000 }, () => {
    const schema = `tessera_keyslock_${process.pid}_${randomBytes(4).toString("hex")}`;
    const applicationName = schema;
    const clock = new FakeClock(Date.now());
    const admin = new pg.Client({ connectionString: databaseUrl });
    let h: Harness;

    before(async () => {
      await admin.connect();
      const url = new URL(databaseUrl);
      url.searchParams.set("schema", schema);
      url.searchParams.set("application_name", applicationName);
      h = await startHarness({ clock, env: { DATABASE_URL: url.toString() } });
    });
    after(async () => {
      await h?.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    it("answers 200 with a verifiable JWT, and the token is consumed exactly once", async () => {
      const organization = await createOrganization(h.client);
      const member = await createMember(h.client, organization.organization_id);
      await h.client.magicLinks.email.loginOrSignup({ organization_id: organization.organization_id, email_address: member.email_address });
      await h.app.services.delivery.drain();
      const token = (await latestMessage(h, member.email_address)).magic_links_token as string;
      const jwks = (await h.request("GET", `/v1/b2b/sessions/jwks/${h.project.projectId}`)).body.keys as { kid: string }[];

      clock.advanceSeconds(6); // the node's key cache is now stale
      const locker = new pg.Client({ connectionString: databaseUrl });
      await locker.connect();
      try {
        await locker.query("BEGIN");
        await locker.query(`LOCK TABLE "${schema}".signing_keys IN ACCESS EXCLUSIVE MODE`);
        const answer = h.request("POST", "/v1/b2b/magic_links/authenticate", { magic_links_token: token });
        // The server's read of signing_keys waits on the lock: terminate that backend, as a
        // database restart or a failover would.
        let terminated = 0;
        for (let tries = 0; tries < 100 && terminated === 0; tries++) {
          const rows = (
            await admin.query(
              `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND query ILIKE '%signing_keys%'`,
              [applicationName],
            )
          ).rows as { pid: number }[];
          for (const row of rows) terminated += (await admin.query("SELECT pg_terminate_backend($1)", [row.pid])).rowCount ?? 0;
          if (terminated === 0) await sleep(50);
        }
        assert.ok(terminated > 0, "the server read the signing keys while they were locked");
        const response = await answer;
        assert.equal(response.status, 200, JSON.stringify(response.body));
        const kid = decodeJwt(response.body.session_jwt).header.kid;
        assert.ok(jwks.some((key) => key.kid === kid), "signed with a key the JWKS publishes");
        const session = await h.request("POST", "/v1/b2b/sessions/authenticate", { session_token: response.body.session_token });
        assert.equal(session.status, 200, "the session works");
      } finally {
        await locker.query("ROLLBACK").catch(() => {});
        await locker.end();
      }
      const sessions = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".sessions WHERE member_id = $1`, [member.member_id]);
      assert.equal(sessions.rows[0].n, 1, "one session row");
    });

    it("still picks up a rotation made elsewhere once its cache entry expires", async () => {
      // `tessera keys rotate` on another machine: its own KeyService on the same database.
      const rotatedKid = await new KeyService(h.app.services.context).rotate(h.project);
      const organization = await createOrganization(h.client);
      const member = await createMember(h.client, organization.organization_id);
      const before = await startSession(h, organization.organization_id, member.member_id);
      assert.notEqual(decodeJwt(before.sessionJwt).header.kid, rotatedKid, "within the cache lifetime the node still signs with its key");
      clock.advanceSeconds(6);
      const afterExpiry = await startSession(h, organization.organization_id, member.member_id);
      assert.equal(decodeJwt(afterExpiry.sessionJwt).header.kid, rotatedKid);
    });
  });
}
