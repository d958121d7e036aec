import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import bcrypt from "bcryptjs";
import { hashAlgorithmOf } from "../../src/crypto/password-hashing.js";
import type { Organization } from "../../src/domain/types.js";
import { expectStytchError, FakeClock, startHarness, type Harness } from "../support/harness.js";
import { expectSdkError, latestMessage } from "./login-helpers.js";

const PASSWORD = "Tr0ub4dor&3-horse";

describe("passwords", () => {
  const clock = new FakeClock();
  let h: Harness;
  let org: Organization;

  /** Imports a (fast, cost-4) bcrypt hash of `password` for `email`. */
  async function migrateBcrypt(email: string, password = PASSWORD, organizationId = org.organizationId) {
    return h.client.passwords.migrate({
      organization_id: organizationId,
      email_address: email,
      hash: bcrypt.hashSync(password, 4),
      hash_type: "bcrypt",
    });
  }

  before(async () => {
    h = await startHarness({ clock });
    org = await h.app.services.organizations.create(h.project, { organization_name: "Initech", organization_slug: "initech" });
  });
  after(() => h.close());

  it("migrates a bcrypt hash, then authenticates with it and upgrades the stored hash to scrypt", async () => {
    const migrated = await h.client.passwords.migrate({
      organization_id: "initech",
      email_address: "peter@initech.test",
      hash: bcrypt.hashSync(PASSWORD, 10),
      hash_type: "bcrypt",
      name: "Peter",
      trusted_metadata: { plan: "gold" },
      roles: ["reviewer"],
    });
    assert.equal(migrated.member_created, true);
    assert.equal(migrated.member.status, "active");
    assert.equal(migrated.member.email_address_verified, true);
    assert.equal(migrated.member.name, "Peter");
    assert.match(migrated.member.member_password_id, /^member-password-test-[0-9a-f-]{36}$/);
    assert.equal(hashAlgorithmOf((await h.app.store.findMemberPasswordHash(h.project.projectId, migrated.member_id))!), "import:bcrypt");

    const auth = await h.client.passwords.authenticate({
      organization_id: "initech",
      email_address: "PETER@initech.test",
      password: PASSWORD,
      session_duration_minutes: 90,
    });
    assert.equal(auth.member_authenticated, true);
    assert.equal(auth.member_id, migrated.member_id);
    assert.equal(auth.organization_id, org.organizationId);
    assert.equal(auth.intermediate_session_token, "");
    assert.deepEqual(auth.member_session!.authentication_factors, [
      { type: "password", delivery_method: "knowledge", last_authenticated_at: "2026-01-15T10:00:00Z" },
    ]);
    assert.deepEqual(auth.member_session!.roles, ["stytch_member", "reviewer"]);
    const session = await h.client.sessions.authenticate({ session_token: auth.session_token });
    assert.equal(session.member_session.member_id, migrated.member_id);

    // The import was replaced by our own hash; the same password still works, under the same password id.
    assert.equal(hashAlgorithmOf((await h.app.store.findMemberPasswordHash(h.project.projectId, migrated.member_id))!), "scrypt");
    const again = await h.client.passwords.authenticate({ organization_id: "initech", email_address: "peter@initech.test", password: PASSWORD });
    assert.equal(again.member.member_password_id, migrated.member.member_password_id);
  });

  it("migrates into an existing member without creating one", async () => {
    const { member } = await h.app.services.members.create(h.project, org.organizationId, { email_address: "samir@initech.test", create_member_as_pending: true });
    const migrated = await migrateBcrypt("samir@initech.test");
    assert.equal(migrated.member_created, false);
    assert.equal(migrated.member_id, member.memberId);
    assert.equal(migrated.member.email_address_verified, true);
  });

  it("imports other hash types (SHA-512 with a salt) and refuses unknown ones", async () => {
    const hash = createHash("sha512").update("salt:" + PASSWORD).digest("hex");
    await h.client.passwords.migrate({
      organization_id: "initech",
      email_address: "michael@initech.test",
      hash,
      hash_type: "sha_512",
      sha_512_config: { prepend_salt: "salt:", append_salt: "" },
    });
    const auth = await h.client.passwords.authenticate({ organization_id: "initech", email_address: "michael@initech.test", password: PASSWORD });
    assert.equal(auth.member_authenticated, true);
    const unknown = await h.request("POST", "/v1/b2b/passwords/migrate", {
      organization_id: "initech",
      email_address: "x@initech.test",
      hash: "abc",
      hash_type: "rot13",
    });
    expectStytchError(unknown.body, 400, "invalid_hash_type");
    const badBcrypt = await h.request("POST", "/v1/b2b/passwords/migrate", {
      organization_id: "initech",
      email_address: "x@initech.test",
      hash: "$2a$10$tooshort",
      hash_type: "bcrypt",
    });
    expectStytchError(badBcrypt.body, 400, "invalid_bcrypt_hash");
  });

  it("answers a wrong password, an unknown member and a member without a password alike: 401 unauthorized_credentials", async () => {
    await migrateBcrypt("milton@initech.test");
    await h.app.services.members.create(h.project, org.organizationId, { email_address: "bob@initech.test" });
    for (const [email, password] of [
      ["milton@initech.test", "not-the-password"],
      ["nobody@initech.test", PASSWORD],
      ["bob@initech.test", PASSWORD],
    ] as const) {
      const response = await h.request("POST", "/v1/b2b/passwords/authenticate", { organization_id: "initech", email_address: email, password });
      expectStytchError(response.body, 401, "unauthorized_credentials");
    }
    await expectSdkError(
      h.client.passwords.authenticate({ organization_id: "initech", email_address: "milton@initech.test", password: "nope" }),
      401,
      "unauthorized_credentials",
    );
  });

  it("throttles repeated wrong passwords: 429 with Retry-After, even for the right password, until the window ends", async () => {
    const email = "lumbergh@initech.test";
    await migrateBcrypt(email);
    const attempt = (password: string) => h.request("POST", "/v1/b2b/passwords/authenticate", { organization_id: "initech", email_address: email, password });
    for (let i = 0; i < 10; i++) expectStytchError((await attempt(`wrong-${i}`)).body, 401, "unauthorized_credentials");
    const throttled = await attempt(PASSWORD);
    expectStytchError(throttled.body, 429, "too_many_requests");
    const retryAfter = Number(throttled.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    // Unknown addresses are throttled the same way (nothing to learn from the 429 either).
    for (let i = 0; i < 10; i++) await h.request("POST", "/v1/b2b/passwords/authenticate", { organization_id: "initech", email_address: "ghost@initech.test", password: "x" });
    const ghost = await h.request("POST", "/v1/b2b/passwords/authenticate", { organization_id: "initech", email_address: "ghost@initech.test", password: "x" });
    expectStytchError(ghost.body, 429, "too_many_requests");

    clock.advanceSeconds(retryAfter);
    const ok = await attempt(PASSWORD);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    // A success clears the count: ten more failures are needed before the next 429.
    for (let i = 0; i < 9; i++) expectStytchError((await attempt(`again-${i}`)).body, 401, "unauthorized_credentials");
    assert.equal((await attempt(PASSWORD)).status, 200);
  });

  it("answers a RESTRICTED organization (magic links only) with an intermediate session and primary_required; a magic link then completes it", async () => {
    const restricted = await h.app.services.organizations.create(h.project, {
      organization_name: "Restricted",
      organization_slug: "restricted",
      auth_methods: "RESTRICTED",
      allowed_auth_methods: ["magic_link"],
      email_invites: "ALL_ALLOWED",
    });
    await migrateBcrypt("joanna@initech.test", PASSWORD, restricted.organizationId);
    const auth = await h.client.passwords.authenticate({ organization_id: "restricted", email_address: "joanna@initech.test", password: PASSWORD });
    assert.equal(auth.member_authenticated, false);
    assert.equal(auth.member_session, null);
    assert.equal(auth.session_token, "");
    assert.equal(auth.session_jwt, "");
    assert.notEqual(auth.intermediate_session_token, "");
    assert.deepEqual(auth.primary_required, { allowed_auth_methods: ["magic_link"] });
    assert.equal(auth.mfa_required, null);
    assert.equal(auth.member.member_id, auth.member_id);
    assert.equal(auth.organization.organization_id, restricted.organizationId);

    await h.client.magicLinks.email.loginOrSignup({ organization_id: "restricted", email_address: "joanna@initech.test" });
    const { magic_links_token } = await latestMessage(h, "joanna@initech.test");
    const done = await h.client.magicLinks.authenticate({ magic_links_token, intermediate_session_token: auth.intermediate_session_token });
    assert.equal(done.member_authenticated, true);
    assert.deepEqual(
      done.member_session!.authentication_factors.map((factor) => factor.type),
      ["password", "magic_link"],
    );
    // The intermediate session was consumed.
    const reused = await h.request("POST", "/v1/b2b/passwords/authenticate", {
      organization_id: "restricted",
      email_address: "joanna@initech.test",
      password: PASSWORD,
      intermediate_session_token: auth.intermediate_session_token,
    });
    expectStytchError(reused.body, 404, "intermediate_session_not_found");
  });

  it("answers an MFA-required organization with mfa_required, keeping the same intermediate session when a factor is added", async () => {
    const strict = await h.app.services.organizations.create(h.project, { organization_name: "MFA", organization_slug: "mfa-org", mfa_policy: "REQUIRED_FOR_ALL" });
    await migrateBcrypt("tom@initech.test", PASSWORD, strict.organizationId);
    const first = await h.client.passwords.authenticate({ organization_id: "mfa-org", email_address: "tom@initech.test", password: PASSWORD });
    assert.equal(first.member_authenticated, false);
    assert.ok(first.mfa_required);
    assert.equal(first.primary_required, null);
    const second = await h.client.passwords.authenticate({
      organization_id: "mfa-org",
      email_address: "tom@initech.test",
      password: PASSWORD,
      intermediate_session_token: first.intermediate_session_token,
    });
    assert.equal(second.intermediate_session_token, first.intermediate_session_token);
  });

  it("checks strength offline with the SDK's response fields", async () => {
    const weak = await h.client.passwords.strengthCheck({ password: "password1" });
    assert.equal(weak.valid_password, false);
    assert.equal(weak.breached_password, false);
    assert.equal(weak.strength_policy, "luds");
    assert.equal(weak.breach_detection_on_create, false);
    assert.equal(typeof weak.score, "number");
    assert.equal(weak.luds_feedback!.has_upper_case, false);
    assert.ok(Array.isArray(weak.zxcvbn_feedback!.suggestions));
    const strong = await h.client.passwords.strengthCheck({ password: "Quiet-Harbor-Lights-77", email_address: "a@initech.test" });
    assert.equal(strong.valid_password, true);
  });

  it("resets a password by email: link from the outbox → reset (strength enforced) → logged in, email verified", async () => {
    const email = "nina@initech.test";
    const { member } = await h.app.services.members.create(h.project, org.organizationId, { email_address: email });
    const verifier = "reset-flow-code-verifier-0123456789abcdef";
    const started = await h.client.passwords.email.resetStart({
      organization_id: "initech",
      email_address: email,
      reset_password_redirect_url: "http://localhost:3000/reset",
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      locale: "fr",
    });
    assert.equal(started.member_id, member.memberId);
    assert.equal(started.member_email_id, member.emailId);
    const message = await latestMessage(h, email);
    assert.equal(message.locale, "fr");
    assert.match(message.subject, /Réinitialisez votre mot de passe/);
    assert.ok(message.body.includes(`http://localhost:3000/reset?stytch_token_type=multi_tenant_passwords&token=${message.magic_links_token}`));
    assert.match(message.body, /30 minutes/);
    const token = message.magic_links_token as string;

    const weak = await h.request("POST", "/v1/b2b/passwords/email/reset", { password_reset_token: token, password: "short", code_verifier: verifier });
    expectStytchError(weak.body, 400, "weak_password");
    assert.ok(weak.body.error_details.luds_feedback);
    const noVerifier = await h.request("POST", "/v1/b2b/passwords/email/reset", { password_reset_token: token, password: "Brand-New-Passw0rd!x" });
    expectStytchError(noVerifier.body, 400, "pkce_expected_code_verifier");

    const reset = await h.client.passwords.email.reset({ password_reset_token: token, password: "Brand-New-Passw0rd!x", code_verifier: verifier });
    assert.equal(reset.member_authenticated, true);
    assert.equal(reset.member_email_id, member.emailId);
    assert.equal(reset.member.email_address_verified, true);
    assert.match(reset.member.member_password_id, /^member-password-test-/);
    assert.equal(reset.member_session!.authentication_factors[0]!.type, "password");

    await expectSdkError(h.client.passwords.email.reset({ password_reset_token: token, password: "Another-Passw0rd!x", code_verifier: verifier }), 401, "unable_to_auth_password_reset_token");
    const login = await h.client.passwords.authenticate({ organization_id: "initech", email_address: email, password: "Brand-New-Passw0rd!x" });
    assert.equal(login.member_authenticated, true);
  });

  it("expires reset links, supersedes older ones, and refuses unknown members", async () => {
    const email = "drew@initech.test";
    await h.app.services.members.create(h.project, org.organizationId, { email_address: email });
    await h.client.passwords.email.resetStart({ organization_id: "initech", email_address: email, reset_password_expiration_minutes: 5 });
    const first = (await latestMessage(h, email)).magic_links_token;
    clock.advanceSeconds(1);
    await h.client.passwords.email.resetStart({ organization_id: "initech", email_address: email, reset_password_expiration_minutes: 5 });
    const second = (await latestMessage(h, email)).magic_links_token;
    const superseded = await h.request("POST", "/v1/b2b/passwords/email/reset", { password_reset_token: first, password: "Fresh-Start-2026!" });
    expectStytchError(superseded.body, 401, "unable_to_auth_password_reset_token");
    clock.advanceMinutes(5);
    const expired = await h.request("POST", "/v1/b2b/passwords/email/reset", { password_reset_token: second, password: "Fresh-Start-2026!" });
    expectStytchError(expired.body, 401, "unable_to_auth_password_reset_token");
    const unknown = await h.request("POST", "/v1/b2b/passwords/email/reset/start", { organization_id: "initech", email_address: "who@initech.test" });
    expectStytchError(unknown.body, 404, "member_not_found");
  });

  it("never answers malformed input with a 5xx", async () => {
    const cases: [string, unknown][] = [
      ["/v1/b2b/passwords/authenticate", {}],
      ["/v1/b2b/passwords/authenticate", { organization_id: "initech", email_address: "a@initech.test", password: "" }],
      ["/v1/b2b/passwords/authenticate", { organization_id: "initech", email_address: "a@initech.test", password: 5 }],
      ["/v1/b2b/passwords/authenticate", { organization_id: "initech", email_address: "a@initech.test", password: "x", locale: "zz" }],
      ["/v1/b2b/passwords/migrate", { organization_id: "initech", email_address: "a@initech.test", hash: "x", hash_type: "scrypt" }],
      ["/v1/b2b/passwords/migrate", { organization_id: "initech", email_address: "a@initech.test", hash: "x", hash_type: "argon_2id" }],
      ["/v1/b2b/passwords/migrate", { organization_id: "initech", email_address: "a@initech.test", hash: "x", hash_type: "pbkdf_2", pbkdf_2_config: {} }],
      ["/v1/b2b/passwords/migrate", { organization_id: "initech", email_address: "a@initech.test", hash: "x", hash_type: "scrypt", scrypt_config: { salt: "AAAA", n_parameter: 1048576, r_parameter: 8, p_parameter: 1 } }],
      ["/v1/b2b/passwords/strength_check", {}],
      ["/v1/b2b/passwords/email/reset", { password_reset_token: "nope", password: "x" }],
      ["/v1/b2b/passwords/email/reset/start", { organization_id: "initech", email_address: "a@initech.test", reset_password_redirect_url: "https://elsewhere.example/" }],
    ];
    for (const [path, body] of cases) {
      const response = await h.request("POST", path, body);
      assert.ok(response.status >= 400 && response.status < 500, `${path} ${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`);
    }
  });
});
