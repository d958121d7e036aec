import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Member, Organization } from "../../src/domain/types.js";
import { expectStytchError, FakeClock, startHarness, type Harness } from "../support/harness.js";

describe("rate limits on exchange (per source session, shared through the database)", () => {
  const clock = new FakeClock(Date.parse("2026-01-15T10:00:00Z"));
  let h: Harness;
  let orgA: Organization;
  let orgB: Organization;
  let member: Member;

  before(async () => {
    // 0.05 × 120 per minute = 6 exchanges per session per minute.
    h = await startHarness({ clock, env: { RATE_LIMIT_SCALE: "0.05" } });
    orgA = await h.app.services.organizations.create(h.project, { organization_name: "Limits A" });
    orgB = await h.app.services.organizations.create(h.project, { organization_name: "Limits B" });
    member = (await h.app.services.members.create(h.project, orgA.organizationId, { email_address: "rl@example.com" })).member;
    await h.app.services.members.create(h.project, orgB.organizationId, { email_address: "rl@example.com" });
  });
  after(() => h.close());

  const start = () =>
    h.app.services.sessions.start(h.project, orgA, member, [
      { type: "magic_link", delivery_method: "email", last_authenticated_at: "2026-01-15T09:00:00Z", email_factor: { email_id: member.emailId, email_address: member.emailAddress } },
    ]);

  it("answers 429 too_many_requests with Retry-After once a session's budget is spent, and counts no other session", async () => {
    const session = await start();
    const exchange = (token: string) => h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: orgB.organizationId, session_token: token });
    for (let i = 0; i < 6; i++) assert.equal((await exchange(session.sessionToken)).status, 200);
    const refused = await exchange(session.sessionToken);
    expectStytchError(refused.body, 429, "too_many_requests");
    assert.equal(refused.headers.get("retry-after"), "60");
    const other = await start();
    assert.equal((await exchange(other.sessionToken)).status, 200);
    // A new window opens a new budget.
    clock.advanceSeconds(60);
    assert.equal((await exchange(session.sessionToken)).status, 200);
  });

  it("keeps tokens out of the counters' keys", async () => {
    const session = await start();
    await h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: orgB.organizationId, session_token: session.sessionToken });
    h.app.services.context.store.close();
    const { readFileSync } = await import("node:fs");
    const bytes = Buffer.concat([readFileSync(h.databasePath), ...(["-wal"].map((suffix) => {
      try {
        return readFileSync(h.databasePath + suffix);
      } catch {
        return Buffer.alloc(0);
      }
    }))]);
    assert.equal(bytes.includes(Buffer.from(session.sessionToken)), false);
  });
});
