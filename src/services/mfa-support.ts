/**
 * @module What the three MFA flows (SMS passcodes, TOTP, recovery codes) share: finding the
 * member, the caller's intermediate session or session, the anti-bypass rule for enrolling a
 * second factor, the per-member attempt budget, the enrollment/default-method bookkeeping on
 * success, and the authentication factors they add. Every success still ends in
 * `AuthenticationService.conclude`; nothing here decides whether MFA is satisfied except by
 * asking `decideAuthentication`.
 */
import { createHash } from "node:crypto";
import { decideAuthentication, isSmsAllowed, type RequirementSettings } from "../domain/auth-outcome.js";
import { MINUTE_MS, rfc3339 } from "../domain/time.js";
import type { AuthenticationFactor, EpochMs, Member, MfaMethod, Organization, Project } from "../domain/types.js";
import { AppError, type ErrorType } from "../errors.js";
import type { Change } from "../store/store.js";
import type { AuthenticationService, LiveIntermediateSession, LiveSession } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import type { MemberService } from "./members.js";
import type { OrganizationService } from "./organizations.js";
import type { OutboxService } from "./outbox.js";
import type { SessionService } from "./sessions.js";

/** Code comparisons a member may make per window without a success in between (SMS, TOTP and recovery codes together). */
export const MFA_ATTEMPTS_PER_WINDOW = 100;
export const MFA_ATTEMPT_WINDOW_MS = 60 * MINUTE_MS;

/** How a caller names the step-up in progress or the session it extends. */
export interface MfaCredentialInput {
  intermediate_session_token?: string;
  session_token?: string;
  session_jwt?: string;
}

/** At most one of the two, already checked to belong to the member. */
export interface MfaCredential {
  intermediateSession?: LiveIntermediateSession;
  session?: LiveSession;
}

export type MfaEnrollmentChange = "enroll" | "unenroll" | "" | undefined;

/** Settings under which any MFA factor of the member counts: "would these factors pass MFA?" */
const MFA_FOR_ANY_METHOD: RequirementSettings = {
  auth_methods: "ALL_ALLOWED",
  allowed_auth_methods: [],
  mfa_policy: "REQUIRED_FOR_ALL",
  mfa_methods: "ALL_ALLOWED",
  allowed_mfa_methods: [],
};

/** A stable, non-secret id for a member's phone number, shaped like Stytch's (`phone-number-test-<uuid>`). */
export function phoneIdOf(environment: Project["environment"], memberId: string, phoneNumber: string): string {
  const hex = createHash("sha256").update(`${memberId}:${phoneNumber}`).digest("hex");
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `phone-number-${environment}-${uuid}`;
}

export function smsFactor(project: Project, member: Member, phoneNumber: string, at: EpochMs): AuthenticationFactor {
  return {
    type: "otp",
    delivery_method: "sms",
    last_authenticated_at: rfc3339(at),
    phone_number_factor: { phone_id: phoneIdOf(project.environment, member.memberId, phoneNumber), phone_number: phoneNumber },
  };
}

export function totpFactor(totpRegistrationId: string, at: EpochMs): AuthenticationFactor {
  return {
    type: "totp",
    delivery_method: "authenticator_app",
    last_authenticated_at: rfc3339(at),
    authenticator_app_factor: { totp_id: totpRegistrationId },
  };
}

export function recoveryCodeFactor(recoveryCodeId: string, at: EpochMs): AuthenticationFactor {
  return {
    type: "recovery_codes",
    delivery_method: "recovery_code",
    last_authenticated_at: rfc3339(at),
    recovery_code_factor: { totp_recovery_code_id: recoveryCodeId },
  };
}

/** Whether the member has an MFA factor someone could bypass by enrolling another: a verified phone or a verified TOTP. */
export function hasActiveMfaFactor(member: Member): boolean {
  return (member.mfaPhoneNumber !== "" && member.mfaPhoneNumberVerified) || member.totpRegistrationId !== "";
}

/** Whether `factors` prove one of the member's own MFA factors (per `decideAuthentication`). */
export function factorsProveMfa(member: Member, factors: AuthenticationFactor[]): boolean {
  const outcome = decideAuthentication({ settings: MFA_FOR_ANY_METHOD, member, factors });
  return outcome.kind === "satisfied" || !outcome.mfaRequired;
}

export class MfaSupport {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly organizations: OrganizationService,
    private readonly members: MemberService,
    private readonly sessions: SessionService,
    private readonly authentication: AuthenticationService,
    private readonly outbox: OutboxService,
  ) {}

  /** The organization (id, slug or external id) and its non-deleted member (id or external id). */
  async target(project: Project, organizationRef: string, memberRef: string): Promise<{ organization: Organization; member: Member }> {
    const organization = await this.organizations.get(project, organizationRef);
    const member = await this.members.get(project, organization, memberRef);
    return { organization, member };
  }

  /**
   * The caller's intermediate session or session — at most one of the three fields, exactly one
   * when `required` — bound to this member of this organization.
   */
  async resolveCredential(
    project: Project,
    organization: Organization,
    member: Member,
    input: MfaCredentialInput,
    options: { required: boolean },
  ): Promise<MfaCredential> {
    const present = (value: string | undefined): value is string => value !== undefined && value !== "";
    const given = [input.intermediate_session_token, input.session_token, input.session_jwt].filter(present).length;
    const message = "Please include exactly one of intermediate_session_token, session_token or session_jwt.";
    if (given > 1) throw new AppError("too_many_session_arguments", message);
    if (given === 0) {
      if (options.required) throw new AppError("no_session_arguments", message);
      return {};
    }
    if (present(input.intermediate_session_token)) {
      const intermediateSession = await this.authentication.resolveIntermediateSession(project, input.intermediate_session_token, {
        organizationId: organization.organizationId,
        memberId: member.memberId,
      });
      return { intermediateSession };
    }
    const record = await this.sessions.resolveLive(project, { session_token: input.session_token, session_jwt: input.session_jwt });
    if (record.memberId !== member.memberId || record.organizationId !== organization.organizationId) {
      throw new AppError("session_not_found");
    }
    return { session: { record, token: present(input.session_token) ? input.session_token : "" } };
  }

  /** An intermediate session must have met the primary requirement before any MFA step (Stytch's rule). */
  assertPrimaryMet(organization: Organization, member: Member, credential: MfaCredential): void {
    const held = credential.intermediateSession?.record.factors;
    if (!held) return;
    const outcome = decideAuthentication({ settings: organization.settings, member, factors: held });
    if (outcome.kind === "step_up" && outcome.primaryRequired !== null) {
      throw new AppError("action_available_only_once_primary_authentication_is_met");
    }
  }

  /** `allowed_mfa_methods` under `mfa_methods: RESTRICTED`; break-glass members are exempt. */
  assertMethodAllowed(organization: Organization, member: Member, method: MfaMethod): void {
    const settings = organization.settings;
    const allowed =
      method === "sms_otp"
        ? isSmsAllowed(settings, member)
        : member.isBreakglass || settings.mfa_methods !== "RESTRICTED" || settings.allowed_mfa_methods.includes("totp");
    if (!allowed) throw new AppError("operation_restricted_by_organization_mfa_methods");
  }

  /**
   * Before attaching a new MFA factor (a phone number not yet verified, a TOTP registration):
   * the member must be active, or be an invited/pending member in the middle of a login (an
   * intermediate session or session of theirs is passed); and if the member already has an
   * active MFA factor, the intermediate session or session must carry it (anti-bypass).
   * Sending a passcode to the member's already-verified phone attaches nothing, but still needs
   * an intermediate session or session when the member has an active factor.
   */
  assertMayUseFactor(member: Member, credential: MfaCredential, attachesNewFactor: boolean): void {
    const held = credential.intermediateSession?.record.factors ?? credential.session?.record.factors;
    if (attachesNewFactor && member.status !== "active" && !held) throw new AppError("action_available_only_for_active_members");
    if (!hasActiveMfaFactor(member)) return;
    if (!held) throw new AppError("session_enforced_factor_matching_session_required");
    if (attachesNewFactor && !factorsProveMfa(member, held)) throw new AppError("session_enforced_factor_matching_session_required");
  }

  private attemptKey(member: Member, now: EpochMs): { key: string; windowEndsAt: EpochMs } {
    const windowStart = now - (now % MFA_ATTEMPT_WINDOW_MS);
    return { key: `mfa-attempts:${member.memberId}:${windowStart}`, windowEndsAt: windowStart + MFA_ATTEMPT_WINDOW_MS };
  }

  private lockedError(retryAfterMs: number): AppError {
    return new AppError("user_lock_limit_reached", undefined, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) });
  }

  /** Refuses early (without spending anything else) when the member's attempt budget is spent. */
  async assertNotLocked(project: Project, member: Member): Promise<void> {
    const now = this.ctx.clock.now();
    const { key, windowEndsAt } = this.attemptKey(member, now);
    if ((await this.ctx.store.getFailureCounter(project.projectId, key)) >= MFA_ATTEMPTS_PER_WINDOW) {
      throw this.lockedError(windowEndsAt - now);
    }
  }

  /**
   * Takes one comparison from the member's budget, atomically, BEFORE the code is compared;
   * returns the change that gives the budget back on success (commit it with the step).
   */
  async countAttempt(project: Project, member: Member): Promise<Change> {
    const now = this.ctx.clock.now();
    const { key, windowEndsAt } = this.attemptKey(member, now);
    const used = await this.ctx.store.incrementFailureCounter(project.projectId, key, now);
    if (used > MFA_ATTEMPTS_PER_WINDOW) throw this.lockedError(windowEndsAt - now);
    return { kind: "reset_failure_counter", projectId: project.projectId, key };
  }

  /**
   * The member after a successful MFA step with `method`: `REQUIRED_FOR_ALL` enrolls it (and
   * `set_mfa_enrollment` is ignored); otherwise `set_mfa_enrollment` enrolls or unenrolls;
   * `set_default_mfa` — or having no default yet — makes `method` the default.
   */
  memberAfterSuccess(
    organization: Organization,
    member: Member,
    method: MfaMethod,
    options: { setMfaEnrollment?: MfaEnrollmentChange; setDefaultMfa?: boolean },
    /** What the step itself proved (a verified phone, a verified TOTP registration). */
    patch: Partial<Member> = {},
  ): Member {
    const next: Member = { ...member, ...patch };
    if (organization.settings.mfa_policy === "REQUIRED_FOR_ALL") next.mfaEnrolled = true;
    else if (options.setMfaEnrollment === "enroll") next.mfaEnrolled = true;
    else if (options.setMfaEnrollment === "unenroll") next.mfaEnrolled = false;
    if (options.setDefaultMfa === true || next.defaultMfaMethod === "") next.defaultMfaMethod = method;
    const changed = JSON.stringify(next) !== JSON.stringify(member);
    return changed ? { ...next, updatedAt: this.ctx.clock.now() } : member;
  }

  /** Commits a step that mints no session (send, create, rotate, delete); a failed precondition becomes `failed`. */
  async commit(changes: Change[], failed: ErrorType): Promise<void> {
    const result = await this.ctx.store.commit(changes);
    if (!result.ok) throw new AppError(failed);
    if (changes.some((change) => change.kind === "enqueue_message")) this.outbox.onEnqueued();
  }
}
