import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Member, Organization } from "../../src/domain/types.js";
import { FakeClock, startHarness, type Harness } from "../support/harness.js";

describe("sessions/authenticate: no signature where none is needed", () => {
  const clock = new FakeClock();
  let h: Harness;
  let organization: Organization;
  let member: Member;

  before(async () => {
    h = await startHarness({ clock });
    organization = await h.app.services.organizations.create(h.project, { organization_name: "Reuse" });
    member = (await h.app.services.members.create(h.project, organization.organizationId, { email_address: "r@example.com" })).member;
  });
  after(() => h.close());

  const start = () =>
    h.app.services.sessions.start(h.project, organization, member, [
      { type: "magic_link", delivery_method: "email", last_authenticated_at: "2026-01-15T09:00:00Z", email_factor: { email_id: member.emailId, email_address: member.emailAddress } },
    ]);

  it("returns the session's current JWT while nothing changed and it has more than a minute left", async () => {
    const session = await start();
    clock.advanceSeconds(30);
    const first = await h.client.sessions.authenticate({ session_token: session.sessionToken });
    assert.equal(first.session_jwt, session.sessionJwt);
    clock.advanceSeconds(20);
    const second = await h.client.sessions.authenticate({ session_token: session.sessionToken });
    assert.equal(second.session_jwt, session.sessionJwt);
  });

  it("re-records last access once a minute has passed, and then mints a new JWT", async () => {
    const session = await start();
    clock.advanceSeconds(61);
    const later = await h.client.sessions.authenticate({ session_token: session.sessionToken });
    assert.notEqual(later.session_jwt, session.sessionJwt);
    assert.equal(Date.parse(later.member_session.last_accessed_at), Math.floor(clock.now() / 1000) * 1000);
  });

  it("mints a new JWT when the duration or the claims change", async () => {
    const session = await start();
    const extended = await h.client.sessions.authenticate({ session_token: session.sessionToken, session_duration_minutes: 90 });
    assert.notEqual(extended.session_jwt, session.sessionJwt);
    const claimed = await h.client.sessions.authenticate({ session_token: session.sessionToken, session_custom_claims: { k: 1 } });
    assert.notEqual(claimed.session_jwt, extended.session_jwt);
  });

  it("still refuses a revoked session: the database is read on every request", async () => {
    const session = await start();
    await h.client.sessions.authenticate({ session_token: session.sessionToken });
    await h.client.sessions.revoke({ member_session_id: session.session.sessionId });
    await assert.rejects(h.client.sessions.authenticate({ session_token: session.sessionToken }), (error: { error_type?: string }) => error.error_type === "session_not_found");
  });
});
