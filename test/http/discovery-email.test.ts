import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Organization } from "../../src/domain/types.js";
import { expectStytchError, FakeClock, startHarness, type Harness } from "../support/harness.js";
import { expectSdkError, latestMessage } from "./login-helpers.js";

const MAGIC_SEND = "/v1/b2b/magic_links/email/discovery/send";
const MAGIC_AUTH = "/v1/b2b/magic_links/discovery/authenticate";

describe("discovery email flows (magic link and email OTP)", () => {
  const clock = new FakeClock();
  let h: Harness;
  let home: Organization;
  let invitedOrg: Organization;
  let byDomain: Organization;
  let mfaOrg: Organization;
  let counter = 0;

  /** A fresh address at the domain `byDomain` accepts; each test its own, so the 1/s send limit never bites across tests. */
  const person = (prefix = "dana") => `${prefix}${counter++}@initech.test`;

  before(async () => {
    h = await startHarness({ clock });
    const { organizations } = h.app.services;
    home = await organizations.create(h.project, { organization_name: "Home Org", organization_slug: "home-org" });
    invitedOrg = await organizations.create(h.project, { organization_name: "Invited Org", organization_slug: "invited-org" });
    byDomain = await organizations.create(h.project, {
      organization_name: "Initech",
      organization_slug: "initech",
      email_jit_provisioning: "RESTRICTED",
      email_allowed_domains: ["initech.test"],
    });
    mfaOrg = await organizations.create(h.project, { organization_name: "Strict Org", organization_slug: "strict-org", mfa_policy: "REQUIRED_FOR_ALL" });
  });
  after(() => h.close());

  /** Active in `home` and `mfaOrg`, invited (email unverified) to `invitedOrg`. */
  async function memberships(email: string) {
    const { members, context } = h.app.services;
    const active = (await members.create(h.project, home.organizationId, { email_address: email })).member;
    const invited = (await members.create(h.project, invitedOrg.organizationId, { email_address: email })).member;
    await context.store.updateMember({ ...invited, status: "invited" });
    await members.create(h.project, mfaOrg.organizationId, { email_address: email });
    return { active, invited };
  }

  /** Sends a discovery link to `email` and returns the token the email carries. */
  async function discoveryLink(email: string, extra: Record<string, unknown> = {}): Promise<string> {
    const sent = await h.client.magicLinks.email.discovery.send({ email_address: email, ...extra });
    assert.equal(sent.status_code, 200);
    return (await latestMessage(h, email)).magic_links_token;
  }

  it("magic link: send → outbox → authenticate → organizations.list → exchange into one organization → sessions.authenticate", async () => {
    const email = person();
    const { active } = await memberships(email);

    const sent = await h.client.magicLinks.email.discovery.send({ email_address: email });
    assert.deepEqual(Object.keys(sent).sort(), ["request_id", "status_code"], "the send reveals nothing about memberships");
    const message = await latestMessage(h, email);
    assert.equal(message.channel, "email");
    assert.equal(message.locale, "en");
    assert.equal(message.subject, "Log in to harness", "no organization yet: the email names the project");
    const token: string = message.magic_links_token;
    assert.ok(token.length >= 43);
    assert.ok(message.body.includes(`http://localhost:3000/authenticate?stytch_token_type=discovery&token=${token}`), "default redirect URL");
    assert.match(message.body, /1 hour/);

    const auth = await h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token });
    assert.equal(auth.status_code, 200);
    assert.equal(auth.email_address, email);
    assert.ok(auth.intermediate_session_token.length >= 43);
    assert.equal(auth.intermediate_session_token_expires_at, new Date(clock.now() + 10 * 60_000).toISOString().replace(".000Z", "Z"));
    const byId = new Map(auth.discovered_organizations.map((entry) => [entry.organization!.organization_id, entry]));
    assert.equal(byId.get(home.organizationId)?.membership?.type, "active_member");
    assert.equal(byId.get(home.organizationId)?.member_authenticated, true);
    assert.equal(byId.get(home.organizationId)?.membership?.member?.member_id, active.memberId);
    assert.equal(byId.get(invitedOrg.organizationId)?.membership?.type, "invited_member");
    assert.equal(byId.get(byDomain.organizationId)?.membership?.type, "eligible_to_join_by_email_domain");
    assert.deepEqual(byId.get(byDomain.organizationId)?.membership?.details, { domain: "initech.test" });
    assert.equal(byId.get(mfaOrg.organizationId)?.member_authenticated, false);
    assert.deepEqual(byId.get(mfaOrg.organizationId)?.mfa_required, {
      member_options: { mfa_phone_number: "", totp_registration_id: "" },
      secondary_auth_initiated: null,
    });

    // The same shape, entry for entry, as POST /v1/b2b/discovery/organizations with that token.
    const listed = await h.client.discovery.organizations.list({ intermediate_session_token: auth.intermediate_session_token });
    assert.equal(listed.email_address, email);
    assert.equal(listed.organization_id_hint, null);
    assert.deepEqual(listed.discovered_organizations, auth.discovered_organizations);

    const entered = await h.client.discovery.intermediateSessions.exchange({
      intermediate_session_token: auth.intermediate_session_token,
      organization_id: "home-org",
      session_duration_minutes: 45,
    });
    assert.equal(entered.member_authenticated, true);
    assert.equal(entered.member_id, active.memberId);
    assert.deepEqual(entered.member_session!.authentication_factors, [
      {
        type: "magic_link",
        delivery_method: "email",
        last_authenticated_at: "2026-01-15T10:00:00Z",
        email_factor: { email_id: active.emailId, email_address: email },
      },
    ]);
    assert.equal(Date.parse(entered.member_session!.expires_at) - clock.now(), 45 * 60_000);
    const session = await h.client.sessions.authenticate({ session_token: entered.session_token });
    assert.equal(session.member.member_id, active.memberId);
    assert.equal(session.organization.organization_id, home.organizationId);

    // Single use: the link again is 401, and the intermediate session was consumed by the exchange.
    await expectSdkError(h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token }), 401, "unable_to_auth_magic_link");
    await expectSdkError(
      h.client.discovery.organizations.list({ intermediate_session_token: auth.intermediate_session_token }),
      404,
      "intermediate_session_not_found",
    );
  });

  it("creates an organization from an intermediate session a discovery link started", async () => {
    const email = person("fay");
    const token = await discoveryLink(email);
    const auth = await h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token });
    // No memberships: only the organization the domain lets this person join.
    assert.deepEqual(
      auth.discovered_organizations.map((entry) => entry.membership?.type),
      ["eligible_to_join_by_email_domain"],
    );
    const created = await h.client.discovery.organizations.create({
      intermediate_session_token: auth.intermediate_session_token,
      organization_name: "Fay's Startup",
      organization_slug: `fay-startup-${counter}`,
    });
    assert.equal(created.member_authenticated, true);
    assert.equal(created.organization.organization_name, "Fay's Startup");
    assert.equal(created.member.email_address, email);
    assert.equal(created.member.email_address_verified, true);
    assert.equal(created.member.is_admin, true);
    assert.equal(created.member_session!.authentication_factors[0]!.type, "magic_link");
    const session = await h.client.sessions.authenticate({ session_token: created.session_token });
    assert.equal(session.organization.organization_id, created.organization.organization_id);
    assert.ok(session.member_session.roles.includes("stytch_admin"));
  });

  it("steps up into an MFA organization with the same intermediate session token", async () => {
    const email = person("hana");
    await memberships(email);
    const auth = await h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: await discoveryLink(email) });
    const entered = await h.client.discovery.intermediateSessions.exchange({
      intermediate_session_token: auth.intermediate_session_token,
      organization_id: mfaOrg.organizationId,
    });
    assert.equal(entered.member_authenticated, false);
    assert.equal(entered.intermediate_session_token, auth.intermediate_session_token);
    assert.equal(entered.session_token, "");
    assert.notEqual(entered.mfa_required, null);
  });

  it("refuses an expired link (401), an unknown one (404), and keeps login and discovery links apart", async () => {
    const email = person("ivan");
    const token = await discoveryLink(email, { discovery_expiration_minutes: 5 });
    assert.match((await latestMessage(h, email)).body, /5 minutes/);
    clock.advanceMinutes(5);
    await expectSdkError(h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token }), 401, "unable_to_auth_magic_link");
    const unknown = await h.request("POST", MAGIC_AUTH, { discovery_magic_links_token: "x".repeat(43) });
    expectStytchError(unknown.body, 404, "magic_link_not_found");

    // A discovery link is no login link, and a login link is no discovery link.
    const fresh = await discoveryLink(person("ivan"));
    await expectSdkError(h.client.magicLinks.authenticate({ magic_links_token: fresh }), 404, "magic_link_not_found");
    const member = person("ivan");
    await h.client.magicLinks.email.loginOrSignup({ organization_id: "initech", email_address: member });
    const loginToken = (await latestMessage(h, member)).magic_links_token;
    await expectSdkError(h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: loginToken }), 404, "magic_link_not_found");
    // Neither probe spent the other's token.
    assert.equal((await h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: fresh })).status_code, 200);
    assert.equal((await h.client.magicLinks.authenticate({ magic_links_token: loginToken })).member_authenticated, true);
  });

  it("keeps earlier discovery links valid until they expire", async () => {
    const email = person("jo");
    const first = await discoveryLink(email);
    clock.advanceSeconds(1);
    const second = await discoveryLink(email);
    assert.notEqual(first, second);
    assert.equal((await h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: first })).email_address, email);
    assert.equal((await h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: second })).email_address, email);
  });

  it("spends a link once under concurrency: one intermediate session, the rest 401", async () => {
    const token = await discoveryLink(person("kai"));
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => h.request("POST", MAGIC_AUTH, { discovery_magic_links_token: token })),
    );
    const ok = answers.filter((answer) => answer.status === 200);
    assert.equal(ok.length, 1, JSON.stringify(answers.map((answer) => answer.status)));
    for (const answer of answers.filter((answer) => answer.status !== 200)) expectStytchError(answer.body, 401, "unable_to_auth_magic_link");
  });

  it("checks PKCE: the verifier is required and must match; failures leave the link usable", async () => {
    const verifier = "discovery-pkce-verifier-" + "w".repeat(24);
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const token = await discoveryLink(person("lou"), { pkce_code_challenge: challenge });
    await expectSdkError(h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token }), 400, "pkce_expected_code_verifier");
    await expectSdkError(
      h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token, pkce_code_verifier: "not-the-verifier" }),
      400,
      "pkce_mismatch",
    );
    const auth = await h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token, pkce_code_verifier: verifier });
    assert.notEqual(auth.intermediate_session_token, "");

    const plain = await discoveryLink(person("lou"));
    await expectSdkError(
      h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: plain, pkce_code_verifier: verifier }),
      400,
      "pkce_did_not_expect_code_verifier",
    );
    const malformed = await h.request("POST", MAGIC_SEND, { email_address: person("lou"), pkce_code_challenge: "short" });
    expectStytchError(malformed.body, 400, "invalid_pkce_code_challenge");
  });

  it("sends links only to allowed redirect URLs, keeping the URL's own query", async () => {
    const email = person("max");
    await discoveryLink(email, { discovery_redirect_url: "http://127.0.0.1:5173/discover?next=%2Fhome" });
    const message = await latestMessage(h, email);
    assert.ok(message.body.includes(`http://127.0.0.1:5173/discover?next=%2Fhome&stytch_token_type=discovery&token=${message.magic_links_token}`));
    const outside = await h.request("POST", MAGIC_SEND, { email_address: person("max"), discovery_redirect_url: "https://evil.example/steal" });
    expectStytchError(outside.body, 400, "no_match_for_provided_magic_link_url");
    const malformed = await h.request("POST", MAGIC_SEND, { email_address: person("max"), discovery_redirect_url: "javascript:alert(1)" });
    expectStytchError(malformed.body, 400, "invalid_discovery_redirect_url");
    const tooShort = await h.request("POST", MAGIC_SEND, { email_address: person("max"), discovery_expiration_minutes: 4 });
    expectStytchError(tooShort.body, 400, "invalid_expiration");
    const tooLong = await h.request("POST", MAGIC_SEND, { email_address: person("max"), discovery_expiration_minutes: 10081 });
    expectStytchError(tooLong.body, 400, "invalid_expiration");
  });
});
