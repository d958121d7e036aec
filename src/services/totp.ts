/**
 * @module TOTP for members: creating a registration (a 160-bit secret stored sealed, its
 * otpauth URI and QR code, ten recovery codes), authenticating a code (RFC 6238, 30-second
 * steps, one step of drift, no step accepted twice), and deleting the member's registration.
 * An unverified registration lapses after `expiration_minutes`; the first good code verifies
 * it and makes it the member's `totp_registration_id`.
 */
import QRCode from "qrcode";
import { base32Decode, base32Encode, matchTotpStep, otpauthUri } from "../crypto/totp.js";
import { newStytchId } from "../crypto/random.js";
import { MINUTE_MS } from "../domain/time.js";
import type { Member, Organization, Project, TotpRegistration } from "../domain/types.js";
import { AppError } from "../errors.js";
import { DEFAULT_LOCALE } from "../messages/locales.js";
import type { Change } from "../store/store.js";
import { sessionOptionsOf, type AuthenticationResult, type AuthenticationService } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import type { InstanceKeys } from "./instance-keys.js";
import { totpFactor, type MfaCredentialInput, type MfaEnrollmentChange, type MfaSupport } from "./mfa-support.js";
import { canonicalRecoveryCode, type RecoveryCodeService } from "./recovery-codes.js";

export const TOTP_SECRET_BYTES = 20;
export const TOTP_DRIFT_STEPS = 1;
export const DEFAULT_TOTP_EXPIRATION_MINUTES = 60;
/** Bursts of guesses at one member's TOTP: at most this many per window, on top of the hourly budget. */
export const TOTP_GUESSES_PER_WINDOW = 10;
export const TOTP_GUESS_WINDOW_MS = 60_000;
/** The issuer authenticator apps show when the project has no name. */
export const DEFAULT_TOTP_ISSUER = "Tessera";

export interface TotpCreateRequest extends MfaCredentialInput {
  organization_id: string;
  member_id: string;
  expiration_minutes?: number;
}

export interface TotpAuthenticateRequest extends MfaCredentialInput {
  organization_id: string;
  member_id: string;
  code: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  set_mfa_enrollment?: MfaEnrollmentChange;
  set_default_mfa?: boolean;
}

export interface CreatedTotp {
  member: Member;
  organization: Organization;
  totpRegistrationId: string;
  secret: string;
  qrCode: string;
  recoveryCodes: string[];
}

export class TotpService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly support: MfaSupport,
    private readonly instanceKeys: InstanceKeys,
    private readonly recoveryCodes: RecoveryCodeService,
    private readonly authentication: AuthenticationService,
  ) {}

  async create(project: Project, request: TotpCreateRequest): Promise<CreatedTotp> {
    const { organization, member } = await this.support.target(project, request.organization_id, request.member_id);
    this.support.assertMethodAllowed(organization, member, "totp");
    const credential = await this.support.resolveCredential(project, organization, member, request, { required: false });
    this.support.assertPrimaryMet(organization, member, credential);
    if (member.totpRegistrationId !== "") throw new AppError("active_totp_exists");
    this.support.assertMayUseFactor(member, credential, true);

    const now = this.ctx.clock.now();
    const secret = base32Encode(this.ctx.random.bytes(TOTP_SECRET_BYTES));
    const registration: TotpRegistration = {
      projectId: project.projectId,
      totpRegistrationId: newStytchId("member-totp", project.environment, this.ctx.random),
      memberId: member.memberId,
      sealedSecret: await this.instanceKeys.seal(secret),
      verified: false,
      lastUsedStep: 0,
      createdAt: now,
      expiresAt: now + (request.expiration_minutes ?? DEFAULT_TOTP_EXPIRATION_MINUTES) * MINUTE_MS,
    };
    const { codes, records } = await this.recoveryCodes.generate(project, member, registration.totpRegistrationId);
    const uri = otpauthUri({ issuer: project.name.trim() || DEFAULT_TOTP_ISSUER, accountName: member.emailAddress, secretBase32: secret });
    const qrCode = await QRCode.toDataURL(uri, { type: "image/png", errorCorrectionLevel: "M", margin: 2 });
    await this.support.commit(
      [
        // The member has no verified registration: earlier unverified ones (and their codes) give way.
        { kind: "delete_totp_registrations", projectId: project.projectId, memberId: member.memberId },
        { kind: "save_totp_registration", registration },
        { kind: "replace_recovery_codes", projectId: project.projectId, totpRegistrationId: registration.totpRegistrationId, codes: records },
      ],
      "member_not_found",
    );
    return { member, organization, totpRegistrationId: registration.totpRegistrationId, secret, qrCode, recoveryCodes: codes };
  }

  /** The registration a code is checked against: the verified one, else the newest unexpired unverified one. */
  private async registrationFor(project: Project, member: Member): Promise<TotpRegistration> {
    const registrations = await this.ctx.store.listTotpRegistrations(project.projectId, member.memberId);
    if (member.totpRegistrationId !== "") {
      const active = registrations.find((registration) => registration.totpRegistrationId === member.totpRegistrationId);
      if (!active) throw new AppError("totp_not_found");
      return active;
    }
    const now = this.ctx.clock.now();
    const pending = registrations.filter((registration) => !registration.verified).sort((a, b) => b.createdAt - a.createdAt);
    const live = pending.find((registration) => registration.expiresAt === null || registration.expiresAt > now);
    if (live) return live;
    throw new AppError(pending.length > 0 ? "expired_totp" : "totp_not_found");
  }

  async authenticate(project: Project, request: TotpAuthenticateRequest): Promise<AuthenticationResult> {
    const { organization, member } = await this.support.target(project, request.organization_id, request.member_id);
    this.support.assertMethodAllowed(organization, member, "totp");
    const credential = await this.support.resolveCredential(project, organization, member, request, { required: true });
    this.support.assertPrimaryMet(organization, member, credential);
    const code = request.code.trim();
    if (!/^\d{6}$/.test(code)) {
      throw new AppError(canonicalRecoveryCode(code) !== null ? "recovery_code_used_as_totp_code" : "invalid_totp_code");
    }
    const registration = await this.registrationFor(project, member);
    await this.support.assertNotLocked(project, member);
    const burst = await this.ctx.store.hitRateLimit(
      `totp-authenticate:${project.projectId}:${member.memberId}`,
      TOTP_GUESS_WINDOW_MS,
      TOTP_GUESSES_PER_WINDOW,
      this.ctx.clock.now(),
    );
    if (!burst.allowed) {
      throw new AppError("too_many_requests", undefined, { retryAfterSeconds: Math.max(1, Math.ceil(burst.retryAfterMs / 1000)) });
    }
    const resetAttempts = await this.support.countAttempt(project, member);

    const now = this.ctx.clock.now();
    const secret = await this.instanceKeys.open(registration.sealedSecret);
    const step = matchTotpStep(base32Decode(secret), code, Math.floor(now / 1000), TOTP_DRIFT_STEPS);
    if (step === null) throw new AppError("unable_to_authenticate_totp");
    if (step <= registration.lastUsedStep) throw new AppError("totp_code_already_authenticated");

    const changes: Change[] = [
      // Refuses the step if this code (or a later one) was accepted meanwhile.
      { kind: "advance_totp_step", projectId: project.projectId, totpRegistrationId: registration.totpRegistrationId, step },
      resetAttempts,
    ];
    if (!registration.verified) {
      changes.push({ kind: "save_totp_registration", registration: { ...registration, verified: true, expiresAt: null } });
    }
    const updated = this.support.memberAfterSuccess(
      organization,
      member,
      "totp",
      { setMfaEnrollment: request.set_mfa_enrollment, setDefaultMfa: request.set_default_mfa },
      { totpRegistrationId: registration.totpRegistrationId },
    );
    return this.authentication.conclude({
      project,
      organization,
      member: updated,
      memberBefore: member,
      newFactors: [totpFactor(registration.totpRegistrationId, now)],
      changes,
      ...credential,
      ...sessionOptionsOf(request),
      locale: DEFAULT_LOCALE,
      errorFor: { advance_totp_step: "totp_code_already_authenticated" },
    });
  }

  /** `DELETE …/members/{member_id}/totp`: removes the member's registrations and recovery codes. */
  async deleteRegistration(project: Project, organizationRef: string, memberRef: string): Promise<{ member: Member; organization: Organization }> {
    const { organization, member } = await this.support.target(project, organizationRef, memberRef);
    const registrations = await this.ctx.store.listTotpRegistrations(project.projectId, member.memberId);
    if (member.totpRegistrationId === "" && registrations.length === 0) throw new AppError("totp_not_found");
    const updated: Member = {
      ...member,
      totpRegistrationId: "",
      defaultMfaMethod: member.defaultMfaMethod === "totp" ? (member.mfaPhoneNumberVerified && member.mfaPhoneNumber !== "" ? "sms_otp" : "") : member.defaultMfaMethod,
      updatedAt: this.ctx.clock.now(),
    };
    await this.support.commit(
      [
        { kind: "delete_totp_registrations", projectId: project.projectId, memberId: member.memberId },
        { kind: "update_member", member: updated },
      ],
      "member_not_found",
    );
    return { member: updated, organization };
  }
}
