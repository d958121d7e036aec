import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import type { Organization } from "../../src/domain/types.js";
import { expectStytchError, FakeClock, startHarness, type Harness } from "../support/harness.js";
import { expectSdkError, latestMessage } from "./login-helpers.js";

/** A 6-digit code that is not `code`. */
const otherCode = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

/** Lets background audit writes reach their group commit. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

const MAGIC_SEND = "/v1/b2b/magic_links/email/discovery/send";
const MAGIC_AUTH = "/v1/b2b/magic_links/discovery/authenticate";
const OTP_SEND = "/v1/b2b/otps/email/discovery/send";
const OTP_AUTH = "/v1/b2b/otps/email/discovery/authenticate";

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

  /** Sends a discovery passcode to `email` and returns it. */
  async function discoveryCode(email: string, extra: Record<string, unknown> = {}): Promise<string> {
    const sent = await h.client.otps.email.discovery.send({ email_address: email, ...extra });
    assert.equal(sent.status_code, 200);
    return (await latestMessage(h, email)).code;
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

  it("email OTP: send → code → authenticate → exchange accepting an invitation (email now verified) → sessions.authenticate", async () => {
    const email = person("eli");
    const { invited } = await memberships(email);
    assert.equal(invited.emailAddressVerified, false);

    const sent = await h.client.otps.email.discovery.send({ email_address: email, locale: "es" });
    assert.deepEqual(Object.keys(sent).sort(), ["request_id", "status_code"]);
    const message = await latestMessage(h, email);
    assert.match(message.code, /^\d{6}$/);
    assert.equal(message.locale, "es");
    assert.equal(message.subject, "Tu código de acceso a harness");
    assert.ok(message.body.includes(message.code));
    assert.match(message.body, /10 minutos/);

    // The address's case need not match the send's.
    const auth = await h.client.otps.email.discovery.authenticate({ email_address: email.toUpperCase(), code: message.code });
    assert.equal(auth.email_address, email);
    const invitedEntry = auth.discovered_organizations.find((entry) => entry.organization?.organization_id === invitedOrg.organizationId);
    assert.equal(invitedEntry?.membership?.type, "invited_member");
    assert.equal(invitedEntry?.member_authenticated, true);

    const entered = await h.client.discovery.intermediateSessions.exchange({
      intermediate_session_token: auth.intermediate_session_token,
      organization_id: invitedOrg.organizationId,
    });
    assert.equal(entered.member_authenticated, true);
    assert.equal(entered.member.member_id, invited.memberId);
    assert.equal(entered.member.status, "active");
    assert.equal(entered.member.email_address_verified, true, "the passcode proved the address");
    const factor = entered.member_session!.authentication_factors[0]!;
    assert.equal(factor.type, "email_otp");
    assert.equal(factor.delivery_method, "email");
    assert.deepEqual(factor.email_factor, { email_id: invited.emailId, email_address: email });
    const session = await h.client.sessions.authenticate({ session_token: entered.session_token });
    assert.equal(session.member.member_id, invited.memberId);
    assert.equal(session.member.email_address_verified, true);

    // Used: the code no longer works.
    await expectSdkError(h.client.otps.email.discovery.authenticate({ email_address: email, code: message.code }), 401, "unable_to_auth_otp_code");
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

  it("creates an organization, and JIT-joins one by domain, from intermediate sessions discovery passcodes started", async () => {
    const email = person("gus");
    const auth = await h.client.otps.email.discovery.authenticate({ email_address: email, code: await discoveryCode(email) });
    const created = await h.client.discovery.organizations.create({ intermediate_session_token: auth.intermediate_session_token });
    assert.equal(created.member_authenticated, true);
    assert.equal(created.organization.organization_name, "initech.test");
    assert.equal(created.member_session!.authentication_factors[0]!.type, "email_otp");

    clock.advanceSeconds(1);
    const again = await h.client.otps.email.discovery.authenticate({ email_address: email, code: await discoveryCode(email) });
    const joined = await h.client.discovery.intermediateSessions.exchange({
      intermediate_session_token: again.intermediate_session_token,
      organization_id: "initech",
    });
    assert.equal(joined.member_authenticated, true);
    assert.equal(joined.member.email_address, email);
    assert.equal(joined.member.email_address_verified, true);
    assert.equal(joined.member.status, "active");
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

  it("answers a wrong code with otp_code_not_found, burns it after five tries, and a new code supersedes the old", async () => {
    const email = person("nora");
    const first = await discoveryCode(email);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await h.request("POST", OTP_AUTH, { email_address: email, code: otherCode(first) });
      expectStytchError(wrong.body, 404, "otp_code_not_found");
    }
    const burned = await h.request("POST", OTP_AUTH, { email_address: email, code: first });
    expectStytchError(burned.body, 401, "unable_to_auth_otp_code");

    clock.advanceSeconds(1);
    const second = await discoveryCode(email);
    clock.advanceSeconds(1);
    const third = await discoveryCode(email);
    if (second !== third) {
      const superseded = await h.request("POST", OTP_AUTH, { email_address: email, code: second });
      expectStytchError(superseded.body, 404, "otp_code_not_found");
    }
    const ok = await h.client.otps.email.discovery.authenticate({ email_address: email, code: third });
    assert.equal(ok.email_address, email);
  });

  it("expires codes after the requested lifetime and keeps login and discovery codes apart", async () => {
    const email = person("otto");
    const code = await discoveryCode(email, { discovery_expiration_minutes: 2 });
    assert.match((await latestMessage(h, email)).body, /2 minutes/);
    clock.advanceMinutes(2);
    const expired = await h.request("POST", OTP_AUTH, { email_address: email, code });
    expectStytchError(expired.body, 401, "unable_to_auth_otp_code");
    for (const minutes of [1, 16]) {
      const outOfRange = await h.request("POST", OTP_SEND, { email_address: person("otto"), discovery_expiration_minutes: minutes });
      expectStytchError(outOfRange.body, 400, "invalid_expiration_otp");
    }
    const nobody = await h.request("POST", OTP_AUTH, { email_address: person("otto"), code: "123456" });
    expectStytchError(nobody.body, 401, "unable_to_auth_otp_code");

    // An organization's login code does not authenticate discovery, nor the other way round.
    const member = person("otto");
    await h.client.otps.email.loginOrSignup({ organization_id: "initech", email_address: member });
    const loginCode = (await latestMessage(h, member)).code;
    const crossed = await h.request("POST", OTP_AUTH, { email_address: member, code: loginCode });
    expectStytchError(crossed.body, 401, "unable_to_auth_otp_code");
    clock.advanceSeconds(1);
    const discovery = await discoveryCode(member);
    if (discovery !== loginCode) {
      const back = await h.request("POST", "/v1/b2b/otps/email/authenticate", { organization_id: "initech", email_address: member, code: discovery });
      expectStytchError(back.body, 404, "otp_code_not_found");
    }
    assert.equal((await h.client.otps.email.authenticate({ organization_id: "initech", email_address: member, code: loginCode })).member_authenticated, true);
    assert.equal((await h.client.otps.email.discovery.authenticate({ email_address: member, code: discovery })).email_address, member);
  });

  it("throttles guessing per address: the eleventh attempt in a quarter hour is 429, even with the right code", async () => {
    const email = person("pam");
    let code = "";
    for (let round = 0; round < 2; round++) {
      clock.advanceSeconds(1);
      code = await discoveryCode(email);
      for (let attempt = 0; attempt < 5; attempt++) {
        const wrong = await h.request("POST", OTP_AUTH, { email_address: email, code: otherCode(code) });
        assert.ok([401, 404].includes(wrong.status), `${wrong.status}`);
      }
    }
    clock.advanceSeconds(1);
    code = await discoveryCode(email);
    const throttled = await h.request("POST", OTP_AUTH, { email_address: email, code });
    expectStytchError(throttled.body, 429, "too_many_requests");
    assert.ok(Number(throttled.headers.get("retry-after")) >= 1);
  });

  it("rate-limits sends to one address to one per second, across both discovery flows", async () => {
    const email = person("quin");
    const first = await h.request("POST", MAGIC_SEND, { email_address: email });
    assert.equal(first.status, 200);
    const second = await h.request("POST", OTP_SEND, { email_address: email });
    expectStytchError(second.body, 429, "too_many_requests");
    assert.equal(second.headers.get("retry-after"), "1");
    clock.advanceSeconds(1);
    assert.equal((await h.request("POST", OTP_SEND, { email_address: email })).status, 200);
  });

  it("writes in the requested language, and refuses an unsupported locale with 400 invalid_locale", async () => {
    const subjects: Record<string, [string, string]> = {
      "pt-br": ["Seu link de login para harness", "Seu código de login para harness"],
      fr: ["Votre lien d'accès à harness", "Votre code d'accès à harness"],
    };
    for (const [locale, [linkSubject, codeSubject]] of Object.entries(subjects)) {
      const email = person("rita");
      await discoveryLink(email, { locale });
      const link = await latestMessage(h, email);
      assert.equal(link.locale, locale);
      assert.equal(link.subject, linkSubject);
      clock.advanceSeconds(1);
      await discoveryCode(email, { locale });
      assert.equal((await latestMessage(h, email)).subject, codeSubject);
    }
    for (const path of [MAGIC_SEND, OTP_SEND]) {
      const response = await h.request("POST", path, { email_address: person("rita"), locale: "de" });
      expectStytchError(response.body, 400, "invalid_locale");
    }
  });

  it("records the authenticates in the audit trail as discovery events", async () => {
    const email = person("sam");
    await h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: await discoveryLink(email) });
    await h.request("POST", OTP_AUTH, { email_address: email, code: "000000" });
    await settle();
    const events = await h.app.services.context.store.listSecurityEvents(h.project.projectId, { limit: 2 });
    const summary = events.map((event) => `${event.kind}:${event.outcome}:${event.reason}:${event.route}`).reverse();
    assert.deepEqual(summary, [`discovery:intermediate_session::${MAGIC_AUTH}`, `discovery:refused:unable_to_auth_otp_code:${OTP_AUTH}`]);
  });

  it("never answers malformed input with a 5xx", async () => {
    const cases: [string, unknown[]][] = [
      [MAGIC_SEND, [{}, { email_address: "" }, { email_address: 7 }, { email_address: "not-an-email" }, { email_address: "a@b.test", discovery_redirect_url: 5 }, { email_address: "a@b.test", locale: "xx" }, { email_address: "a@b.test", discovery_expiration_minutes: "60" }]],
      [MAGIC_AUTH, [{}, { discovery_magic_links_token: "" }, { discovery_magic_links_token: 42 }, { discovery_magic_links_token: "a".repeat(300) }, { discovery_magic_links_token: "abc", pkce_code_verifier: "" }, []]],
      [OTP_SEND, [{}, { email_address: "@" }, { email_address: "a@b.test", discovery_expiration_minutes: 2.5 }, "null"]],
      [OTP_AUTH, [{}, { email_address: "a@b.test" }, { email_address: "a@b.test", code: "12a456" }, { email_address: "a@b.test", code: 123456 }, { email_address: "nope", code: "123456" }]],
    ];
    for (const [path, bodies] of cases) {
      for (const body of bodies) {
        clock.advanceSeconds(1);
        const response = await h.request("POST", path, body);
        assert.ok(response.status >= 400 && response.status < 500, `${path} ${JSON.stringify(body)} → ${response.status}`);
        assert.equal(typeof response.body.error_type, "string");
        assert.equal(response.body.status_code, response.status);
      }
    }
  });

  it("never stores a link token, a passcode or an intermediate session token raw", async () => {
    const linkEmail = person("tess");
    const token = await discoveryLink(linkEmail);
    const fromLink = await h.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token });
    const codeEmail = person("tess");
    const code = await discoveryCode(codeEmail);
    const fromCode = await h.client.otps.email.discovery.authenticate({ email_address: codeEmail, code });

    const files = [h.databasePath, `${h.databasePath}-wal`].filter((path) => existsSync(path));
    const bytes = Buffer.concat(files.map((path) => readFileSync(path)));
    assert.ok(bytes.includes(Buffer.from(linkEmail)), "sanity: ordinary data is readable in these bytes");
    for (const [name, value] of Object.entries({ "link token": token, "IST (link)": fromLink.intermediate_session_token, "IST (code)": fromCode.intermediate_session_token })) {
      assert.equal(bytes.includes(Buffer.from(value)), false, `the ${name} is stored raw`);
    }

    // Six digits could occur by chance in a whole file, so the passcode is looked for where it could be: the rows about it.
    const db = new Database(h.databasePath, { readonly: true, fileMustExist: true });
    try {
      const secrets = db.prepare("SELECT * FROM one_time_secrets WHERE purpose = 'discovery_email_otp' AND subject = ?").all(`email:${codeEmail}`) as Record<string, unknown>[];
      assert.equal(secrets.length, 1);
      const secret = secrets[0]!;
      assert.ok(Buffer.isBuffer(secret.secret_hash) && secret.secret_hash.length === 32, "a 32-byte keyed hash");
      assert.equal((secret.secret_hash as Buffer).includes(Buffer.from(code)), false);
      assert.equal(String(secret.details).includes(code), false);
      const link = db.prepare("SELECT * FROM one_time_secrets WHERE purpose = 'discovery_magic_link' AND subject = ?").get(`email:${linkEmail}`) as Record<string, unknown>;
      assert.deepEqual(link.secret_hash, createHash("sha256").update(token).digest(), "the link is stored as its SHA-256 only");
      const messages = db.prepare("SELECT * FROM outbox_messages WHERE recipient = ?").all(codeEmail) as Record<string, unknown>[];
      assert.equal(messages.length, 1);
      for (const [column, value] of Object.entries(messages[0]!)) {
        const text = Buffer.isBuffer(value) ? value.toString("latin1") : String(value);
        assert.equal(text.includes(code), false, `outbox_messages.${column} holds the code`);
      }
    } finally {
      db.close();
    }
  });
});
