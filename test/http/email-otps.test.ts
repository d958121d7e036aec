import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Organization } from "../../src/domain/types.js";
import { expectStytchError, FakeClock, startHarness, type Harness } from "../support/harness.js";
import { latestMessage } from "./login-helpers.js";

/** A 6-digit code that is not `code`. */
const otherCode = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("email one-time passcodes", () => {
  const clock = new FakeClock();
  let h: Harness;
  let org: Organization;

  before(async () => {
    h = await startHarness({ clock });
    org = await h.app.services.organizations.create(h.project, {
      organization_name: "Globex",
      organization_slug: "globex",
      email_jit_provisioning: "RESTRICTED",
      email_allowed_domains: ["globex.test"],
    });
  });
  after(() => h.close());

  it("signs up by code: code from the outbox → authenticate → sessions.authenticate", async () => {
    const email = "olga@globex.test";
    const sent = await h.client.otps.email.loginOrSignup({ organization_id: "globex", email_address: email, locale: "es" });
    assert.equal(sent.member_created, true);
    assert.equal(sent.member.status, "pending");
    const message = await latestMessage(h, email);
    assert.match(message.code, /^\d{6}$/);
    assert.equal(message.locale, "es");
    assert.match(message.subject, /Tu código de verificación para Globex/);
    assert.ok(message.body.includes(message.code));
    assert.match(message.body, /10 minutos/);

    const auth = await h.client.otps.email.authenticate({ organization_id: "globex", email_address: email, code: message.code });
    assert.equal(auth.member_authenticated, true);
    assert.match(auth.method_id, /^email-test-/);
    assert.equal(auth.member.status, "active");
    assert.equal(auth.member.email_address_verified, true);
    const factor = auth.member_session!.authentication_factors[0]!;
    assert.equal(factor.type, "email_otp");
    assert.equal(factor.delivery_method, "email");
    assert.deepEqual(factor.email_factor, { email_id: auth.method_id, email_address: email });
    const session = await h.client.sessions.authenticate({ session_token: auth.session_token });
    assert.equal(session.member.member_id, sent.member_id);

    // Used: the code no longer works.
    const again = await h.request("POST", "/v1/b2b/otps/email/authenticate", { organization_id: "globex", email_address: email, code: message.code });
    expectStytchError(again.body, 401, "unable_to_auth_otp_code");
  });

  it("answers a wrong code with otp_code_not_found, burns the code after five tries, and a new code supersedes the old", async () => {
    const email = "pia@globex.test";
    await h.app.services.members.create(h.project, org.organizationId, { email_address: email });
    await h.client.otps.email.loginOrSignup({ organization_id: org.organizationId, email_address: email });
    const first = await latestMessage(h, email);
    const body = (code: string) => ({ organization_id: org.organizationId, email_address: email, code });

    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await h.request("POST", "/v1/b2b/otps/email/authenticate", body(otherCode(first.code)));
      expectStytchError(wrong.body, 404, "otp_code_not_found");
    }
    // Five wrong tries spent the code's budget: even the right code is now refused.
    const burned = await h.request("POST", "/v1/b2b/otps/email/authenticate", body(first.code));
    expectStytchError(burned.body, 401, "unable_to_auth_otp_code");

    clock.advanceSeconds(1);
    await h.client.otps.email.loginOrSignup({ organization_id: org.organizationId, email_address: email });
    const second = await latestMessage(h, email);
    clock.advanceSeconds(1);
    await h.client.otps.email.loginOrSignup({ organization_id: org.organizationId, email_address: email });
    const third = await latestMessage(h, email);
    if (second.code !== third.code) {
      const superseded = await h.request("POST", "/v1/b2b/otps/email/authenticate", body(second.code));
      expectStytchError(superseded.body, 404, "otp_code_not_found");
    }
    const ok = await h.client.otps.email.authenticate(body(third.code));
    assert.equal(ok.member_authenticated, true);
  });

  it("expires codes after the requested lifetime", async () => {
    const email = "quinn@globex.test";
    await h.client.otps.email.loginOrSignup({ organization_id: "globex", email_address: email, signup_expiration_minutes: 2 });
    const { code } = await latestMessage(h, email);
    clock.advanceMinutes(2);
    const expired = await h.request("POST", "/v1/b2b/otps/email/authenticate", { organization_id: "globex", email_address: email, code });
    expectStytchError(expired.body, 401, "unable_to_auth_otp_code");
    const tooLong = await h.request("POST", "/v1/b2b/otps/email/login_or_signup", {
      organization_id: "globex",
      email_address: email,
      signup_expiration_minutes: 16,
    });
    expectStytchError(tooLong.body, 400, "invalid_expiration_otp");
  });

  it("throttles guessing per address: the eleventh attempt in a quarter hour is 429 with Retry-After, even with a fresh code", async () => {
    const email = "rae@globex.test";
    await h.app.services.members.create(h.project, org.organizationId, { email_address: email });
    const body = (code: string) => ({ organization_id: org.organizationId, email_address: email, code });
    let code = "";
    for (let round = 0; round < 2; round++) {
      clock.advanceSeconds(1);
      await h.client.otps.email.loginOrSignup({ organization_id: org.organizationId, email_address: email });
      code = (await latestMessage(h, email)).code;
      for (let attempt = 0; attempt < 5; attempt++) {
        const wrong = await h.request("POST", "/v1/b2b/otps/email/authenticate", body(otherCode(code)));
        assert.ok([401, 404].includes(wrong.status), `${wrong.status}`);
      }
    }
    clock.advanceSeconds(1);
    await h.client.otps.email.loginOrSignup({ organization_id: org.organizationId, email_address: email });
    code = (await latestMessage(h, email)).code;
    const throttled = await h.request("POST", "/v1/b2b/otps/email/authenticate", body(code));
    expectStytchError(throttled.body, 429, "too_many_requests");
    const retryAfter = Number(throttled.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    clock.advanceSeconds(retryAfter);
    // The quarter hour outlived the code; a new window and a new code work.
    await h.client.otps.email.loginOrSignup({ organization_id: org.organizationId, email_address: email });
    code = (await latestMessage(h, email)).code;
    const ok = await h.client.otps.email.authenticate(body(code));
    assert.equal(ok.member_authenticated, true);
  });

  it("answers a code for an unknown address the same way as an expired one", async () => {
    const response = await h.request("POST", "/v1/b2b/otps/email/authenticate", {
      organization_id: "globex",
      email_address: "nobody@globex.test",
      code: "123456",
    });
    expectStytchError(response.body, 401, "unable_to_auth_otp_code");
  });

  it("refuses malformed codes and unsupported locales with 400", async () => {
    const malformed = await h.request("POST", "/v1/b2b/otps/email/authenticate", { organization_id: "globex", email_address: "a@globex.test", code: "12a456" });
    expectStytchError(malformed.body, 400, "invalid_code");
    const locale = await h.request("POST", "/v1/b2b/otps/email/login_or_signup", { organization_id: "globex", email_address: "a@globex.test", locale: "pt" });
    expectStytchError(locale.body, 400, "invalid_locale");
  });
});
