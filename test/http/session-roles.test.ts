import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Organization } from "../../src/domain/types.js";
import { expectStytchError, startHarness, type Harness } from "../support/harness.js";

describe("sessions follow the member's current roles", () => {
  let h: Harness;
  let organization: Organization;

  before(async () => {
    h = await startHarness();
    organization = await h.app.services.organizations.create(h.project, { organization_name: "Roles" });
  });
  after(() => h.close());

  it("drops a role taken from the member on the next authenticate, in the session and its JWT", async () => {
    const { member } = await h.app.services.members.create(h.project, organization.organizationId, { email_address: "admin@example.com", roles: ["stytch_admin"] });
    const started = await h.app.services.sessions.start(h.project, organization, member, [
      { type: "magic_link", delivery_method: "email", last_authenticated_at: "2026-01-15T09:00:00Z", email_factor: { email_id: member.emailId, email_address: member.emailAddress } },
    ]);
    assert.deepEqual(started.session.roles, ["stytch_member", "stytch_admin"]);
    await h.client.organizations.members.update({ organization_id: organization.organizationId, member_id: member.memberId, roles: [] });
    const after = await h.client.sessions.authenticate({ session_token: started.sessionToken });
    assert.deepEqual(after.member_session.roles, ["stytch_member"]);
    const local = await h.client.sessions.authenticateJwtLocal({ session_jwt: after.session_jwt });
    assert.deepEqual(local.roles, ["stytch_member"]);
    const listed = await h.client.sessions.get({ organization_id: organization.organizationId, member_id: member.memberId });
    assert.deepEqual(listed.member_sessions[0]?.roles, ["stytch_member"]);
  });

  it("answers revoke by an unknown member_id with member_not_found", async () => {
    const response = await h.request("POST", "/v1/b2b/sessions/revoke", { member_id: "member-test-00000000-0000-4000-8000-000000000000" });
    expectStytchError(response.body, 404, "member_not_found");
  });
});

describe("small contract details", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("derives a distinct slug when two organizations share a name and give none", async () => {
    const first = await h.client.organizations.create({ organization_name: "Same Name" });
    const second = await h.client.organizations.create({ organization_name: "Same Name" });
    assert.equal(first.organization.organization_slug, "same-name");
    assert.match(second.organization.organization_slug, /^same-name-[0-9a-f]{6}$/);
  });

  it("keeps a slug the caller chose: a taken one is a conflict", async () => {
    await h.client.organizations.create({ organization_name: "Chosen", organization_slug: "chosen" });
    await assert.rejects(h.client.organizations.create({ organization_name: "Chosen 2", organization_slug: "chosen" }), (error: { error_type?: string }) => error.error_type === "organization_slug_already_used");
  });

  it("stores a new spelling of the same email address without unverifying it", async () => {
    const organization = await h.app.services.organizations.create(h.project, { organization_name: "Spelling" });
    const { member } = await h.app.services.members.create(h.project, organization.organizationId, { email_address: "ada@example.com" });
    await h.app.services.context.store.updateMember({ ...member, emailAddressVerified: true });
    const updated = await h.client.organizations.members.update({ organization_id: organization.organizationId, member_id: member.memberId, email_address: "Ada@Example.com" });
    assert.equal(updated.member.email_address, "Ada@Example.com");
    assert.equal(updated.member.email_address_verified, true);
  });
});
