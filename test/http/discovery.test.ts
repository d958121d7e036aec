import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthenticationFactor, Member, Organization } from "../../src/domain/types.js";
import { expectStytchError, FakeClock, startHarness, type Harness } from "../support/harness.js";

const AT = "2026-01-15T09:00:00Z";

function emailFactor(email: string): AuthenticationFactor {
  return { type: "magic_link", delivery_method: "email", last_authenticated_at: AT, email_factor: { email_id: "", email_address: email } };
}

describe("discovery", () => {
  const clock = new FakeClock();
  let h: Harness;
  let active: Organization;
  let invitedOrg: Organization;
  let byDomain: Organization;
  let mfaOrg: Organization;
  let activeMember: Member;
  let counter = 0;

  /** A discovery intermediate session (as the discovery email flows create) for `email`. */
  async function discoverySession(email: string, factors: AuthenticationFactor[] = [emailFactor(email)]): Promise<string> {
    const started = h.app.services.discovery.newDiscoverySession(h.project, email, factors);
    const result = await h.app.services.context.store.commit([started.change]);
    assert.equal(result.ok, true);
    return started.token;
  }

  const person = () => `grace${counter++}@acme.io`;

  before(async () => {
    h = await startHarness({ clock });
    const { organizations } = h.app.services;
    active = await organizations.create(h.project, { organization_name: "Active Org", organization_slug: "active-org" });
    invitedOrg = await organizations.create(h.project, { organization_name: "Invited Org" });
    byDomain = await organizations.create(h.project, {
      organization_name: "Acme",
      email_jit_provisioning: "RESTRICTED",
      email_allowed_domains: ["acme.io"],
    });
    mfaOrg = await organizations.create(h.project, { organization_name: "MFA Org", mfa_policy: "REQUIRED_FOR_ALL" });
  });
  after(() => h.close());

  async function memberships(email: string) {
    activeMember = (await h.app.services.members.create(h.project, active.organizationId, { email_address: email })).member;
    const invited = (await h.app.services.members.create(h.project, invitedOrg.organizationId, { email_address: email })).member;
    await h.app.services.context.store.updateMember({ ...invited, status: "invited" });
    await h.app.services.members.create(h.project, mfaOrg.organizationId, { email_address: email });
    return invited;
  }

  it("lists memberships and organizations joinable by email domain for a discovery session", async () => {
    const email = person();
    await memberships(email);
    const token = await discoverySession(email);
    const response = await h.client.discovery.organizations.list({ intermediate_session_token: token });
    assert.equal(response.email_address, email);
    assert.equal(response.organization_id_hint, null);
    const byId = new Map(response.discovered_organizations.map((entry) => [entry.organization!.organization_id, entry]));
    assert.equal(byId.get(active.organizationId)?.membership?.type, "active_member");
    assert.equal(byId.get(active.organizationId)?.member_authenticated, true);
    assert.equal(byId.get(invitedOrg.organizationId)?.membership?.type, "invited_member");
    const domainEntry = byId.get(byDomain.organizationId);
    assert.equal(domainEntry?.membership?.type, "eligible_to_join_by_email_domain");
    assert.deepEqual(domainEntry?.membership?.details, { domain: "acme.io" });
    assert.equal(domainEntry?.membership?.member, null);
    const mfaEntry = byId.get(mfaOrg.organizationId);
    assert.equal(mfaEntry?.member_authenticated, false);
    assert.equal(mfaEntry?.mfa_required?.secondary_auth_initiated, null);
  });

  it("lists only memberships for a session, and refuses a dead session", async () => {
    const email = person();
    await memberships(email);
    const session = await h.app.services.sessions.start(h.project, active, activeMember, [emailFactor(email)]);
    const response = await h.client.discovery.organizations.list({ session_token: session.sessionToken });
    const types = response.discovered_organizations.map((entry) => entry.membership?.type).sort();
    assert.deepEqual(types, ["active_member", "active_member", "invited_member"]);
    await h.client.sessions.revoke({ session_token: session.sessionToken });
    const dead = await h.request("POST", "/v1/b2b/discovery/organizations", { session_token: session.sessionToken });
    expectStytchError(dead.body, 404, "session_not_found");
  });

  it("enters an organization with the intermediate session, accepting the invitation, and consumes the token", async () => {
    const email = person();
    const invited = await memberships(email);
    const token = await discoverySession(email);
    const response = await h.client.discovery.intermediateSessions.exchange({
      intermediate_session_token: token,
      organization_id: invitedOrg.organizationId,
      session_duration_minutes: 30,
    });
    assert.equal(response.member_authenticated, true);
    assert.equal(response.member.member_id, invited.memberId);
    assert.equal(response.member.status, "active");
    assert.equal((await h.client.sessions.authenticate({ session_token: response.session_token })).member.member_id, invited.memberId);
    const again = await h.request("POST", "/v1/b2b/discovery/intermediate_sessions/exchange", {
      intermediate_session_token: token,
      organization_id: invitedOrg.organizationId,
    });
    expectStytchError(again.body, 404, "intermediate_session_not_found");
  });

  it("verifies an existing member's email when the intermediate session's factors prove it, in the same commit", async () => {
    const email = person();
    const invited = await memberships(email);
    assert.equal(invited.emailAddressVerified, false);
    const token = await discoverySession(email);
    const response = await h.client.discovery.intermediateSessions.exchange({ intermediate_session_token: token, organization_id: invitedOrg.organizationId });
    assert.equal(response.member.email_address_verified, true);
    assert.equal((await h.app.services.members.get(h.project, invitedOrg, invited.memberId)).emailAddressVerified, true);

    // A factor that does not prove the address (a password, say) carries nothing and verifies nothing.
    const other = person();
    const { member } = await h.app.services.members.create(h.project, invitedOrg.organizationId, { email_address: other });
    const unproven = await discoverySession(other, [{ type: "password", delivery_method: "knowledge", last_authenticated_at: AT }]);
    const stepUp = await h.client.discovery.intermediateSessions.exchange({ intermediate_session_token: unproven, organization_id: invitedOrg.organizationId });
    assert.equal(stepUp.member_authenticated, false);
    assert.equal(stepUp.member.email_address_verified, false);
    assert.equal((await h.app.services.members.get(h.project, invitedOrg, member.memberId)).emailAddressVerified, false);
  });

  it("JIT-provisions a member by email domain when the organization allows it", async () => {
    const email = person();
    const token = await discoverySession(email);
    const response = await h.client.discovery.intermediateSessions.exchange({ intermediate_session_token: token, organization_id: byDomain.organizationId });
    assert.equal(response.member_authenticated, true);
    assert.equal(response.member.email_address, email);
    assert.equal(response.member.email_address_verified, true);
  });

  it("refuses JIT provisioning where the domain is not allowed", async () => {
    const token = await discoverySession("someone@elsewhere.io");
    const response = await h.request("POST", "/v1/b2b/discovery/intermediate_sessions/exchange", {
      intermediate_session_token: token,
      organization_id: byDomain.organizationId,
    });
    expectStytchError(response.body, 404, "member_not_found");
  });

  it("returns the same intermediate session token, now bound, when the organization needs MFA", async () => {
    const email = person();
    await memberships(email);
    const token = await discoverySession(email);
    const response = await h.client.discovery.intermediateSessions.exchange({ intermediate_session_token: token, organization_id: mfaOrg.organizationId });
    assert.equal(response.member_authenticated, false);
    assert.equal(response.intermediate_session_token, token);
    assert.notEqual(response.mfa_required, null);
    const listed = await h.client.discovery.organizations.list({ intermediate_session_token: token });
    assert.equal(listed.organization_id_hint, mfaOrg.organizationId);
  });

  it("creates an organization with the person as its first admin", async () => {
    const email = person();
    const token = await discoverySession(email);
    const response = await h.client.discovery.organizations.create({
      intermediate_session_token: token,
      organization_name: "Fresh Co",
      organization_slug: `fresh-co-${counter}`,
    });
    assert.equal(response.member_authenticated, true);
    assert.equal(response.organization.organization_name, "Fresh Co");
    assert.equal(response.member.is_admin, true);
    assert.ok(response.member.roles.some((role) => role.role_id === "stytch_admin"));
    assert.ok(response.member_session?.roles.includes("stytch_admin"));
  });

  it("derives the organization's name from the email's domain when none is given", async () => {
    const token = await discoverySession("lin@widgets.example");
    const response = await h.client.discovery.organizations.create({ intermediate_session_token: token });
    assert.equal(response.organization.organization_name, "widgets.example");
  });

  it("refuses a taken slug with the catalogue's conflict error and consumes nothing", async () => {
    const email = person();
    const token = await discoverySession(email);
    const response = await h.request("POST", "/v1/b2b/discovery/organizations/create", {
      intermediate_session_token: token,
      organization_name: "Dup",
      organization_slug: "active-org",
    });
    expectStytchError(response.body, 409, "organization_slug_already_used");
    const retry = await h.client.discovery.organizations.create({ intermediate_session_token: token, organization_name: "Dup", organization_slug: `dup-${counter}` });
    assert.equal(retry.member_authenticated, true);
  });

  it("answers an expired intermediate session with intermediate_session_not_found", async () => {
    const token = await discoverySession(person());
    clock.advanceMinutes(11);
    const response = await h.request("POST", "/v1/b2b/discovery/organizations", { intermediate_session_token: token });
    expectStytchError(response.body, 404, "intermediate_session_not_found");
  });
});
