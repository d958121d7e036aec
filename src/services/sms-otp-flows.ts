/**
 * @module `otps/sms/send` and `otps/sms/authenticate`, and deleting a member's MFA phone number.
 * Issuing a code is `SmsOtpService`'s job (shared with the pre-emptive send of logins); this
 * module adds the request rules around it and the authenticate step, which claims an attempt
 * on the code before comparing keyed hashes and ends in `AuthenticationService.conclude`.
 */
import type { Member, Organization, Project } from "../domain/types.js";
import { digestsEqual } from "../crypto/token-hash.js";
import { AppError } from "../errors.js";
import { DEFAULT_LOCALE, resolveLocale } from "../messages/locales.js";
import { sessionOptionsOf, type AuthenticationResult, type AuthenticationService } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import type { InstanceKeys } from "./instance-keys.js";
import { smsFactor, type MfaCredentialInput, type MfaEnrollmentChange, type MfaSupport } from "./mfa-support.js";
import { smsOtpSubject, type SmsOtpService } from "./sms-otp.js";

export interface SmsSendRequest extends MfaCredentialInput {
  organization_id: string;
  member_id: string;
  mfa_phone_number?: string;
  locale?: string;
}

export interface SmsAuthenticateRequest extends MfaCredentialInput {
  organization_id: string;
  member_id: string;
  code: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  set_mfa_enrollment?: MfaEnrollmentChange;
  set_default_mfa?: boolean;
}

const SIX_DIGITS = /^\d{6}$/;

export class SmsOtpFlows {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly support: MfaSupport,
    private readonly smsOtp: SmsOtpService,
    private readonly instanceKeys: InstanceKeys,
    private readonly authentication: AuthenticationService,
  ) {}

  /**
   * Sends a fresh code (superseding the previous one) to the member's phone, or to
   * `mfa_phone_number`, which is then linked to the member, unverified.
   */
  async send(project: Project, request: SmsSendRequest): Promise<{ member: Member; organization: Organization }> {
    const locale = resolveLocale(request.locale);
    if (locale === null) throw new AppError("invalid_locale");
    const { organization, member } = await this.support.target(project, request.organization_id, request.member_id);
    this.support.assertMethodAllowed(organization, member, "sms_otp");
    const credential = await this.support.resolveCredential(project, organization, member, request, { required: false });
    this.support.assertPrimaryMet(organization, member, credential);

    const given = request.mfa_phone_number ?? "";
    let phoneNumber = member.mfaPhoneNumber;
    if (phoneNumber === "") {
      if (given === "") throw new AppError("member_phone_number_not_found");
      phoneNumber = given;
    } else if (given !== "" && given !== phoneNumber) {
      throw new AppError("duplicate_member_phone_number_for_member");
    }
    // Texting the member's verified phone proves that factor; any other number is a new factor.
    const attachesNewFactor = !(member.mfaPhoneNumberVerified && member.mfaPhoneNumber === phoneNumber);
    this.support.assertMayUseFactor(member, credential, attachesNewFactor);

    const limits = await this.smsOtp.withinSendLimits(project, member, phoneNumber);
    if (!limits.allowed) {
      throw new AppError("too_many_requests", undefined, { retryAfterSeconds: Math.max(1, Math.ceil(limits.retryAfterMs / 1000)) });
    }
    const linked: Member =
      member.mfaPhoneNumber === phoneNumber
        ? member
        : { ...member, mfaPhoneNumber: phoneNumber, mfaPhoneNumberVerified: false, updatedAt: this.ctx.clock.now() };
    const changes = await this.smsOtp.prepareSend(project, organization, linked, phoneNumber, locale);
    if (linked !== member) changes.unshift({ kind: "update_member", member: linked });
    await this.support.commit(changes, "member_not_found");
    return { member: linked, organization };
  }

  /** Verifies the member's current code; marks the phone verified and starts or extends the session. */
  async authenticate(project: Project, request: SmsAuthenticateRequest): Promise<AuthenticationResult> {
    const { organization, member } = await this.support.target(project, request.organization_id, request.member_id);
    this.support.assertMethodAllowed(organization, member, "sms_otp");
    const credential = await this.support.resolveCredential(project, organization, member, request, { required: true });
    this.support.assertPrimaryMet(organization, member, credential);
    if (!SIX_DIGITS.test(request.code)) throw new AppError("invalid_code");
    await this.support.assertNotLocked(project, member);

    const now = this.ctx.clock.now();
    const secret = await this.ctx.store.findLatestOneTimeSecret(project.projectId, "sms_otp", smsOtpSubject(member.memberId));
    if (!secret || secret.organizationId !== organization.organizationId || secret.expiresAt <= now) {
      throw new AppError("unable_to_auth_otp_code");
    }
    // Win an attempt first: however many guesses arrive at once, at most maxAttempts are compared.
    if ((await this.ctx.store.claimOneTimeSecretAttempt(project.projectId, secret.secretId)) === null) {
      throw new AppError("unable_to_auth_otp_code");
    }
    const resetAttempts = await this.support.countAttempt(project, member);
    const presented = await this.instanceKeys.hashCode("sms_otp", request.code);
    if (!digestsEqual(presented, secret.secretHash)) throw new AppError("otp_code_not_found");
    // The number may have been deleted or replaced since the code went out.
    const phoneNumber = String(secret.details.phone_number ?? "");
    if (phoneNumber === "" || phoneNumber !== member.mfaPhoneNumber) throw new AppError("unable_to_auth_otp_code");

    const verified = this.support.memberAfterSuccess(
      organization,
      member,
      "sms_otp",
      { setMfaEnrollment: request.set_mfa_enrollment, setDefaultMfa: request.set_default_mfa },
      { mfaPhoneNumberVerified: true },
    );
    return this.authentication.conclude({
      project,
      organization,
      member: verified,
      memberBefore: member,
      newFactors: [smsFactor(project, member, phoneNumber, now)],
      changes: [{ kind: "consume_one_time_secret", projectId: project.projectId, secretId: secret.secretId, now }, resetAttempts],
      ...credential,
      ...sessionOptionsOf(request),
      locale: DEFAULT_LOCALE,
      errorFor: { consume_one_time_secret: "unable_to_auth_otp_code" },
    });
  }

  /** `DELETE …/members/mfa_phone_numbers/{member_id}`: the member no longer has an MFA phone. */
  async deleteMfaPhoneNumber(project: Project, organizationRef: string, memberRef: string): Promise<{ member: Member; organization: Organization }> {
    const { organization, member } = await this.support.target(project, organizationRef, memberRef);
    if (member.mfaPhoneNumber === "") throw new AppError("member_phone_number_not_found");
    const updated: Member = {
      ...member,
      mfaPhoneNumber: "",
      mfaPhoneNumberVerified: false,
      defaultMfaMethod: member.defaultMfaMethod === "sms_otp" ? (member.totpRegistrationId !== "" ? "totp" : "") : member.defaultMfaMethod,
      updatedAt: this.ctx.clock.now(),
    };
    await this.support.commit([{ kind: "update_member", member: updated }], "member_not_found");
    return { member: updated, organization };
  }
}
