/**
 * TOTP and recovery codes end to end through the official SDK over a real port: enrollment
 * during a login into a REQUIRED_FOR_ALL organization (`totps.create` → a code computed here
 * from the returned secret → `totps.authenticate`), later logins, replay, drift, recovery codes
 * (`recoveryCodes.recover`, `rotate`, `get`) and deleting the registration.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { base32Decode } from "../../src/crypto/totp.js";
import { FakeClock, startHarness, type Harness } from "../support/harness.js";
import { createMember, createOrganization, expectSdkError, latestSmsCode, loginNeedingMfa, magicLinkLogin, newPhoneNumber, totpCode } from "./mfa-fixtures.js";

const RECOVERY_CODE = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/;

describe("TOTP and recovery codes", () => {
  let h: Harness;
  const clock = new FakeClock();
  before(async () => {
    h = await startHarness({ clock });
  });
  after(async () => h.close());

  /** A member of a REQUIRED_FOR_ALL organization with a verified TOTP registration. */
  async function enrolledMember(): Promise<{ organizationId: string; memberId: string; secret: string; recoveryCodes: string[]; registrationId: string }> {
    const organizationId = await createOrganization(h);
    const memberId = await createMember(h, organizationId);
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    const created = await h.client.totps.create({ organization_id: organizationId, member_id: memberId, intermediate_session_token: ist });
    await h.client.totps.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code: totpCode(h, created.secret),
      intermediate_session_token: ist,
    });
    clock.advanceSeconds(30); // later tests use the next step's code
    return { organizationId, memberId, secret: created.secret, recoveryCodes: created.recovery_codes, registrationId: created.totp_registration_id };
  }

  it("login → IST + mfa_required → totps.create → a code computed from the secret → totps.authenticate → a session with the TOTP factor", async () => {
    const organizationId = await createOrganization(h);
    const memberId = await createMember(h, organizationId);
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);

    const created = await h.client.totps.create({ organization_id: organizationId, member_id: memberId, intermediate_session_token: ist });
    assert.equal(created.status_code, 200);
    assert.match(created.totp_registration_id, /^member-totp-test-[0-9a-f-]{36}$/);
    assert.match(created.secret, /^[A-Z2-7]{32}$/);
    assert.equal(base32Decode(created.secret).length, 20, "160-bit secret");
    assert.match(created.qr_code, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    assert.deepEqual([...Buffer.from(created.qr_code.split(",")[1]!, "base64").subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(created.recovery_codes.length, 10);
    assert.equal(new Set(created.recovery_codes).size, 10);
    for (const code of created.recovery_codes) assert.match(code, RECOVERY_CODE);
    assert.equal(created.member.totp_registration_id, "", "not the member's registration until a code verifies it");

    const authenticated = await h.client.totps.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code: totpCode(h, created.secret),
      intermediate_session_token: ist,
    });
    assert.notEqual(authenticated.session_token, "");
    const factors = authenticated.member_session!.authentication_factors;
    assert.deepEqual(
      factors.map((factor) => `${factor.type}/${factor.delivery_method}`),
      ["magic_link/email", "totp/authenticator_app"],
    );
    assert.deepEqual(factors[1]!.authenticator_app_factor, { totp_id: created.totp_registration_id });
    assert.equal(authenticated.member.totp_registration_id, created.totp_registration_id);
    assert.equal(authenticated.member.default_mfa_method, "totp");
    assert.equal(authenticated.member.mfa_enrolled, true);

    // The next login offers the TOTP registration and sends no SMS.
    const next = await loginNeedingMfa(h, organizationId, memberId);
    assert.deepEqual(next.result.mfaRequired, {
      member_options: { mfa_phone_number: "", totp_registration_id: created.totp_registration_id },
      secondary_auth_initiated: null,
    });
  });

  it("the secret is stored sealed, never in the clear, and recovery codes only as keyed hashes", async () => {
    const organizationId = await createOrganization(h);
    const memberId = await createMember(h, organizationId);
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    const created = await h.client.totps.create({ organization_id: organizationId, member_id: memberId, intermediate_session_token: ist });
    const [registration] = await h.app.store.listTotpRegistrations(h.project.projectId, memberId);
    assert.ok(registration);
    assert.ok(!registration.sealedSecret.includes(created.secret));
    assert.match(registration.sealedSecret, /^v1\./);
    assert.equal(await h.app.services.instanceKeys.open(registration.sealedSecret), created.secret);
    const stored = await h.app.store.listRecoveryCodes(h.project.projectId, created.totp_registration_id);
    assert.equal(stored.length, 10);
    for (const record of stored) {
      assert.equal(record.codeHash.length, 32);
      for (const code of created.recovery_codes) assert.ok(!record.codeHash.toString("latin1").includes(code));
    }
  });

  it("a TOTP code is not accepted twice; one step of drift either side is", async () => {
    const { organizationId, memberId, secret } = await enrolledMember();
    const base = { organization_id: organizationId, member_id: memberId };

    const first = await loginNeedingMfa(h, organizationId, memberId);
    const code = totpCode(h, secret);
    await h.client.totps.authenticate({ ...base, code, intermediate_session_token: first.ist });

    const second = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(h.client.totps.authenticate({ ...base, code, intermediate_session_token: second.ist }), 401, "totp_code_already_authenticated");
    // An older step than the last accepted one is a replay too.
    await expectSdkError(
      h.client.totps.authenticate({ ...base, code: totpCode(h, secret, -1), intermediate_session_token: second.ist }),
      401,
      "totp_code_already_authenticated",
    );
    // The next step's code (a phone clock running 30 s fast) is accepted …
    const ahead = await h.client.totps.authenticate({ ...base, code: totpCode(h, secret, 1), intermediate_session_token: second.ist });
    assert.ok(ahead.member_session);

    // … two steps away is not.
    clock.advanceSeconds(90);
    const third = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(
      h.client.totps.authenticate({ ...base, code: totpCode(h, secret, 2), intermediate_session_token: third.ist }),
      401,
      "unable_to_authenticate_totp",
    );
    // One step behind (a slow phone) is fine.
    const behind = await h.client.totps.authenticate({ ...base, code: totpCode(h, secret, -1), intermediate_session_token: third.ist });
    assert.ok(behind.member_session);
  });

  it("the same code raced twice mints exactly one session", async () => {
    const { organizationId, memberId, secret } = await enrolledMember();
    const a = await loginNeedingMfa(h, organizationId, memberId);
    const b = await loginNeedingMfa(h, organizationId, memberId);
    const code = totpCode(h, secret);
    const responses = await Promise.all(
      [a.ist, b.ist].map((ist) =>
        h.request("POST", "/v1/b2b/totp/authenticate", { organization_id: organizationId, member_id: memberId, code, intermediate_session_token: ist }),
      ),
    );
    assert.deepEqual(responses.map((response) => response.status).sort(), [200, 401]);
    assert.equal(responses.find((response) => response.status === 401)!.body.error_type, "totp_code_already_authenticated");
  });

  it("recoveryCodes.recover completes MFA with one code, after which that code no longer works", async () => {
    const { organizationId, memberId, recoveryCodes } = await enrolledMember();
    const base = { organization_id: organizationId, member_id: memberId };

    const login = await loginNeedingMfa(h, organizationId, memberId);
    const recovered = await h.client.recoveryCodes.recover({ ...base, recovery_code: recoveryCodes[0]!, intermediate_session_token: login.ist });
    assert.equal(recovered.recovery_codes_remaining, 9);
    assert.notEqual(recovered.session_token, "");
    const factors = recovered.member_session!.authentication_factors;
    assert.deepEqual(
      factors.map((factor) => `${factor.type}/${factor.delivery_method}`),
      ["magic_link/email", "recovery_codes/recovery_code"],
    );
    assert.match((factors[1]!.recovery_code_factor as { totp_recovery_code_id: string }).totp_recovery_code_id, /^member-totp-recovery-code-test-/);

    const again = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(
      h.client.recoveryCodes.recover({ ...base, recovery_code: recoveryCodes[0]!, intermediate_session_token: again.ist }),
      401,
      "unable_to_authenticate_recovery_code",
    );
    // Typed by hand: upper case, without dashes, with spaces — still the same code.
    const typed = recoveryCodes[1]!.toUpperCase().replace(/-/g, " ");
    const second = await h.client.recoveryCodes.recover({ ...base, recovery_code: typed, intermediate_session_token: again.ist });
    assert.equal(second.recovery_codes_remaining, 8);
  });

  it("recovery_codes/rotate replaces every code; get cannot show hashed codes", async () => {
    const { organizationId, memberId, recoveryCodes } = await enrolledMember();
    const base = { organization_id: organizationId, member_id: memberId };
    const rotated = await h.client.recoveryCodes.rotate(base);
    assert.equal(rotated.recovery_codes.length, 10);
    for (const code of rotated.recovery_codes) assert.match(code, RECOVERY_CODE);
    assert.equal(rotated.member.member_id, memberId);

    const login = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(
      h.client.recoveryCodes.recover({ ...base, recovery_code: recoveryCodes[2]!, intermediate_session_token: login.ist }),
      401,
      "unable_to_authenticate_recovery_code",
    );
    const ok = await h.client.recoveryCodes.recover({ ...base, recovery_code: rotated.recovery_codes[0]!, intermediate_session_token: login.ist });
    assert.equal(ok.recovery_codes_remaining, 9);

    // get shows the unused codes: the rotated set minus the one just used.
    const shown = await h.client.recoveryCodes.get(base);
    assert.deepEqual([...shown.recovery_codes].sort(), rotated.recovery_codes.slice(1).sort());
    const bare = await createMember(h, organizationId);
    await expectSdkError(h.client.recoveryCodes.get({ organization_id: organizationId, member_id: bare }), 400, "no_active_recovery_code_backed_factor");
    await expectSdkError(h.client.recoveryCodes.rotate({ organization_id: organizationId, member_id: bare }), 400, "no_active_recovery_code_backed_factor");
  });

  it("anti-bypass: a member with a verified TOTP cannot add a phone, or a new TOTP, on a login that has not passed MFA", async () => {
    const { organizationId, memberId, secret } = await enrolledMember();
    const base = { organization_id: organizationId, member_id: memberId };
    const login = await loginNeedingMfa(h, organizationId, memberId);
    const phone = newPhoneNumber();

    await expectSdkError(h.client.otps.sms.send({ ...base, mfa_phone_number: phone }), 400, "session_enforced_factor_matching_session_required");
    await expectSdkError(
      h.client.otps.sms.send({ ...base, mfa_phone_number: phone, intermediate_session_token: login.ist }),
      400,
      "session_enforced_factor_matching_session_required",
    );
    await expectSdkError(h.client.totps.create({ ...base, intermediate_session_token: login.ist }), 400, "active_totp_exists");

    // With a session that carries the TOTP factor, adding a phone is allowed.
    const session = await h.client.totps.authenticate({ ...base, code: totpCode(h, secret), intermediate_session_token: login.ist });
    await h.client.otps.sms.send({ ...base, mfa_phone_number: phone, session_token: session.session_token });
    const code = await latestSmsCode(h, phone);
    const both = await h.client.otps.sms.authenticate({ ...base, code, session_token: session.session_token });
    assert.equal(both.member.mfa_phone_number_verified, true);
    assert.equal(both.member.default_mfa_method, "totp", "set_default_mfa not passed: the default stays");
    assert.deepEqual(
      both.member_session!.authentication_factors.map((factor) => factor.type),
      ["magic_link", "totp", "otp"],
    );
  });

  it("anti-bypass: a member with a verified phone needs the SMS factor to create a TOTP registration", async () => {
    const organizationId = await createOrganization(h);
    const phone = newPhoneNumber();
    const memberId = await createMember(h, organizationId, { phone });
    const base = { organization_id: organizationId, member_id: memberId };
    const login = await loginNeedingMfa(h, organizationId, memberId);
    const verified = await h.client.otps.sms.authenticate({ ...base, code: await latestSmsCode(h, phone), intermediate_session_token: login.ist });

    const next = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(h.client.totps.create({ ...base }), 400, "session_enforced_factor_matching_session_required");
    await expectSdkError(h.client.totps.create({ ...base, intermediate_session_token: next.ist }), 400, "session_enforced_factor_matching_session_required");
    // A session JWT names the session as well as its token does.
    const created = await h.client.totps.create({ ...base, session_jwt: verified.session_jwt });
    assert.equal(created.recovery_codes.length, 10);
  });

  it("a pending member enrolls during its first login and becomes active; without a login it cannot attach a factor", async () => {
    const organizationId = await createOrganization(h);
    const memberId = await createMember(h, organizationId, { pending: true });
    const base = { organization_id: organizationId, member_id: memberId };
    await expectSdkError(h.client.totps.create(base), 400, "action_available_only_for_active_members");
    await expectSdkError(h.client.otps.sms.send({ ...base, mfa_phone_number: newPhoneNumber() }), 400, "action_available_only_for_active_members");

    const { ist, result } = await loginNeedingMfa(h, organizationId, memberId);
    assert.equal(result.member.status, "pending");
    const created = await h.client.totps.create({ ...base, intermediate_session_token: ist });
    const done = await h.client.totps.authenticate({ ...base, code: totpCode(h, created.secret), intermediate_session_token: ist });
    assert.equal(done.member.status, "active");
    assert.ok(done.member_session);
  });

  it("an unverified registration lapses after expiration_minutes; a new create replaces it", async () => {
    const organizationId = await createOrganization(h);
    const memberId = await createMember(h, organizationId);
    const base = { organization_id: organizationId, member_id: memberId };
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(h.client.totps.create({ ...base, expiration_minutes: 4, intermediate_session_token: ist }), 400, "invalid_expiration");
    await expectSdkError(h.client.totps.create({ ...base, expiration_minutes: 1441, intermediate_session_token: ist }), 400, "invalid_expiration");
    const created = await h.client.totps.create({ ...base, expiration_minutes: 5, intermediate_session_token: ist });
    clock.advanceSeconds(5 * 60 + 1);
    const later = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(
      h.client.totps.authenticate({ ...base, code: totpCode(h, created.secret), intermediate_session_token: later.ist }),
      400,
      "expired_totp",
    );
    const replaced = await h.client.totps.create({ ...base, intermediate_session_token: later.ist });
    assert.notEqual(replaced.totp_registration_id, created.totp_registration_id);
    assert.equal((await h.app.store.listTotpRegistrations(h.project.projectId, memberId)).length, 1);
    const ok = await h.client.totps.authenticate({ ...base, code: totpCode(h, replaced.secret), intermediate_session_token: later.ist });
    assert.equal(ok.member.totp_registration_id, replaced.totp_registration_id);
  });

  it("deleting the TOTP registration removes it and its recovery codes; a new one can then be created", async () => {
    const { organizationId, memberId, recoveryCodes, registrationId } = await enrolledMember();
    const base = { organization_id: organizationId, member_id: memberId };
    const deleted = await h.client.organizations.members.deleteTOTP(base);
    assert.equal(deleted.member.totp_registration_id, "");
    assert.equal(deleted.member.default_mfa_method, "");
    assert.equal((await h.app.store.listTotpRegistrations(h.project.projectId, memberId)).length, 0);
    assert.equal((await h.app.store.listRecoveryCodes(h.project.projectId, registrationId)).length, 0);
    await expectSdkError(h.client.organizations.members.deleteTOTP(base), 404, "totp_not_found");

    const login = await loginNeedingMfa(h, organizationId, memberId);
    assert.equal(login.result.mfaRequired?.member_options.totp_registration_id, "");
    await expectSdkError(
      h.client.recoveryCodes.recover({ ...base, recovery_code: recoveryCodes[0]!, intermediate_session_token: login.ist }),
      400,
      "no_active_recovery_code_backed_factor",
    );
    const created = await h.client.totps.create({ ...base, intermediate_session_token: login.ist });
    assert.notEqual(created.totp_registration_id, registrationId);
  });

  it("refuses malformed codes, codes for the wrong endpoint, and TOTP where only SMS is allowed", async () => {
    const { organizationId, memberId, recoveryCodes } = await enrolledMember();
    const base = { organization_id: organizationId, member_id: memberId };
    const { ist } = await loginNeedingMfa(h, organizationId, memberId);
    await expectSdkError(h.client.totps.authenticate({ ...base, code: "12a456", intermediate_session_token: ist }), 400, "invalid_totp_code");
    await expectSdkError(h.client.totps.authenticate({ ...base, code: recoveryCodes[0]!, intermediate_session_token: ist }), 400, "recovery_code_used_as_totp_code");
    await expectSdkError(h.client.recoveryCodes.recover({ ...base, recovery_code: "123456", intermediate_session_token: ist }), 400, "totp_code_used_as_recovery_code");
    await expectSdkError(h.client.totps.authenticate({ ...base, code: "123456" }), 400, "no_session_arguments");

    const smsOnly = await createOrganization(h, { mfa_policy: "REQUIRED_FOR_ALL", mfa_methods: "RESTRICTED", allowed_mfa_methods: ["sms_otp"] });
    const member = await createMember(h, smsOnly);
    const login = await loginNeedingMfa(h, smsOnly, member);
    await expectSdkError(
      h.client.totps.create({ organization_id: smsOnly, member_id: member, intermediate_session_token: login.ist }),
      400,
      "operation_restricted_by_organization_mfa_methods",
    );
  });

  it("an intermediate session that still needs a primary login cannot be used for MFA", async () => {
    const organizationId = await createOrganization(h, {
      mfa_policy: "REQUIRED_FOR_ALL",
      auth_methods: "RESTRICTED",
      allowed_auth_methods: ["sso"],
    });
    const memberId = await createMember(h, organizationId);
    const login = await magicLinkLogin(h, organizationId, memberId);
    assert.deepEqual(login.primaryRequired, { allowed_auth_methods: ["sso"] });
    await expectSdkError(
      h.client.totps.create({ organization_id: organizationId, member_id: memberId, intermediate_session_token: login.intermediateSessionToken }),
      400,
      "action_available_only_once_primary_authentication_is_met",
    );
  });

  it("locks the member's MFA after 100 wrong codes in the hour (429), across factors; a success resets the count", async () => {
    const HOUR = 60 * 60_000;
    clock.current = Math.ceil(clock.current / HOUR) * HOUR + 1000; // the start of an hourly window
    const { organizationId, memberId, secret, recoveryCodes } = await enrolledMember();
    const base = { organization_id: organizationId, member_id: memberId };
    let next = 0;
    let ist = "";
    /** `count` wrong TOTP codes, 6 s apart (ten a minute: under the burst limit), each refused as wrong. */
    const guessWrong = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        if (i % 50 === 0) ist = (await loginNeedingMfa(h, organizationId, memberId)).ist; // an IST lives 10 minutes
        const valid = new Set([-1, 0, 1].map((offset) => totpCode(h, secret, offset)));
        let code: string;
        do code = String(next++).padStart(6, "0");
        while (valid.has(code));
        const response = await h.request("POST", "/v1/b2b/totp/authenticate", { ...base, code, intermediate_session_token: ist });
        assert.equal(response.body.error_type, "unable_to_authenticate_totp", `guess ${i + 1} at ${new Date(clock.now()).toISOString()}: ${JSON.stringify(response.body)}`);
        clock.advanceSeconds(6);
      }
    };

    await guessWrong(99);
    const ok = await h.client.totps.authenticate({ ...base, code: totpCode(h, secret), intermediate_session_token: ist });
    assert.ok(ok.member_session, "a success within the budget works, and gives the budget back");
    clock.advanceSeconds(6);

    await guessWrong(100);
    const locked = await h.request("POST", "/v1/b2b/recovery_codes/recover", { ...base, recovery_code: recoveryCodes[0], intermediate_session_token: ist });
    assert.equal(locked.status, 429, JSON.stringify(locked.body));
    assert.equal(locked.body.error_type, "user_lock_limit_reached");
    const retryAfter = Number(locked.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 3600, `Retry-After ${retryAfter}`);

    clock.advanceSeconds(retryAfter);
    const fresh = await loginNeedingMfa(h, organizationId, memberId);
    const recovered = await h.client.recoveryCodes.recover({ ...base, recovery_code: recoveryCodes[0]!, intermediate_session_token: fresh.ist });
    assert.ok(recovered.member_session, "the lock lifts when the hour is over");
  });
});
