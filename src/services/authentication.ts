/**
 * @module How every authentication step ends — primary login, MFA step, session exchange,
 * discovery: merge the factors just proven with those already held, decide with
 * `decideAuthentication`, then, in ONE commit together with the step's own preconditions and
 * writes, either mint a session (consuming any intermediate session, activating an invited or
 * pending member) or create/extend an intermediate session (pre-sending an SMS passcode when
 * only MFA is left).
 */
import { decideAuthentication, maskPhoneNumber, mergeFactors } from "../domain/auth-outcome.js";
import { applyCustomClaims } from "../domain/custom-claims.js";
import { isSessionLive } from "../domain/session-claims.js";
import { MINUTE_MS } from "../domain/time.js";
import {
  type AuthenticationFactor,
  type EpochMs,
  type IntermediateSession,
  type Member,
  type Organization,
  type Project,
  type Session,
} from "../domain/types.js";
import { newStytchId } from "../crypto/random.js";
import { sha256 } from "../crypto/token-hash.js";
import { AppError, type ErrorType } from "../errors.js";
import type { Locale } from "../messages/locales.js";
import type { Change } from "../store/store.js";
import type { ServiceContext } from "./context.js";
import type { OutboxService } from "./outbox.js";
import type { SessionService } from "./sessions.js";
import type { SmsOtpService } from "./sms-otp.js";

export const INTERMEDIATE_SESSION_TTL_MS = 10 * MINUTE_MS;

export interface MfaRequired {
  member_options: { mfa_phone_number: string; totp_registration_id: string };
  secondary_auth_initiated: "sms_otp" | null;
}

export interface AuthenticationResult {
  member: Member;
  organization: Organization;
  memberAuthenticated: boolean;
  session: Session | null;
  sessionToken: string;
  sessionJwt: string;
  intermediateSessionToken: string;
  intermediateSessionExpiresAt: EpochMs | null;
  mfaRequired: MfaRequired | null;
  primaryRequired: { allowed_auth_methods: string[] } | null;
}

export interface LiveIntermediateSession {
  record: IntermediateSession;
  /** The token the caller presented; only its hash is stored. */
  token: string;
}

export interface LiveSession {
  record: Session;
  /** The token the caller presented, or "" when it presented a JWT. */
  token: string;
}

export interface ConcludeRequest {
  project: Project;
  organization: Organization;
  /** The member as this step leaves it (e.g. with a just-verified email), before activation. */
  member: Member;
  /** The member as it was read, to tell whether this step changed it. */
  memberBefore: Member;
  newFactors: AuthenticationFactor[];
  /** The step's own preconditions and writes (consume a token, record a TOTP step …). */
  changes?: Change[];
  intermediateSession?: LiveIntermediateSession;
  session?: LiveSession;
  sessionDurationMinutes?: number;
  sessionCustomClaims?: Record<string, unknown>;
  locale: Locale;
  /** The error for a failed `consume_one_time_secret` etc. of this step. */
  errorFor?: Partial<Record<Change["kind"], ErrorType>>;
}

/** A request's session duration and custom claims as `conclude` takes them (absent stays absent). */
export function sessionOptionsOf(request: {
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
}): Pick<ConcludeRequest, "sessionDurationMinutes" | "sessionCustomClaims"> {
  return {
    ...(request.session_duration_minutes !== undefined ? { sessionDurationMinutes: request.session_duration_minutes } : {}),
    ...(request.session_custom_claims !== undefined ? { sessionCustomClaims: request.session_custom_claims } : {}),
  };
}

const DEFAULT_ERRORS: Partial<Record<Change["kind"], ErrorType>> = {
  consume_intermediate_session: "intermediate_session_not_found",
  update_live_intermediate_session: "intermediate_session_not_found",
  update_live_session: "session_not_found",
  require_live_session: "session_not_found",
  update_member: "member_not_found",
};

function membersDiffer(a: Member, b: Member): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

export class AuthenticationService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly sessions: SessionService,
    private readonly smsOtp: SmsOtpService,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * The live intermediate session named by `token`, optionally required to be usable for an
   * organization (and member). A session issued for an organization is usable only there; a
   * discovery session (bound only to an email address) is usable by any member with that email.
   * Unknown, consumed and expired tokens are the same not-found.
   */
  async resolveIntermediateSession(
    project: Project,
    token: string,
    bound?: { organizationId?: string; memberId?: string },
  ): Promise<LiveIntermediateSession> {
    const record = token === "" ? null : await this.ctx.store.findIntermediateSessionByTokenHash(project.projectId, sha256(token));
    const now = this.ctx.clock.now();
    if (!record || record.consumedAt !== null || record.expiresAt <= now) throw new AppError("intermediate_session_not_found");
    if (bound?.organizationId !== undefined && record.organizationId !== null && record.organizationId !== bound.organizationId) {
      throw new AppError("invalid_intermediate_session_token_for_organization");
    }
    if (bound?.memberId !== undefined) {
      if (record.memberId !== null && record.memberId !== bound.memberId) throw new AppError("intermediate_session_not_found");
      if (record.memberId === null) {
        const member = await this.ctx.store.findMemberById(project.projectId, bound.memberId);
        if (!member || member.emailAddress.toLowerCase() !== record.emailAddress.toLowerCase()) {
          throw new AppError("intermediate_session_not_found");
        }
      }
    }
    return { record, token };
  }

  /** Commits `changes`; a failed precondition becomes the step's catalogue error. */
  private async commit(changes: Change[], errorFor: ConcludeRequest["errorFor"]): Promise<void> {
    const result = await this.ctx.store.commit(changes);
    if (!result.ok) throw new AppError(errorFor?.[result.failed] ?? DEFAULT_ERRORS[result.failed] ?? "bad_request");
    if (changes.some((change) => change.kind === "enqueue_message")) this.outbox.onEnqueued();
  }

  async conclude(request: ConcludeRequest): Promise<AuthenticationResult> {
    const { project, organization } = request;
    const now = this.ctx.clock.now();
    const changes: Change[] = [...(request.changes ?? [])];
    const customClaimsUpdate = request.sessionCustomClaims;

    // With a live session of this member, the step adds its factor to that session: the session
    // already met the organization's requirements when it was minted.
    if (request.session) {
      const held = request.session.record;
      if (held.memberId !== request.member.memberId || !isSessionLive(held, now)) throw new AppError("session_not_found");
      const claims = applyCustomClaims(held.customClaims, customClaimsUpdate);
      if (!claims.ok) throw new AppError(claims.reason);
      const factors = mergeFactors(held.factors, request.newFactors);
      const expiresAt = request.sessionDurationMinutes !== undefined ? now + request.sessionDurationMinutes * MINUTE_MS : held.expiresAt;
      if (membersDiffer(request.member, request.memberBefore)) changes.push({ kind: "update_member", member: request.member });
      changes.push({
        kind: "update_live_session",
        projectId: project.projectId,
        sessionId: held.sessionId,
        now,
        factors,
        expiresAt,
        customClaims: claims.claims,
      });
      await this.commit(changes, request.errorFor);
      const session: Session = { ...held, factors, expiresAt, lastAccessedAt: now, customClaims: claims.claims };
      return this.authenticated(project, organization, request.member, session, request.session.token);
    }

    const held = request.intermediateSession?.record.factors ?? [];
    const factors = mergeFactors(held, request.newFactors);
    const outcome = decideAuthentication({ settings: organization.settings, member: request.member, factors });

    if (outcome.kind === "satisfied") {
      const claims = applyCustomClaims({}, customClaimsUpdate);
      if (!claims.ok) throw new AppError(claims.reason);
      const member: Member =
        request.member.status === "invited" || request.member.status === "pending"
          ? { ...request.member, status: "active", updatedAt: now }
          : request.member;
      if (membersDiffer(member, request.memberBefore)) changes.push({ kind: "update_member", member });
      if (request.intermediateSession) {
        changes.push({
          kind: "consume_intermediate_session",
          projectId: project.projectId,
          intermediateSessionId: request.intermediateSession.record.intermediateSessionId,
          now,
        });
      }
      const { session, token, tokenHash } = this.sessions.newSession(project, organization, member, factors, {
        ...(request.sessionDurationMinutes !== undefined ? { durationMinutes: request.sessionDurationMinutes } : {}),
        customClaims: claims.claims,
        now,
      });
      changes.push({ kind: "insert_session", session, tokenHash });
      await this.commit(changes, request.errorFor);
      return this.authenticated(project, organization, member, session, token);
    }

    // Step-up: keep (or start) the intermediate session with everything proven so far.
    let intermediateToken: string;
    let intermediateExpiresAt: EpochMs;
    if (request.intermediateSession) {
      intermediateToken = request.intermediateSession.token;
      intermediateExpiresAt = request.intermediateSession.record.expiresAt;
      const record = request.intermediateSession.record;
      changes.push({
        kind: "update_live_intermediate_session",
        projectId: project.projectId,
        intermediateSessionId: record.intermediateSessionId,
        factors,
        now,
        // A discovery session stepping up into an organization becomes bound to it.
        ...(record.organizationId === null ? { bindTo: { organizationId: organization.organizationId, memberId: request.member.memberId } } : {}),
      });
    } else {
      intermediateToken = this.ctx.random.bytes(32).toString("base64url");
      intermediateExpiresAt = now + INTERMEDIATE_SESSION_TTL_MS;
      changes.push({
        kind: "insert_intermediate_session",
        intermediateSession: {
          projectId: project.projectId,
          intermediateSessionId: newStytchId("intermediate-session", project.environment, this.ctx.random),
          organizationId: organization.organizationId,
          memberId: request.member.memberId,
          emailAddress: request.member.emailAddress,
          factors,
          createdAt: now,
          expiresAt: intermediateExpiresAt,
          consumedAt: null,
        },
        tokenHash: sha256(intermediateToken),
      });
    }
    if (membersDiffer(request.member, request.memberBefore)) changes.push({ kind: "update_member", member: request.member });

    let smsSent = false;
    if (outcome.sendSmsOtp) {
      const phone = request.member.mfaPhoneNumber;
      // A spent send budget or an undeliverable channel must not fail the step: the client can send later.
      const limits = await this.smsOtp.withinSendLimits(project, request.member, phone);
      if (limits.allowed) {
        try {
          changes.push(...(await this.smsOtp.prepareSend(project, organization, request.member, phone, request.locale)));
          smsSent = true;
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
        }
      }
    }
    await this.commit(changes, request.errorFor);
    return {
      member: request.member,
      organization,
      memberAuthenticated: false,
      session: null,
      sessionToken: "",
      sessionJwt: "",
      intermediateSessionToken: intermediateToken,
      intermediateSessionExpiresAt: intermediateExpiresAt,
      mfaRequired: outcome.mfaRequired
        ? {
            member_options: {
              mfa_phone_number: maskPhoneNumber(request.member.mfaPhoneNumber),
              totp_registration_id: request.member.totpRegistrationId,
            },
            secondary_auth_initiated: smsSent ? "sms_otp" : null,
          }
        : null,
      primaryRequired: outcome.primaryRequired,
    };
  }

  private async authenticated(
    project: Project,
    organization: Organization,
    member: Member,
    session: Session,
    token: string,
  ): Promise<AuthenticationResult> {
    return {
      member,
      organization,
      memberAuthenticated: true,
      session,
      sessionToken: token,
      sessionJwt: await this.sessions.mintJwt(project, session, organization),
      intermediateSessionToken: "",
      intermediateSessionExpiresAt: null,
      mfaRequired: null,
      primaryRequired: null,
    };
  }
}
