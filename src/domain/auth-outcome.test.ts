import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decideAuthentication,
  maskPhoneNumber,
  mergeFactors,
  primaryMethodOf,
  type RequirementMember,
  type RequirementSettings,
} from "./auth-outcome.js";
import type { AuthenticationFactor } from "./types.js";

const at = "2026-01-15T10:00:00Z";
const PHONE = "+14155550123";
const TOTP_ID = "member-totp-test-1";

const magicLink: AuthenticationFactor = {
  type: "magic_link",
  delivery_method: "email",
  last_authenticated_at: at,
  email_factor: { email_id: "email-test-1", email_address: "ada@example.com" },
};
const emailOtp: AuthenticationFactor = { ...magicLink, type: "email_otp" };
const password: AuthenticationFactor = { type: "password", delivery_method: "knowledge", last_authenticated_at: at };
const googleOAuth: AuthenticationFactor = {
  type: "oauth",
  delivery_method: "oauth_google",
  last_authenticated_at: at,
  google_oauth_factor: { id: "oauth-user-test-1", provider_subject: "123" },
};
const sms = (phone: string): AuthenticationFactor => ({
  type: "otp",
  delivery_method: "sms",
  last_authenticated_at: at,
  phone_number_factor: { phone_id: "phone-1", phone_number: phone },
});
const totp = (id: string): AuthenticationFactor => ({
  type: "totp",
  delivery_method: "authenticator_app",
  last_authenticated_at: at,
  authenticator_app_factor: { totp_id: id },
});

const recoveryCode: AuthenticationFactor = {
  type: "recovery_codes",
  delivery_method: "recovery_code",
  last_authenticated_at: at,
  recovery_code_factor: { totp_recovery_code_id: "member-totp-recovery-code-test-1" },
};

const open: RequirementSettings = {
  auth_methods: "ALL_ALLOWED",
  allowed_auth_methods: [],
  mfa_policy: "OPTIONAL",
  mfa_methods: "ALL_ALLOWED",
  allowed_mfa_methods: [],
};
const restrictedToSso: RequirementSettings = { ...open, auth_methods: "RESTRICTED", allowed_auth_methods: ["sso", "magic_link"] };
const mfaForAll: RequirementSettings = { ...open, mfa_policy: "REQUIRED_FOR_ALL" };
const mfaTotpOnly: RequirementSettings = { ...mfaForAll, mfa_methods: "RESTRICTED", allowed_mfa_methods: ["totp"] };
const mfaSmsOnly: RequirementSettings = { ...mfaForAll, mfa_methods: "RESTRICTED", allowed_mfa_methods: ["sms_otp"] };

const plain: RequirementMember = {
  isBreakglass: false,
  mfaEnrolled: false,
  mfaPhoneNumber: "",
  mfaPhoneNumberVerified: false,
  totpRegistrationId: "",
  defaultMfaMethod: "",
};
const withPhone: RequirementMember = { ...plain, mfaPhoneNumber: PHONE, mfaPhoneNumberVerified: true };
const withTotpDefault: RequirementMember = { ...withPhone, totpRegistrationId: TOTP_ID, defaultMfaMethod: "totp" };
const breakglass: RequirementMember = { ...plain, isBreakglass: true };
const enrolled: RequirementMember = { ...withPhone, mfaEnrolled: true };

type Expected =
  | "satisfied"
  | { primary: string[] | null; mfa: boolean; sms: boolean };

const cases: [string, RequirementSettings, RequirementMember, AuthenticationFactor[], Expected][] = [
  ["a magic link satisfies an open organization", open, plain, [magicLink], "satisfied"],
  ["a password satisfies an open organization", open, plain, [password], "satisfied"],
  ["no factor at all needs a primary login, with an empty list when methods are open", open, plain, [], { primary: [], mfa: false, sms: false }],
  ["an SMS factor alone is not a primary login", open, withPhone, [sms(PHONE)], { primary: [], mfa: false, sms: false }],
  ["a password into an organization restricted to sso and magic links needs a primary login", restrictedToSso, plain, [password], { primary: ["sso", "magic_link"], mfa: false, sms: false }],
  ["a magic link into that organization satisfies it", restrictedToSso, plain, [magicLink], "satisfied"],
  ["email OTP is its own method: not allowed where only magic links are", restrictedToSso, plain, [emailOtp], { primary: ["sso", "magic_link"], mfa: false, sms: false }],
  ["a break-glass member is exempt from the method restriction", restrictedToSso, breakglass, [password], "satisfied"],
  ["MFA for all with no second factor and no phone asks for MFA without sending", mfaForAll, plain, [magicLink], { primary: null, mfa: true, sms: false }],
  ["MFA for all with a phone pre-sends an SMS", mfaForAll, withPhone, [magicLink], { primary: null, mfa: true, sms: true }],
  ["a member whose default is TOTP gets no SMS", mfaForAll, withTotpDefault, [magicLink], { primary: null, mfa: true, sms: false }],
  ["no SMS where the organization allows only TOTP", mfaTotpOnly, withPhone, [magicLink], { primary: null, mfa: true, sms: false }],
  ["an SMS factor on the member's verified phone satisfies MFA", mfaForAll, withPhone, [magicLink, sms(PHONE)], "satisfied"],
  ["an SMS factor on another phone does not", mfaForAll, withPhone, [magicLink, sms("+14155550999")], { primary: null, mfa: true, sms: true }],
  ["an SMS factor does not count while the member's phone is unverified", mfaForAll, { ...withPhone, mfaPhoneNumberVerified: false }, [magicLink, sms(PHONE)], { primary: null, mfa: true, sms: true }],
  ["SMS does not satisfy an organization that allows only TOTP", mfaTotpOnly, withPhone, [magicLink, sms(PHONE)], { primary: null, mfa: true, sms: false }],
  ["the member's own TOTP satisfies MFA", mfaTotpOnly, withTotpDefault, [magicLink, totp(TOTP_ID)], "satisfied"],
  ["another registration's TOTP does not", mfaForAll, withTotpDefault, [magicLink, totp("member-totp-test-other")], { primary: null, mfa: true, sms: false }],
  ["a member enrolled in MFA needs it in an optional organization", open, enrolled, [googleOAuth], { primary: null, mfa: true, sms: true }],
  ["break-glass members are not exempt from the MFA policy", mfaForAll, breakglass, [password], { primary: null, mfa: true, sms: false }],
  ["a recovery code stands in for the member's TOTP", mfaTotpOnly, withTotpDefault, [magicLink, recoveryCode], "satisfied"],
  ["a recovery code counts as TOTP, so not where only SMS is allowed", mfaSmsOnly, withTotpDefault, [magicLink, recoveryCode], { primary: null, mfa: true, sms: false }],
  ["a TOTP factor of a registration the member has not verified does not count", mfaForAll, withPhone, [magicLink, totp(TOTP_ID)], { primary: null, mfa: true, sms: true }],
  ["both missing: primary and MFA are asked for, and no SMS goes out before the primary login", { ...restrictedToSso, mfa_policy: "REQUIRED_FOR_ALL" }, withPhone, [password], { primary: ["sso", "magic_link"], mfa: true, sms: false }],
];

describe("decideAuthentication", () => {
  for (const [name, settings, member, factors, expected] of cases) {
    it(name, () => {
      const outcome = decideAuthentication({ settings, member, factors });
      if (expected === "satisfied") {
        assert.deepEqual(outcome, { kind: "satisfied" });
      } else {
        assert.equal(outcome.kind, "step_up");
        if (outcome.kind !== "step_up") return;
        assert.deepEqual(outcome.primaryRequired, expected.primary === null ? null : { allowed_auth_methods: expected.primary });
        assert.equal(outcome.mfaRequired, expected.mfa);
        assert.equal(outcome.sendSmsOtp, expected.sms);
      }
    });
  }
});

describe("primaryMethodOf", () => {
  it("maps exchanged OAuth factors to their provider's method", () => {
    assert.equal(primaryMethodOf({ ...googleOAuth, delivery_method: "oauth_exchange_slack" }), "slack_oauth");
  });
  it("gives null for secondary factors", () => {
    assert.equal(primaryMethodOf(sms(PHONE)), null);
    assert.equal(primaryMethodOf(totp(TOTP_ID)), null);
  });
});

describe("mergeFactors", () => {
  it("replaces a held factor with a newer one of the same identity and keeps the rest", () => {
    const newer = { ...magicLink, last_authenticated_at: "2026-01-15T11:00:00Z" };
    assert.deepEqual(mergeFactors([magicLink, password], [newer]), [newer, password]);
  });
});

describe("maskPhoneNumber", () => {
  it("keeps only the last four digits", () => {
    assert.equal(maskPhoneNumber("+14155550123"), "XXXXXXXX0123");
  });
});
