/**
 * @module Which of a session's factors carry over when a person switches organizations
 * (wire-spec §5.3.5, §5.4). Pure. What the carried factors are then worth in the target
 * organization is `decideAuthentication`'s business, the same as for any login.
 */
import type { AuthenticationFactor, Member } from "./types.js";

/** OAuth providers whose sign-in does not prove the email address: carried as `oauth_exchange_*`. */
const NON_EMAIL_VERIFYING_PROVIDERS = new Set(["slack", "hubspot", "github"]);

export type FactorTransfer = { carried: AuthenticationFactor[]; dropped: AuthenticationFactor[] };

function phoneOf(factor: AuthenticationFactor): string | undefined {
  return (factor.phone_number_factor as { phone_number?: string } | undefined)?.phone_number;
}

/**
 * The origin session's factors as the target member would hold them:
 * - email magic link and email OTP carry, pointing at the target member's email id;
 * - OAuth carries; providers that do not verify email become `oauth_exchange_<provider>`;
 * - SMS OTP carries only when both members have the same phone number, verified on both;
 * - password, TOTP, recovery codes, SSO and anything else never carry.
 * Every carried factor keeps its original `last_authenticated_at`.
 */
export function transferFactors(
  factors: AuthenticationFactor[],
  origin: Pick<Member, "mfaPhoneNumber" | "mfaPhoneNumberVerified">,
  target: Pick<Member, "emailId" | "emailAddress" | "mfaPhoneNumber" | "mfaPhoneNumberVerified">,
): FactorTransfer {
  const carried: AuthenticationFactor[] = [];
  const dropped: AuthenticationFactor[] = [];
  for (const factor of factors) {
    const transferred = transferOne(factor, origin, target);
    (transferred ? carried : dropped).push(transferred ?? factor);
  }
  return { carried, dropped };
}

function transferOne(
  factor: AuthenticationFactor,
  origin: Pick<Member, "mfaPhoneNumber" | "mfaPhoneNumberVerified">,
  target: Pick<Member, "emailId" | "emailAddress" | "mfaPhoneNumber" | "mfaPhoneNumberVerified">,
): AuthenticationFactor | null {
  const base = { type: factor.type, delivery_method: factor.delivery_method, last_authenticated_at: factor.last_authenticated_at };
  switch (factor.type) {
    case "magic_link":
    case "email_otp":
      if (factor.delivery_method !== "email") return null;
      return { ...base, email_factor: { email_id: target.emailId, email_address: target.emailAddress } };
    case "oauth": {
      const match = /^oauth_(?:exchange_)?([a-z]+)$/.exec(factor.delivery_method);
      const provider = match?.[1];
      if (!provider) return null;
      if (NON_EMAIL_VERIFYING_PROVIDERS.has(provider) || factor.delivery_method.startsWith("oauth_exchange_")) {
        return { ...base, delivery_method: `oauth_exchange_${provider}`, [`${provider}_oauth_exchange_factor`]: { email_id: target.emailId } };
      }
      return { ...factor };
    }
    case "otp": {
      const phone = phoneOf(factor);
      const samePhone =
        factor.delivery_method === "sms" &&
        phone !== undefined &&
        origin.mfaPhoneNumberVerified &&
        target.mfaPhoneNumberVerified &&
        phone === origin.mfaPhoneNumber &&
        phone === target.mfaPhoneNumber;
      return samePhone ? { ...factor } : null;
    }
    default:
      return null;
  }
}
