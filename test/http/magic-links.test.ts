import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Organization } from "../../src/domain/types.js";
import { expectStytchError, FakeClock, startHarness, type Harness } from "../support/harness.js";
import { expectSdkError, latestMessage } from "./login-helpers.js";

describe("email magic links", () => {
  const clock = new FakeClock();
  let h: Harness;
  let org: Organization;

  before(async () => {
    h = await startHarness({ clock });
    org = await h.app.services.organizations.create(h.project, {
      organization_name: "Acme & Co",
      organization_slug: "acme",
      email_jit_provisioning: "RESTRICTED",
      email_allowed_domains: ["acme.test"],
      email_invites: "ALL_ALLOWED",
    });
  });
  after(() => h.close());

  it("signs up a new member by domain JIT: link from the outbox → authenticate → sessions.authenticate", async () => {
    const email = "ada@acme.test";
    const sent = await h.client.magicLinks.email.loginOrSignup({ organization_id: "acme", email_address: email });
    assert.equal(sent.status_code, 200);
    assert.equal(sent.member_created, true);
    assert.equal(sent.member.status, "pending");
    assert.equal(sent.member.email_address_verified, false);
    assert.equal(sent.organization.organization_id, org.organizationId);

    const message = await latestMessage(h, email);
    assert.equal(message.channel, "email");
    assert.equal(message.locale, "en");
    assert.match(message.subject, /Acme & Co/);
    assert.ok(message.body.includes(`stytch_token_type=multi_tenant_magic_links&token=${message.magic_links_token}`));
    assert.ok(message.body.includes("http://localhost:3000/authenticate?"), "default redirect URL");
    assert.ok(message.magic_links_token.length >= 43);

    const auth = await h.client.magicLinks.authenticate({ magic_links_token: message.magic_links_token, session_duration_minutes: 30 });
    assert.equal(auth.member_authenticated, true);
    assert.equal(auth.member_id, sent.member_id);
    assert.match(auth.method_id, /^email-test-/);
    assert.equal(auth.reset_sessions, false);
    assert.equal(auth.organization_id, org.organizationId);
    assert.equal(auth.intermediate_session_token, "");
    assert.equal(auth.mfa_required, null);
    assert.equal(auth.primary_required, null);
    assert.equal(auth.member.status, "active");
    assert.equal(auth.member.email_address_verified, true);
    assert.deepEqual(auth.member_session!.authentication_factors, [
      {
        type: "magic_link",
        delivery_method: "email",
        last_authenticated_at: "2026-01-15T10:00:00Z",
        email_factor: { email_id: auth.method_id, email_address: email },
      },
    ]);
    assert.equal(Date.parse(auth.member_session!.expires_at) - clock.now(), 30 * 60_000);

    const session = await h.client.sessions.authenticate({ session_token: auth.session_token });
    assert.equal(session.member_session.member_id, sent.member_id);
    assert.equal(session.member.status, "active");

    // Single use: the same token again is Stytch's 401 unable_to_auth_magic_link.
    await expectSdkError(h.client.magicLinks.authenticate({ magic_links_token: message.magic_links_token }), 401, "unable_to_auth_magic_link");
  });

  it("sends an active member a login link, to an allowed redirect URL, in the request's language", async () => {
    const { member } = await h.app.services.members.create(h.project, org.organizationId, { email_address: "bob@acme.test" });
    const sent = await h.client.magicLinks.email.loginOrSignup({
      organization_id: org.organizationId,
      email_address: "BOB@acme.test",
      login_redirect_url: "http://127.0.0.1:5173/auth/callback?from=email",
      locale: "fr",
      login_expiration_minutes: 5,
    });
    assert.equal(sent.member_created, false);
    assert.equal(sent.member_id, member.memberId);
    const message = await latestMessage(h, "bob@acme.test");
    assert.equal(message.locale, "fr");
    assert.match(message.subject, /Votre lien de connexion/);
    assert.match(message.body, /5 minutes/);
    assert.ok(message.body.includes("http://127.0.0.1:5173/auth/callback?from=email&stytch_token_type=multi_tenant_magic_links&token="));
  });

  it("refuses a token past its expiry with unable_to_auth_magic_link, and an unknown one with magic_link_not_found", async () => {
    const email = "carol@acme.test";
    await h.client.magicLinks.email.loginOrSignup({ organization_id: "acme", email_address: email, signup_expiration_minutes: 5 });
    const { magic_links_token } = await latestMessage(h, email);
    clock.advanceMinutes(5);
    await expectSdkError(h.client.magicLinks.authenticate({ magic_links_token }), 401, "unable_to_auth_magic_link");
    const unknown = await h.request("POST", "/v1/b2b/magic_links/authenticate", { magic_links_token: "x".repeat(43) });
    expectStytchError(unknown.body, 404, "magic_link_not_found");
  });

  it("invites a member: invited → authenticate → active, with the inviter's name in the email", async () => {
    const { member: inviter } = await h.app.services.members.create(h.project, org.organizationId, {
      email_address: "admin@acme.test",
      name: "Grace Admin",
    });
    const invited = await h.client.magicLinks.email.invite({
      organization_id: org.organizationId,
      email_address: "dave@elsewhere.test",
      invited_by_member_id: inviter.memberId,
      name: "Dave",
      roles: ["editor"],
      locale: "pt-br",
    });
    assert.equal(invited.member.status, "invited");
    assert.equal(invited.member.name, "Dave");
    assert.deepEqual(
      invited.member.roles.map((role) => role.role_id),
      ["stytch_member", "editor"],
    );
    const message = await latestMessage(h, "dave@elsewhere.test");
    assert.equal(message.locale, "pt-br");
    assert.match(message.subject, /Você foi convidado/);
    assert.match(message.body, /Grace Admin convidou você/);
    assert.match(message.body, /7 dias/);

    const auth = await h.client.magicLinks.authenticate({ magic_links_token: message.magic_links_token });
    assert.equal(auth.member_authenticated, true);
    assert.equal(auth.member.status, "active");
    const stored = await h.app.services.members.get(h.project, org, invited.member_id);
    assert.equal(stored.status, "active");
    assert.equal(stored.emailAddressVerified, true);

    // An active member cannot be invited again.
    clock.advanceSeconds(1);
    await expectSdkError(
      h.client.magicLinks.email.invite({ organization_id: org.organizationId, email_address: "dave@elsewhere.test" }),
      409,
      "duplicate_member_email",
    );
  });

  it("refuses signups the organization does not allow", async () => {
    await expectSdkError(
      h.client.magicLinks.email.loginOrSignup({ organization_id: "acme", email_address: "eve@other.test" }),
      400,
      "invalid_email_for_jit_provisioning",
    );
    const closed = await h.app.services.organizations.create(h.project, { organization_name: "Closed" });
    await expectSdkError(
      h.client.magicLinks.email.loginOrSignup({ organization_id: closed.organizationId, email_address: "eve@acme.test" }),
      400,
      "email_jit_provisioning_not_allowed",
    );
    const noInvites = await h.app.services.organizations.create(h.project, {
      organization_name: "No invites",
      email_jit_provisioning: "RESTRICTED",
      email_allowed_domains: ["acme.test"],
      email_invites: "NOT_ALLOWED",
    });
    await expectSdkError(
      h.client.magicLinks.email.invite({ organization_id: noInvites.organizationId, email_address: "frank@acme.test" }),
      400,
      "invalid_email_for_invites",
    );
  });

  it("sends links only to allowed redirect URLs", async () => {
    const outside = await h.request("POST", "/v1/b2b/magic_links/email/login_or_signup", {
      organization_id: "acme",
      email_address: "gina@acme.test",
      signup_redirect_url: "https://evil.example/steal",
    });
    expectStytchError(outside.body, 400, "no_match_for_provided_magic_link_url");
    const malformed = await h.request("POST", "/v1/b2b/magic_links/email/login_or_signup", {
      organization_id: "acme",
      email_address: "gina@acme.test",
      signup_redirect_url: "javascript:alert(1)",
    });
    expectStytchError(malformed.body, 400, "invalid_signup_redirect_url");
    const expiration = await h.request("POST", "/v1/b2b/magic_links/email/login_or_signup", {
      organization_id: "acme",
      email_address: "gina@acme.test",
      signup_expiration_minutes: 4,
    });
    expectStytchError(expiration.body, 400, "invalid_expiration");
  });

  it("rate-limits sends to one address to one per second (429 with Retry-After)", async () => {
    const body = { organization_id: "acme", email_address: "hal@acme.test" };
    const first = await h.request("POST", "/v1/b2b/magic_links/email/login_or_signup", body);
    assert.equal(first.status, 200);
    const second = await h.request("POST", "/v1/b2b/magic_links/email/login_or_signup", body);
    expectStytchError(second.body, 429, "too_many_requests");
    assert.equal(second.headers.get("retry-after"), "1");
    clock.advanceSeconds(1);
    const third = await h.request("POST", "/v1/b2b/magic_links/email/login_or_signup", body);
    assert.equal(third.status, 200);
  });

  it("refuses an unsupported locale with 400 invalid_locale", async () => {
    const response = await h.request("POST", "/v1/b2b/magic_links/email/login_or_signup", {
      organization_id: "acme",
      email_address: "ivy@acme.test",
      locale: "de",
    });
    expectStytchError(response.body, 400, "invalid_locale");
  });

  it("checks PKCE: the verifier is required, must match, and a mismatch leaves the link usable", async () => {
    const verifier = "v".repeat(20) + "-pkce-verifier-0123456789";
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const email = "jan@acme.test";
    await h.client.magicLinks.email.loginOrSignup({ organization_id: "acme", email_address: email, pkce_code_challenge: challenge });
    const { magic_links_token } = await latestMessage(h, email);
    await expectSdkError(h.client.magicLinks.authenticate({ magic_links_token }), 400, "pkce_expected_code_verifier");
    await expectSdkError(h.client.magicLinks.authenticate({ magic_links_token, pkce_code_verifier: "wrong-verifier" }), 400, "pkce_mismatch");
    const auth = await h.client.magicLinks.authenticate({ magic_links_token, pkce_code_verifier: verifier });
    assert.equal(auth.member_authenticated, true);
  });

  it("refuses a verifier for a flow started without PKCE", async () => {
    const email = "kim@acme.test";
    await h.client.magicLinks.email.loginOrSignup({ organization_id: "acme", email_address: email });
    const { magic_links_token } = await latestMessage(h, email);
    await expectSdkError(h.client.magicLinks.authenticate({ magic_links_token, pkce_code_verifier: "unexpected" }), 400, "pkce_did_not_expect_code_verifier");
  });

  it("adds the factor to the caller's live session, and ignores another member's session", async () => {
    const { member } = await h.app.services.members.create(h.project, org.organizationId, { email_address: "lea@acme.test" });
    const existing = await h.app.services.sessions.start(h.project, org, member, [
      { type: "password", delivery_method: "knowledge", last_authenticated_at: "2026-01-15T09:00:00Z" },
    ]);
    await h.client.magicLinks.email.loginOrSignup({ organization_id: "acme", email_address: "lea@acme.test" });
    const first = await latestMessage(h, "lea@acme.test");
    const auth = await h.client.magicLinks.authenticate({ magic_links_token: first.magic_links_token, session_token: existing.sessionToken });
    assert.equal(auth.member_session!.member_session_id, existing.session.sessionId);
    assert.deepEqual(
      auth.member_session!.authentication_factors.map((factor) => factor.type),
      ["password", "magic_link"],
    );

    // Another member's session is ignored: a new session starts for the link's member.
    const { member: other } = await h.app.services.members.create(h.project, org.organizationId, { email_address: "max@acme.test" });
    const otherSession = await h.app.services.sessions.start(h.project, org, other, []);
    clock.advanceSeconds(1);
    await h.client.magicLinks.email.loginOrSignup({ organization_id: "acme", email_address: "lea@acme.test" });
    const second = await latestMessage(h, "lea@acme.test");
    const fresh = await h.client.magicLinks.authenticate({ magic_links_token: second.magic_links_token, session_token: otherSession.sessionToken });
    assert.equal(fresh.member_id, member.memberId);
    assert.notEqual(fresh.member_session!.member_session_id, otherSession.session.sessionId);
  });

  it("answers an MFA-required organization with an intermediate session and mfa_required", async () => {
    const mfaOrg = await h.app.services.organizations.create(h.project, {
      organization_name: "Strict",
      organization_slug: "strict",
      mfa_policy: "REQUIRED_FOR_ALL",
      email_invites: "ALL_ALLOWED",
    });
    await h.app.services.members.create(h.project, mfaOrg.organizationId, { email_address: "nia@acme.test" });
    await h.client.magicLinks.email.loginOrSignup({ organization_id: "strict", email_address: "nia@acme.test" });
    const { magic_links_token } = await latestMessage(h, "nia@acme.test");
    const auth = await h.client.magicLinks.authenticate({ magic_links_token });
    assert.equal(auth.member_authenticated, false);
    assert.equal(auth.member_session, null);
    assert.equal(auth.session_token, "");
    assert.equal(auth.session_jwt, "");
    assert.notEqual(auth.intermediate_session_token, "");
    assert.deepEqual(auth.mfa_required, {
      member_options: { mfa_phone_number: "", totp_registration_id: "" },
      secondary_auth_initiated: null,
    });
    assert.equal(auth.primary_required, null);
    assert.equal(auth.member.email_address_verified, true);
  });

  it("never answers malformed input with a 5xx", async () => {
    const bodies: unknown[] = [
      {},
      { magic_links_token: "" },
      { magic_links_token: 42 },
      { magic_links_token: "a".repeat(300) },
      { magic_links_token: "abc", session_duration_minutes: 1 },
      { magic_links_token: "abc", session_token: "nope" },
      { magic_links_token: "abc", locale: "xx" },
    ];
    for (const body of bodies) {
      const response = await h.request("POST", "/v1/b2b/magic_links/authenticate", body);
      assert.ok(response.status >= 400 && response.status < 500, `${JSON.stringify(body)} → ${response.status}`);
      assert.equal(typeof response.body.error_type, "string");
    }
    for (const body of [{}, { organization_id: "acme" }, { organization_id: "nope", email_address: "a@acme.test" }, { organization_id: "acme", email_address: "not-an-email" }]) {
      const response = await h.request("POST", "/v1/b2b/magic_links/email/login_or_signup", body);
      assert.ok(response.status >= 400 && response.status < 500, `${JSON.stringify(body)} → ${response.status}`);
    }
  });
});
