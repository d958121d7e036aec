/**
 * Two Tessera nodes on one PostgreSQL schema, for what saves round trips without changing what
 * the nodes decide together:
 * 1. the per-node project cache: a secret replaced through node A works on node B at once; the
 *    old one is refused on B once PROJECT_CACHE_TTL_MS has passed (the documented bound);
 * 2. rate-limit hits batched into one upsert: hits racing on both nodes, on one key, allow
 *    exactly the budget (no slack at all on PostgreSQL), and every caller sees its own count;
 * 3. security events batched into one INSERT: all stored, fewer round trips than events.
 *
 * Runs when TEST_DATABASE_URL is set; the schema is created for the run and dropped afterwards.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { PROJECT_CACHE_TTL_MS } from "../../src/services/projects.js";
import { roundTrips } from "../../src/store/round-trips.js";
import { testSchema } from "../support/postgres-schema.js";
import { FakeClock, sdkClient, startHarness, type Harness } from "../support/harness.js";

const databaseUrl = process.env.TEST_DATABASE_URL;

/** The HTTP status of an organization search through `client` (200, or the SDK error's). */
async function status(client: ReturnType<typeof sdkClient>): Promise<number> {
  try {
    await client.organizations.search({});
    return 200;
  } catch (error) {
    return (error as { status_code?: number }).status_code ?? -1;
  }
}

if (!databaseUrl) {
  it("batched writes and caches across two nodes", { skip: "TEST_DATABASE_URL is not set" }, () => {});
} else {
  describe("batched writes and caches across two PostgreSQL nodes", () => {
    const schema = testSchema(databaseUrl, "tessera_batches");
    const clock = new FakeClock();
    let nodeA: Harness;
    let nodeB: Harness;

    before(async () => {
      nodeA = await startHarness({ clock, env: { DATABASE_URL: schema.url } });
      nodeB = await startHarness({ clock, env: { DATABASE_URL: schema.url } });
    });

    after(async () => {
      await nodeA?.close();
      await nodeB?.close();
      await schema.drop();
    });

    it("a project secret replaced on node A: the new one works on B at once, the old one stops within the bound", async () => {
      const { projectId } = nodeA.project;
      const oldOnB = sdkClient(nodeB.baseUrl, projectId, nodeA.secret);
      assert.equal(await status(oldOnB), 200); // node B now remembers the project
      const newSecret = `secret-test-${randomBytes(24).toString("hex")}`;
      await nodeA.app.services.projects.ensure(projectId, newSecret);
      const newOnB = sdkClient(nodeB.baseUrl, projectId, newSecret);
      assert.equal(await status(newOnB), 200, "a new secret is checked against a fresh read");
      assert.equal(await status(sdkClient(nodeA.baseUrl, projectId, nodeA.secret)), 401, "node A forgets the old one at once");
      // B has read the row again for the new secret, so the old one is refused there already.
      assert.equal(await status(oldOnB), 401);
    });

    it("the old secret lingers on a node that has not read the project again only until the bound", async () => {
      const { projectId } = nodeB.project;
      const first = nodeB.secret;
      const oldOnA = sdkClient(nodeA.baseUrl, projectId, first);
      assert.equal(await status(oldOnA), 200);
      await nodeB.app.services.projects.ensure(projectId, `secret-test-${randomBytes(24).toString("hex")}`);
      clock.advanceSeconds(PROJECT_CACHE_TTL_MS / 1000 / 2);
      assert.equal(await status(oldOnA), 200, "within the bound node A still trusts what it read");
      clock.advanceSeconds(PROJECT_CACHE_TTL_MS / 1000);
      assert.equal(await status(oldOnA), 401, "past the bound node A reads the project again");
    });

    it("rate-limit hits racing on two nodes allow exactly the budget", async () => {
      const key = `test|race|${randomBytes(4).toString("hex")}`;
      const limit = 30;
      const now = clock.now();
      const storeA = nodeA.app.services.context.store;
      const storeB = nodeB.app.services.context.store;
      const tripsBefore = roundTrips.total();
      const hits = await Promise.all(
        Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? storeA : storeB).hitRateLimit(key, 60_000, limit, now)),
      );
      const trips = roundTrips.total() - tripsBefore;
      assert.equal(hits.filter((hit) => hit.allowed).length, limit);
      assert.ok(hits.filter((hit) => !hit.allowed).every((hit) => hit.retryAfterMs > 0 && hit.retryAfterMs <= 60_000));
      assert.ok(trips <= 2, `50 hits in one turn of the event loop: one upsert per node, not ${trips} round trips`);
      // One after the other now: the count goes on from 50.
      assert.deepEqual(await storeA.hitRateLimit(key, 60_000, 51, now), { allowed: true, retryAfterMs: 0 });
      assert.equal((await storeB.hitRateLimit(key, 60_000, 51, now)).allowed, false);
    });

    it("security events of concurrent requests share INSERTs and are all stored", async () => {
      const store = nodeA.app.services.context.store;
      const requestId = `request-batch-${randomBytes(4).toString("hex")}`;
      const tripsBefore = roundTrips.total();
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          store.recordSecurityEvent({
            eventId: `event-test-${requestId}-${index}`,
            projectId: nodeA.project.projectId,
            requestId,
            kind: "authentication",
            outcome: "session",
            reason: "",
            route: "/test",
            organizationId: "",
            memberId: "",
            sessionIdHash: "",
            ipAddress: "127.0.0.1",
            userAgent: index === 7 ? "bad\u0000agent" : "test",
            createdAt: clock.now(),
          }).catch((error: unknown) => error),
        ),
      );
      const trips = roundTrips.total() - tripsBefore;
      const stored = (await store.listSecurityEvents(nodeA.project.projectId, { limit: 1000 })).filter((event) => event.requestId === requestId);
      // The one event PostgreSQL refuses (a NUL byte in text) does not take the other 19 with it.
      assert.equal(stored.length, 19);
      assert.ok(trips < 20 + 2, `${trips} round trips for 20 events`);
    });
  });
}
