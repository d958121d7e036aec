/** Table: which OAuth factors prove a primary method for a member whose email is (not) verified. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideAuthentication, provesPrimaryFor, type RequirementMember, type RequirementSettings } from "./auth-outcome.js";

const settings: RequirementSettings = { auth_methods: "ALL_ALLOWED", allowed_auth_methods: [], mfa_policy: "OPTIONAL", mfa_methods: "ALL_ALLOWED", allowed_mfa_methods: [] };
const member = (emailAddressVerified?: boolean): RequirementMember => ({
  isBreakglass: false,
  mfaEnrolled: false,
  mfaPhoneNumber: "",
  mfaPhoneNumberVerified: false,
  totpRegistrationId: "",
  defaultMfaMethod: "",
  ...(emailAddressVerified === undefined ? {} : { emailAddressVerified }),
});
const oauth = (delivery: string) => ({ type: "oauth", delivery_method: delivery, last_authenticated_at: "2026-01-01T00:00:00Z" });

const TABLE: [delivery: string, verified: boolean | undefined, proves: boolean][] = [
  ["oauth_google", false, true],
  ["oauth_microsoft", false, true],
  ["oauth_github", false, false],
  ["oauth_slack", false, false],
  ["oauth_hubspot", false, false],
  ["oauth_exchange_google", false, false],
  ["oauth_exchange_slack", false, false],
  ["oauth_github", true, true],
  ["oauth_exchange_hubspot", true, true],
  ["oauth_slack", undefined, true],
];

describe("OAuth factors and unverified email", () => {
  for (const [delivery, verified, proves] of TABLE) {
    it(`${delivery}, email verified ${String(verified)}: ${proves ? "proves" : "does not prove"} a primary method`, () => {
      assert.equal(provesPrimaryFor(oauth(delivery), member(verified)), proves);
      const outcome = decideAuthentication({ settings, member: member(verified), factors: [oauth(delivery)] });
      assert.equal(outcome.kind === "satisfied", proves);
    });
  }
  it("non-OAuth factors are untouched", () => {
    assert.equal(provesPrimaryFor({ type: "magic_link", delivery_method: "email", last_authenticated_at: "" }, member(false)), true);
  });
});
