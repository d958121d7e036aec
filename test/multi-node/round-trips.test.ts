/**
 * Database round trips per request on PostgreSQL, pinned per scenario: the count a request sends
 * does not depend on load or timing, so it is asserted exactly (the per-route counter of
 * `/metrics`, which counts inside the request's own async scope). A change that adds a round trip
 * to a hot path fails here; one that removes one updates the pin (and docs/postgresql.md).
 *
 * Runs when TEST_DATABASE_URL is set; the schema is created for the run and dropped afterwards.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthenticationFactor, Member, Organization } from "../../src/domain/types.js";
import { testSchema } from "../support/postgres-schema.js";
import { FakeClock, startHarness, type Harness } from "../support/harness.js";

const databaseUrl = process.env.TEST_DATABASE_URL;

/**
 * Round trips pinned per scenario. Before this was counted: authenticate 11 / 9, exchange 13.
 * authenticate: rate-limit counters (one batched upsert), session with its organization and
 * member read ahead in the same statement, SCIM groups, audit event (batched with concurrent
 * requests' events); the project is cached for
 * PROJECT_CACHE_TTL_MS. When due: the last-access touch, and after a clock jump of minutes the
 * project and signing keys are read again.
 * exchange: rate-limit counters, session (+ the origin member read ahead), target organization,
 * target member, the new session guarded
 * by the origin's liveness (one statement), audit event.
 */
const EXPECTED_ROUND_TRIPS = {
  authenticateTokenAfterTwoMinutes: 7,
  authenticateTokenWithinAMinute: 4,
  authenticateJwt: 4,
  exchange: 6,
};

async function roundTripsOf(h: Harness, route: string): Promise<number> {
  const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
  const line = text.split("\n").find((entry) => entry.startsWith(`tessera_db_round_trips_total{method="POST",route="${route}"}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

/** Round trips the one request `send` makes to `route` took. */
async function measure(h: Harness, route: string, send: () => Promise<unknown>): Promise<number> {
  const before = await roundTripsOf(h, route);
  await send();
  // What the request left to the background (its audit event) is sent on the next turns.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return (await roundTripsOf(h, route)) - before;
}

if (!databaseUrl) {
  it("database round trips per request", { skip: "TEST_DATABASE_URL is not set" }, () => {});
} else {
  describe("database round trips per request on PostgreSQL", () => {
    const schema = testSchema(databaseUrl, "tessera_roundtrips");
    const clock = new FakeClock();
    let h: Harness;
    let orgA: Organization;
    let orgB: Organization;
    let memberA: Member;

    const factor = (member: Member): AuthenticationFactor => ({
      type: "magic_link",
      delivery_method: "email",
      last_authenticated_at: new Date(clock.now()).toISOString(),
      email_factor: { email_id: member.emailId, email_address: member.emailAddress },
    });

    before(async () => {
      h = await startHarness({ clock, env: { DATABASE_URL: schema.url } });
      orgA = await h.app.services.organizations.create(h.project, { organization_name: "A", organization_slug: "rt-a" });
      orgB = await h.app.services.organizations.create(h.project, { organization_name: "B", organization_slug: "rt-b" });
      memberA = (await h.app.services.members.create(h.project, orgA.organizationId, { email_address: "ada@example.com" })).member;
      await h.app.services.members.create(h.project, orgB.organizationId, { email_address: "ada@example.com" });
      // Warm-up: the first request reads what later ones find cached (signing keys).
      const warm = await h.app.services.sessions.start(h.project, orgA, memberA, [factor(memberA)], {});
      await h.client.sessions.authenticate({ session_token: warm.sessionToken });
    });

    after(async () => {
      await h?.close();
      await schema.drop();
    });

    it("sessions/authenticate with a session token", async () => {
      const started = await h.app.services.sessions.start(h.project, orgA, memberA, [factor(memberA)], {});
      clock.advanceMinutes(2);
      // Last access is due (older than a minute): the touch is one of the round trips.
      assert.equal(
        await measure(h, "/v1/b2b/sessions/authenticate", () => h.client.sessions.authenticate({ session_token: started.sessionToken })),
        EXPECTED_ROUND_TRIPS.authenticateTokenAfterTwoMinutes,
      );
      assert.equal(
        await measure(h, "/v1/b2b/sessions/authenticate", () => h.client.sessions.authenticate({ session_token: started.sessionToken })),
        EXPECTED_ROUND_TRIPS.authenticateTokenWithinAMinute,
      );
    });

    it("what was read ahead is what a read of its own gives", async () => {
      const started = await h.app.services.sessions.start(h.project, orgA, memberA, [factor(memberA)], {});
      const authenticated = await h.client.sessions.authenticate({ session_token: started.sessionToken });
      const { member } = await h.client.organizations.members.get({ organization_id: orgA.organizationId, member_id: memberA.memberId });
      const { organization } = await h.client.organizations.get({ organization_id: orgA.organizationId });
      assert.deepEqual(authenticated.member, member);
      assert.deepEqual(authenticated.organization, organization);
    });

    it("sessions/authenticate with a session JWT", async () => {
      const started = await h.app.services.sessions.start(h.project, orgA, memberA, [factor(memberA)], {});
      const first = await h.client.sessions.authenticate({ session_token: started.sessionToken });
      assert.equal(
        await measure(h, "/v1/b2b/sessions/authenticate", () => h.client.sessions.authenticate({ session_jwt: first.session_jwt })),
        EXPECTED_ROUND_TRIPS.authenticateJwt,
      );
    });

    it("sessions/exchange, no-MFA path", async () => {
      const started = await h.app.services.sessions.start(h.project, orgA, memberA, [factor(memberA)], {});
      let exchanged: { member_authenticated: boolean } | undefined;
      assert.equal(
        await measure(h, "/v1/b2b/sessions/exchange", async () => {
          exchanged = await h.client.sessions.exchange({ session_token: started.sessionToken, organization_id: orgB.organizationId });
        }),
        EXPECTED_ROUND_TRIPS.exchange,
      );
      assert.equal(exchanged?.member_authenticated, true);
    });
  });
}
