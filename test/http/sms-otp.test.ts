/**
 * SMS one-time passcodes end to end through the official SDK over a real port: a login into a
 * REQUIRED_FOR_ALL organization, `otps.sms.send`, the code read from the test outbox over HTTP,
 * `otps.sms.authenticate`, and the rules around them (attempts, expiry, anti-bypass, limits).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SMS_OTP_MAX_ATTEMPTS, smsOtpSubject } from "../../src/services/sms-otp.js";
import { FakeClock, expectStytchError, startHarness, type Harness } from "../support/harness.js";
import {
  createMember,
  createOrganization,
  expectSdkError,
  latestSmsCode,
  loginNeedingMfa,
  magicLinkLogin,
  newPhoneNumber,
  outbox,
} from "./mfa-fixtures.js";

describe("SMS one-time passcodes", () => {
  let h: Harness;
  const clock = new FakeClock();
  before(async () => {
    h = await startHarness({ clock });
  });
  after(async () => h.close());

  it("login → IST + mfa_required → send → code from the outbox → authenticate → a session with the SMS factor", async () => {
    const organizationId = await createOrganization(h);
    const memberId = await createMember(h, organizationId);
    const { ist, result } = await loginNeedingMfa(h, organizationId, memberId);
    assert.deepEqual(result.mfaRequired, { member_options: { mfa_phone_number: "", totp_registration_id: "" }, secondary_auth_initiated: null });

    const phone = newPhoneNumber();
    const sent = await h.client.otps.sms.send({
      organization_id: organizationId,
      member_id: memberId,
      mfa_phone_number: phone,
      intermediate_session_token: ist,
    });
    assert.equal(sent.status_code, 200);
    assert.equal(sent.member.mfa_phone_number, phone);
    assert.equal(sent.member.mfa_phone_number_verified, false);

    const code = await latestSmsCode(h, phone);
    const authenticated = await h.client.otps.sms.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code,
      intermediate_session_token: ist,
      session_duration_minutes: 30,
    });
    assert.equal(authenticated.status_code, 200);
    assert.notEqual(authenticated.session_token, "");
    assert.notEqual(authenticated.session_jwt, "");
    const factors = authenticated.member_session!.authentication_factors;
    assert.deepEqual(
      factors.map((factor) => `${factor.type}/${factor.delivery_method}`),
      ["magic_link/email", "otp/sms"],
    );
    const sms = factors[1]!;
    assert.equal(sms.phone_number_factor?.phone_number, phone);
    assert.match(sms.phone_number_factor?.phone_id ?? "", /^phone-number-test-[0-9a-f-]{36}$/);
    assert.equal(authenticated.member.mfa_phone_number_verified, true);
    assert.equal(authenticated.member.mfa_enrolled, true, "REQUIRED_FOR_ALL enrolls the member");
    assert.equal(authenticated.member.default_mfa_method, "sms_otp", "the first MFA method becomes the default");

    // The session is real, and the intermediate session is spent.
    const session = await h.client.sessions.authenticate({ session_token: authenticated.session_token });
    assert.equal(session.member_session.member_session_id, authenticated.member_session!.member_session_id);
    await expectSdkError(
      h.client.otps.sms.authenticate({ organization_id: organizationId, member_id: memberId, code, intermediate_session_token: ist }),
      404,
      "intermediate_session_not_found",
    );
  });

  it("a login of a member with a phone pre-sends the code (secondary_auth_initiated) and masks the number", async () => {
    const organizationId = await createOrganization(h);
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });
    // First login: the phone is unverified, yet it is the member's number: the code goes out.
    const first = await loginNeedingMfa(h, organizationId, memberId);
    assert.equal(first.result.mfaRequired?.secondary_auth_initiated, "sms_otp");
    assert.equal(first.result.mfaRequired?.member_options.mfa_phone_number, `XXXXXXXX${phone.slice(-4)}`);
    const code = await latestSmsCode(h, phone);
    const authenticated = await h.client.otps.sms.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code,
      intermediate_session_token: first.ist,
    });
    assert.equal(authenticated.member.mfa_phone_number_verified, true);
    assert.ok(authenticated.member_session);

    // Resending to the verified phone in a later login needs that login's intermediate session.
    const second = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(
      h.client.otps.sms.send({ organization_id: organizationId, member_id: memberId }),
      400,
      "session_enforced_factor_matching_session_required",
    );
    await h.client.otps.sms.send({ organization_id: organizationId, member_id: memberId, intermediate_session_token: second.ist, locale: "es" });
    const [message] = await outbox(h, phone);
    assert.equal(message.locale, "es");
    assert.match(message.body, /Tu código de verificación es \d{6}/);
  });

  it("a new send invalidates the previous code", async () => {
    const organizationId = await createOrganization(h);
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    const firstCode = await latestSmsCode(h, phone);
    await h.client.otps.sms.send({ organization_id: organizationId, member_id: memberId, intermediate_session_token: ist });
    const secondCode = await latestSmsCode(h, phone);
    const request = { organization_id: organizationId, member_id: memberId, intermediate_session_token: ist };
    if (firstCode !== secondCode) {
      await expectSdkError(h.client.otps.sms.authenticate({ ...request, code: firstCode }), 404, "otp_code_not_found");
    }
    const ok = await h.client.otps.sms.authenticate({ ...request, code: secondCode });
    assert.ok(ok.member_session);
  });

  it("a code older than two minutes fails, even the right one; at 1:59 it works", async () => {
    const organizationId = await createOrganization(h);
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });

    const late = await loginNeedingMfa(h, organizationId, memberId);
    const lateCode = await latestSmsCode(h, phone);
    clock.advanceSeconds(121);
    await expectSdkError(
      h.client.otps.sms.authenticate({ organization_id: organizationId, member_id: memberId, code: lateCode, intermediate_session_token: late.ist }),
      401,
      "unable_to_auth_otp_code",
    );

    clock.advanceMinutes(1); // a fresh send window
    const onTime = await loginNeedingMfa(h, organizationId, memberId);
    const onTimeCode = await latestSmsCode(h, phone);
    clock.advanceSeconds(119);
    const ok = await h.client.otps.sms.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code: onTimeCode,
      intermediate_session_token: onTime.ist,
    });
    assert.ok(ok.member_session);
    clock.advanceMinutes(1);
  });

  it("50 concurrent wrong codes count at most 5 attempts, and the right code then fails too", async () => {
    const organizationId = await createOrganization(h);
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    const code = await latestSmsCode(h, phone);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");

    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        h.request("POST", "/v1/b2b/otps/sms/authenticate", {
          organization_id: organizationId,
          member_id: memberId,
          code: wrong,
          intermediate_session_token: ist,
        }),
      ),
    );
    const compared = responses.filter((response) => response.body.error_type === "otp_code_not_found").length;
    const refused = responses.filter((response) => response.body.error_type === "unable_to_auth_otp_code").length;
    assert.equal(compared + refused, 50, JSON.stringify(responses.map((response) => response.body.error_type)));
    assert.ok(compared <= SMS_OTP_MAX_ATTEMPTS, `${compared} wrong codes were compared`);
    for (const response of responses) expectStytchError(response.body, response.status, response.body.error_type);

    // The stored budget is spent: exactly five attempts were taken, and the member's counter saw only those.
    const secret = await h.app.store.findLatestOneTimeSecret(h.project.projectId, "sms_otp", smsOtpSubject(memberId));
    assert.equal(secret?.attempts, SMS_OTP_MAX_ATTEMPTS);
    await expectSdkError(
      h.client.otps.sms.authenticate({ organization_id: organizationId, member_id: memberId, code, intermediate_session_token: ist }),
      401,
      "unable_to_auth_otp_code",
    );
    // A new code starts a new budget.
    clock.advanceMinutes(1);
    await h.client.otps.sms.send({ organization_id: organizationId, member_id: memberId, intermediate_session_token: ist });
    const fresh = await latestSmsCode(h, phone);
    const ok = await h.client.otps.sms.authenticate({ organization_id: organizationId, member_id: memberId, code: fresh, intermediate_session_token: ist });
    assert.ok(ok.member_session);
  });

  it("the code is stored only as a keyed hash", async () => {
    const organizationId = await createOrganization(h);
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });
    await loginNeedingMfa(h, organizationId, memberId);
    const code = await latestSmsCode(h, phone);
    const secret = await h.app.store.findLatestOneTimeSecret(h.project.projectId, "sms_otp", smsOtpSubject(memberId));
    assert.ok(secret);
    assert.equal(secret.secretHash.length, 32);
    assert.ok(!secret.secretHash.toString("latin1").includes(code));
    assert.deepEqual(secret.secretHash, await h.app.services.instanceKeys.hashCode("sms_otp", code));
    assert.ok(!JSON.stringify(secret.details).includes(code));
  });

  it("on a live session: step-up adds the SMS factor, set_mfa_enrollment and set_default_mfa apply (OPTIONAL policy)", async () => {
    const organizationId = await createOrganization(h, { mfa_policy: "OPTIONAL" });
    const memberId = await createMember(h, organizationId);
    const login = await magicLinkLogin(h, organizationId, memberId);
    assert.equal(login.memberAuthenticated, true);
    const phone = newPhoneNumber();
    // No active MFA factor yet: a backend may send without any session.
    await h.client.otps.sms.send({ organization_id: organizationId, member_id: memberId, mfa_phone_number: phone });
    const code = await latestSmsCode(h, phone);
    const stepped = await h.client.otps.sms.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code,
      session_token: login.sessionToken,
      set_mfa_enrollment: "enroll",
      set_default_mfa: true,
    });
    assert.equal(stepped.member_session!.member_session_id, login.session!.sessionId, "the same session is extended");
    assert.equal(stepped.session_token, login.sessionToken);
    assert.deepEqual(
      stepped.member_session!.authentication_factors.map((factor) => factor.type),
      ["magic_link", "otp"],
    );
    assert.equal(stepped.member.mfa_enrolled, true);
    assert.equal(stepped.member.default_mfa_method, "sms_otp");

    // The enrolled member now needs MFA at login; unenroll turns it off again.
    const next = await loginNeedingMfa(h, organizationId, memberId);
    assert.equal(next.result.mfaRequired?.secondary_auth_initiated, "sms_otp");
    const nextCode = await latestSmsCode(h, phone);
    const done = await h.client.otps.sms.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code: nextCode,
      intermediate_session_token: next.ist,
      set_mfa_enrollment: "unenroll",
    });
    assert.equal(done.member.mfa_enrolled, false);
    assert.equal((await magicLinkLogin(h, organizationId, memberId)).memberAuthenticated, true);
  });

  it("under REQUIRED_FOR_ALL, unenroll is ignored", async () => {
    const organizationId = await createOrganization(h);
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    const done = await h.client.otps.sms.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code: await latestSmsCode(h, phone),
      intermediate_session_token: ist,
      set_mfa_enrollment: "unenroll",
    });
    assert.equal(done.member.mfa_enrolled, true);
  });

  it("refuses bad requests with Stytch-shaped errors", async () => {
    const organizationId = await createOrganization(h);
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    const base = { organization_id: organizationId, member_id: memberId };

    await expectSdkError(h.client.otps.sms.send({ ...base, locale: "de-DE", intermediate_session_token: ist }), 400, "invalid_locale");
    await expectSdkError(
      h.client.otps.sms.send({ ...base, mfa_phone_number: newPhoneNumber(), intermediate_session_token: ist }),
      400,
      "duplicate_member_phone_number_for_member",
    );
    const noPhone = await createMember(h, organizationId);
    await expectSdkError(h.client.otps.sms.send({ organization_id: organizationId, member_id: noPhone }), 404, "member_phone_number_not_found");
    await expectSdkError(
      h.client.otps.sms.send({ organization_id: organizationId, member_id: noPhone, mfa_phone_number: "4155550100" }),
      400,
      "invalid_phone_number",
    );
    await expectSdkError(h.client.otps.sms.authenticate({ ...base, code: "123456" }), 400, "no_session_arguments");
    await expectSdkError(
      h.client.otps.sms.authenticate({ ...base, code: "123456", intermediate_session_token: ist, session_token: "x".repeat(44) }),
      400,
      "too_many_session_arguments",
    );
    await expectSdkError(h.client.otps.sms.authenticate({ ...base, code: "12345", intermediate_session_token: ist }), 400, "invalid_code");
    // Another member's intermediate session does not work for this member.
    const other = await createMember(h, organizationId, { phone: newPhoneNumber() });
    const otherLogin = await loginNeedingMfa(h, organizationId, other);
    await expectSdkError(
      h.client.otps.sms.authenticate({ ...base, code: "123456", intermediate_session_token: otherLogin.ist }),
      404,
      "intermediate_session_not_found",
    );
    await expectSdkError(
      h.client.otps.sms.send({ organization_id: organizationId, member_id: "member-test-00000000-0000-4000-8000-000000000000" }),
      404,
      "member_not_found",
    );
  });

  it("an organization that allows only TOTP refuses SMS", async () => {
    const organizationId = await createOrganization(h, { mfa_policy: "REQUIRED_FOR_ALL", mfa_methods: "RESTRICTED", allowed_mfa_methods: ["totp"] });
    const memberId = await createMember(h, organizationId);
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(
      h.client.otps.sms.send({ organization_id: organizationId, member_id: memberId, mfa_phone_number: newPhoneNumber(), intermediate_session_token: ist }),
      400,
      "operation_restricted_by_organization_mfa_methods",
    );
  });

  it("sends are rate-limited per member (429 with Retry-After)", async () => {
    clock.advanceMinutes(1);
    const organizationId = await createOrganization(h, { mfa_policy: "OPTIONAL" });
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<Harness["request"]>> | undefined;
    for (let i = 0; i < 7; i++) {
      last = await h.request("POST", "/v1/b2b/otps/sms/send", { organization_id: organizationId, member_id: memberId });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    expectStytchError(last!.body, 429, "too_many_requests");
    const retryAfter = Number(last!.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    clock.advanceMinutes(1);
    assert.equal((await h.request("POST", "/v1/b2b/otps/sms/send", { organization_id: organizationId, member_id: memberId })).status, 200);
  });

  it("deleting the MFA phone number clears it, its verification and the default method; its pending code stops working", async () => {
    clock.advanceMinutes(1);
    const organizationId = await createOrganization(h);
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    const done = await h.client.otps.sms.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code: await latestSmsCode(h, phone),
      intermediate_session_token: ist,
    });
    assert.equal(done.member.default_mfa_method, "sms_otp");

    const again = await loginNeedingMfa(h, organizationId, memberId);
    const pendingCode = await latestSmsCode(h, phone);
    const deleted = await h.client.organizations.members.deleteMFAPhoneNumber({ organization_id: organizationId, member_id: memberId });
    assert.equal(deleted.member.mfa_phone_number, "");
    assert.equal(deleted.member.mfa_phone_number_verified, false);
    assert.equal(deleted.member.default_mfa_method, "");
    await expectSdkError(
      h.client.otps.sms.authenticate({ organization_id: organizationId, member_id: memberId, code: pendingCode, intermediate_session_token: again.ist }),
      401,
      "unable_to_auth_otp_code",
    );
    await expectSdkError(
      h.client.organizations.members.deleteMFAPhoneNumber({ organization_id: organizationId, member_id: memberId }),
      404,
      "member_phone_number_not_found",
    );
    // The session minted with the SMS factor stays valid (Stytch documents the same).
    assert.ok((await h.client.sessions.authenticate({ session_token: done.session_token })).member_session);
  });
});
