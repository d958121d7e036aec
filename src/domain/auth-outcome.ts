/**
 * @module The one decision every login, MFA step and session exchange ends in: do the factors
 * this person holds satisfy the organization's primary (`auth_methods`) and MFA requirements,
 * and if not, what is still required. Pure; table-driven tests beside it.
 */
import type { AuthenticationFactor, Member, MfaMethod, OrganizationSettings, PrimaryAuthMethod } from "./types.js";

type OAuthProvider = "google" | "microsoft" | "slack" | "github" | "hubspot";

const OAUTH_METHOD: Record<OAuthProvider, PrimaryAuthMethod> = {
  google: "google_oauth",
  microsoft: "microsoft_oauth",
  slack: "slack_oauth",
  github: "github_oauth",
  hubspot: "hubspot_oauth",
};

/** The `allowed_auth_methods` name a factor proves, or null for secondary (MFA) factors. */
export function primaryMethodOf(factor: AuthenticationFactor): PrimaryAuthMethod | null {
  switch (factor.type) {
    case "magic_link":
      return "magic_link";
    case "email_otp":
      return "email_otp";
    case "password":
      return "password";
    case "sso":
      return "sso";
    case "oauth": {
      const provider = /^oauth_(?:exchange_)?(google|microsoft|slack|github|hubspot)$/.exec(factor.delivery_method)?.[1];
      return provider ? OAUTH_METHOD[provider as OAuthProvider] : null;
    }
    default:
      return null;
  }
}

/** The `allowed_mfa_methods` name a factor proves (recovery codes stand in for TOTP), or null. */
export function mfaMethodOf(factor: AuthenticationFactor): MfaMethod | null {
  if (factor.type === "otp" && factor.delivery_method === "sms") return "sms_otp";
  if (factor.type === "totp" || factor.type === "recovery_codes") return "totp";
  return null;
}

export type RequirementSettings = Pick<
  OrganizationSettings,
  "auth_methods" | "allowed_auth_methods" | "mfa_policy" | "mfa_methods" | "allowed_mfa_methods"
>;

export type RequirementMember = Pick<
  Member,
  "isBreakglass" | "mfaEnrolled" | "mfaPhoneNumber" | "mfaPhoneNumberVerified" | "totpRegistrationId" | "defaultMfaMethod"
> &
  // Absent: treated as verified (callers that predate OAuth).
  Partial<Pick<Member, "emailAddressVerified">>;

/**
 * OAuth factors of providers that do not vouch for the email (GitHub, Slack, HubSpot, and every
 * `oauth_exchange_*`): they prove a primary method only for a member whose email is verified.
 */
export function provesPrimaryFor(factor: AuthenticationFactor, member: RequirementMember): boolean {
  if (factor.type !== "oauth" || member.emailAddressVerified !== false) return true;
  return !/^oauth_(exchange_[a-z]+|github|slack|hubspot)$/.test(factor.delivery_method);
}

export type AuthOutcome =
  | { kind: "satisfied" }
  | {
      kind: "step_up";
      /** Set when no held factor is an allowed primary method; the list may be empty. */
      primaryRequired: { allowed_auth_methods: PrimaryAuthMethod[] } | null;
      mfaRequired: boolean;
      /** An SMS passcode should go out now: only MFA is left, SMS is allowed, and there is a phone to text. */
      sendSmsOtp: boolean;
    };

/** Whether an MFA factor really belongs to this member: an SMS factor needs the member's verified phone. */
function mfaFactorCounts(factor: AuthenticationFactor, member: RequirementMember): boolean {
  const method = mfaMethodOf(factor);
  if (method === "sms_otp") {
    const phone = (factor.phone_number_factor as { phone_number?: string } | undefined)?.phone_number;
    return member.mfaPhoneNumberVerified && member.mfaPhoneNumber !== "" && phone === member.mfaPhoneNumber;
  }
  if (factor.type === "totp") {
    const totpId = (factor.authenticator_app_factor as { totp_id?: string } | undefined)?.totp_id;
    return member.totpRegistrationId !== "" && totpId === member.totpRegistrationId;
  }
  return method !== null;
}

export function isSmsAllowed(settings: RequirementSettings, member: RequirementMember): boolean {
  return member.isBreakglass || settings.mfa_methods !== "RESTRICTED" || settings.allowed_mfa_methods.includes("sms_otp");
}

export function isMfaRequired(settings: RequirementSettings, member: RequirementMember): boolean {
  // Break-glass members are exempt from method restrictions, not from the MFA policy.
  return settings.mfa_policy === "REQUIRED_FOR_ALL" || member.mfaEnrolled;
}

export function decideAuthentication(input: {
  settings: RequirementSettings;
  member: RequirementMember;
  factors: AuthenticationFactor[];
}): AuthOutcome {
  const { settings, member, factors } = input;
  const restricted = settings.auth_methods === "RESTRICTED" && !member.isBreakglass;
  const primaryMethods = factors
    .filter((factor) => provesPrimaryFor(factor, member))
    .map(primaryMethodOf).filter((method): method is PrimaryAuthMethod => method !== null);
  const primarySatisfied = restricted
    ? primaryMethods.some((method) => settings.allowed_auth_methods.includes(method))
    : primaryMethods.length > 0;

  const mfaRequired = isMfaRequired(settings, member);
  const mfaRestricted = settings.mfa_methods === "RESTRICTED" && !member.isBreakglass;
  const mfaSatisfied =
    !mfaRequired ||
    factors.some((factor) => {
      const method = mfaMethodOf(factor);
      return method !== null && mfaFactorCounts(factor, member) && (!mfaRestricted || settings.allowed_mfa_methods.includes(method));
    });

  if (primarySatisfied && mfaSatisfied) return { kind: "satisfied" };
  const prefersTotp = member.defaultMfaMethod === "totp" && member.totpRegistrationId !== "";
  return {
    kind: "step_up",
    primaryRequired: primarySatisfied ? null : { allowed_auth_methods: restricted ? [...settings.allowed_auth_methods] : [] },
    mfaRequired: !mfaSatisfied,
    sendSmsOtp: primarySatisfied && !mfaSatisfied && member.mfaPhoneNumber !== "" && isSmsAllowed(settings, member) && !prefersTotp,
  };
}

/** A phone number as MFA prompts show it: all but the last four digits masked. */
export function maskPhoneNumber(phone: string): string {
  if (phone.length <= 4) return phone;
  return "X".repeat(phone.length - 4) + phone.slice(-4);
}

/** Factor identity for merging: the same kind of proof from the same source replaces the older one. */
function factorKey(factor: AuthenticationFactor): string {
  const sub = Object.entries(factor).find(([key, value]) => key.endsWith("_factor") && typeof value === "object" && value !== null);
  return `${factor.type}|${factor.delivery_method}|${sub ? JSON.stringify(sub[1]) : ""}`;
}

/** `held` plus `added`, where an added factor replaces a held one of the same identity. */
export function mergeFactors(held: AuthenticationFactor[], added: AuthenticationFactor[]): AuthenticationFactor[] {
  const byKey = new Map<string, AuthenticationFactor>();
  for (const factor of [...held, ...added]) byKey.set(factorKey(factor), factor);
  return [...byKey.values()];
}
