/**
 * Database outages (SEC-AV-2, SEC-AV-4, ASVS 16.5.2/16.5.3): while another process holds the
 * SQLite write lock, requests that must write get a fast 503 `service_unavailable` in Stytch's
 * shape with `Retry-After`, /readyz turns red and /healthz stays green; when the lock is released
 * the same server recovers by itself, every request the clients retried succeeds, and nothing
 * acknowledged is missing (checked by the invariant checker).
 *
 * Runs only with TESSERA_CHAOS=1 (`npm run test:chaos`); `npm test` reports it as skipped.
 */
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildServices } from "../../src/app.js";
import { systemRandom } from "../../src/crypto/random.js";
import { systemClock } from "../../src/domain/time.js";
import type { AuthenticationFactor, Member } from "../../src/domain/types.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { startServer, type ChildServer } from "../support/child-server.js";
import { checkInvariants, emptyLedger, type Ledger } from "../support/invariants.js";

const CHAOS = process.env.TESSERA_CHAOS === "1";
const PROJECT_ID = "project-test-22222222-3333-4444-8555-666666666666";
const SECRET = "outage-secret-0123456789abcdef";
const AUTH = `Basic ${Buffer.from(`${PROJECT_ID}:${SECRET}`).toString("base64")}`;
/** The server's normal wait for the write lock; only the first request of an outage may take it. */
const BUSY_TIMEOUT_MS = 5000;
const FAST_MS = 1000;

const factor = (member: Member): AuthenticationFactor => ({
  type: "magic_link",
  delivery_method: "email",
  last_authenticated_at: "2026-01-15T09:30:00Z",
  email_factor: { email_id: member.emailId, email_address: member.emailAddress },
});

interface Timed {
  status: number;
  body: Record<string, any>;
  retryAfter: string | null;
  ms: number;
}

async function request(baseUrl: string, method: string, path: string, body?: unknown): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: AUTH, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), retryAfter: response.headers.get("retry-after"), ms: performance.now() - started };
}

describe("chaos: database outage (SQLite write lock held by another process)", { skip: CHAOS ? false : "outage tests run with `npm run test:chaos` (TESSERA_CHAOS=1)" }, () => {
  const directory = mkdtempSync(join(tmpdir(), "tessera-outage-"));
  const databasePath = join(directory, "tessera.db");
  const ledger: Ledger = emptyLedger();
  const sources: { token: string; targetMemberId: string }[] = [];
  const revocable: string[] = [];
  const discovery: string[] = [];
  let orgB = "";
  let orgDisc = "";
  let server: ChildServer;
  const figures = { journeys: 0, succeeded: 0, lost: 0, unavailable: 0, slowUnavailable: 0, serverErrorsOtherThan503: 0, maxUnavailableMs: 0 };

  before(async () => {
    const store = new SqliteStore(databasePath);
    await store.migrate();
    const services = buildServices(store, systemClock, systemRandom);
    const project = await services.projects.ensure(PROJECT_ID, SECRET);
    const orgA = await services.organizations.create(project, { organization_name: "Outage A" });
    orgB = (await services.organizations.create(project, { organization_name: "Outage B" })).organizationId;
    orgDisc = (await services.organizations.create(project, { organization_name: "Outage Discovery" })).organizationId;
    for (let i = 0; i < 12; i++) {
      const email = `p${i}@outage.test`;
      const memberA = (await services.members.create(project, orgA.organizationId, { email_address: email })).member;
      const memberB = (await services.members.create(project, orgB, { email_address: email })).member;
      const one = await services.sessions.start(project, orgA, memberA, [factor(memberA)], { durationMinutes: 600 });
      const two = await services.sessions.start(project, orgA, memberA, [factor(memberA)], { durationMinutes: 600 });
      sources.push({ token: one.sessionToken, targetMemberId: memberB.memberId });
      revocable.push(two.sessionToken);
      const discMember = (await services.members.create(project, orgDisc, { email_address: `d${i}@outage.test` })).member;
      const ist = services.discovery.newDiscoverySession(project, discMember.emailAddress, [factor(discMember)]);
      assert.equal((await store.commit([ist.change])).ok, true);
      ledger.discovery.set(ist.token, { memberId: discMember.memberId });
      discovery.push(ist.token);
    }
    await store.close();
    server = await startServer({ databasePath, projectId: PROJECT_ID, secret: SECRET });
  });

  after(async () => {
    await server?.kill("SIGKILL");
    rmSync(directory, { recursive: true, force: true });
    console.log(
      `# chaos outage: ${figures.journeys} client requests during the outage, ${figures.succeeded} succeeded after retries, ${figures.lost} lost, ` +
        `${figures.unavailable} 503s (once detected: max ${Math.round(figures.maxUnavailableMs)} ms, ${figures.slowUnavailable} slower than ${FAST_MS} ms), ` +
        `${figures.serverErrorsOtherThan503} other 5xx`,
    );
  });

  /** When the first 503 reached a client: requests sent after it must be answered fast. */
  let firstUnavailableAt = Number.POSITIVE_INFINITY;

  /** One client request, retried on 503 after Retry-After until it is answered otherwise (at most 60 tries). */
  async function withRetries(method: string, path: string, body: unknown): Promise<Timed> {
    for (let attempt = 0; attempt < 60; attempt++) {
      const sentAt = performance.now();
      const response = await request(server.baseUrl, method, path, body);
      if (response.status !== 503) {
        if (response.status >= 500) figures.serverErrorsOtherThan503++;
        return response;
      }
      figures.unavailable++;
      firstUnavailableAt = Math.min(firstUnavailableAt, performance.now());
      if (sentAt > firstUnavailableAt) {
        figures.maxUnavailableMs = Math.max(figures.maxUnavailableMs, response.ms);
        if (response.ms > FAST_MS) figures.slowUnavailable++;
      }
      assert.deepEqual(Object.keys(response.body).sort(), ["error_message", "error_type", "error_url", "request_id", "status_code"]);
      assert.equal(response.body.error_type, "service_unavailable");
      assert.equal(response.body.status_code, 503);
      assert.match(response.retryAfter ?? "", /^\d+$/, "503 without Retry-After");
      await sleep(Number(response.retryAfter) * 1000);
    }
    throw new Error(`${path}: still 503 after 60 tries`);
  }

  it("is ready before the outage", async () => {
    assert.equal((await request(server.baseUrl, "GET", "/readyz")).status, 200);
  });

  it("answers fast 503s with Retry-After while the lock is held, stays live, and loses nothing once it is released", async () => {
    const locker = new Database(databasePath);
    locker.pragma("busy_timeout = 5000");
    locker.exec("BEGIN IMMEDIATE");
    const lockedAt = performance.now();
    let released = false;
    try {
      // Clients start working during the outage and retry as told.
      const journeys: Promise<void>[] = [];
      sources.forEach((source, index) => {
        figures.journeys += 3;
        journeys.push(
          (async () => {
            const response = await withRetries("POST", "/v1/b2b/sessions/exchange", { organization_id: orgB, session_token: source.token });
            assert.equal(response.status, 200, JSON.stringify(response.body));
            ledger.sessions.set(response.body.session_token, { memberId: source.targetMemberId });
            figures.succeeded++;
          })(),
          (async () => {
            const token = revocable[index]!;
            ledger.revokeAttempted.add(token);
            const response = await withRetries("POST", "/v1/b2b/sessions/revoke", { session_token: token });
            assert.equal(response.status, 200, JSON.stringify(response.body));
            ledger.revoked.add(token);
            figures.succeeded++;
          })(),
          (async () => {
            const token = discovery[index]!;
            const response = await withRetries("POST", "/v1/b2b/discovery/intermediate_sessions/exchange", { intermediate_session_token: token, organization_id: orgDisc });
            assert.equal(response.status, 200, JSON.stringify(response.body));
            ledger.discoveryAcknowledged.add(token);
            ledger.sessions.set(response.body.session_token, { memberId: ledger.discovery.get(token)!.memberId });
            figures.succeeded++;
          })(),
        );
      });

      // Let the first request use up the normal wait, then probe the server during the outage.
      await sleep(BUSY_TIMEOUT_MS + 1500);
      try {
      const ready = await request(server.baseUrl, "GET", "/readyz");
      assert.equal(ready.status, 503, "readyz must be red during the outage");
      assert.equal(ready.body.error_type, "service_unavailable");
      assert.match(ready.retryAfter ?? "", /^\d+$/);
      assert.ok(ready.ms < FAST_MS, `readyz took ${Math.round(ready.ms)} ms`);
      const live = await request(server.baseUrl, "GET", "/healthz");
      assert.equal(live.status, 200, "healthz must stay green (no restart loops)");
      assert.ok(live.ms < FAST_MS, `healthz took ${Math.round(live.ms)} ms`);
      const probe = await request(server.baseUrl, "POST", "/v1/b2b/sessions/exchange", { organization_id: orgB, session_token: sources[0]!.token });
      assert.equal(probe.status, 503);
      assert.ok(probe.ms < FAST_MS, `a 503 during the outage took ${Math.round(probe.ms)} ms`);
        assert.ok(performance.now() - lockedAt > BUSY_TIMEOUT_MS);
      } finally {
        locker.exec("ROLLBACK");
        released = true;
        // Every client journey finishes (or fails) before the test does.
        const outcomes = await Promise.allSettled(journeys);
        const failed = outcomes.filter((outcome) => outcome.status === "rejected");
        assert.deepEqual(failed, [], "client requests failed after the database came back");
      }
    } finally {
      if (!released) locker.exec("ROLLBACK");
      locker.close();
    }
    figures.lost = figures.journeys - figures.succeeded;
    assert.equal(figures.lost, 0);
    // Requests queued behind the first timeout waited for it; every one sent after the first 503 is fast.
    assert.equal(figures.slowUnavailable, 0, `${figures.slowUnavailable} slow 503s after the outage was detected`);
    assert.equal(figures.serverErrorsOtherThan503, 0);
  });

  it("recovers by itself: ready again, and every acknowledged write is there", async () => {
    const ready = await request(server.baseUrl, "GET", "/readyz");
    assert.equal(ready.status, 200);
    const report = checkInvariants(databasePath, ledger);
    assert.deepEqual(report.violations, []);
    for (const token of ledger.revoked) {
      assert.equal((await request(server.baseUrl, "POST", "/v1/b2b/sessions/authenticate", { session_token: token })).status, 404);
    }
    for (const token of ledger.sessions.keys()) {
      assert.equal((await request(server.baseUrl, "POST", "/v1/b2b/sessions/authenticate", { session_token: token })).status, 200);
    }
  });

  it("a file the server cannot open: not testable here as root (permissions do not bind root)", { skip: process.getuid?.() === 0 ? "running as root" : false }, async () => {
    // Placeholder for non-root CI: chmod 000 the file and expect a start-up failure with a clear message.
  });
});
