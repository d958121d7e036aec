/**
 * @module Email one-time passcodes: `login_or_signup` sends a 6-digit code (same member rules
 * as magic links; a new code supersedes the previous one for the address; keyed hash only) and
 * `authenticate` checks it — an attempt is claimed before the comparison (five per code, plus
 * the per-address failure throttle), the comparison is constant-time, and the code is consumed
 * in the same commit that concludes the login. The discovery pair (`discovery/send`,
 * `discovery/authenticate`) does the same for a code bound only to an email address, ending in
 * a discovery intermediate session instead of a login.
 */
import { decideEmailLogin } from "../domain/email-provisioning.js";
import { MINUTE_MS, rfc3339 } from "../domain/time.js";
import type { Member, OneTimeSecret, Project } from "../domain/types.js";
import { newNumericCode } from "../crypto/codes.js";
import { newStytchId } from "../crypto/random.js";
import { digestsEqual } from "../crypto/token-hash.js";
import { AppError } from "../errors.js";
import { renderEmail } from "../messages/email-templates.js";
import type { Change } from "../store/store.js";
import { sessionOptionsOf, type AuthenticationResult, type AuthenticationService } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import type { DiscoveryService, DiscoveryStart } from "./discovery.js";
import type { InstanceKeys } from "./instance-keys.js";
import {
  buildMember,
  commitStep,
  discoveryEmailFactor,
  emailFactor,
  requireEmail,
  requireLocale,
  resolveContinuation,
  withVerifiedEmail,
  type ContinuationRequest,
  type LoginLimits,
} from "./login-support.js";
import { discoverySubject, type SendResult } from "./magic-links.js";
import type { OrganizationService } from "./organizations.js";
import type { OutboxService } from "./outbox.js";
import type { SessionService } from "./sessions.js";

export const DEFAULT_EMAIL_OTP_EXPIRATION_MINUTES = 10;
export const EMAIL_OTP_MAX_ATTEMPTS = 5;

export interface EmailOtpSendRequest {
  organization_id: string;
  email_address: string;
  login_template_id?: string;
  signup_template_id?: string;
  locale?: string;
  login_expiration_minutes?: number;
  signup_expiration_minutes?: number;
}

export interface EmailOtpAuthenticateRequest extends ContinuationRequest {
  organization_id: string;
  email_address: string;
  code: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  locale?: string;
}

export interface EmailOtpDiscoverySendRequest {
  email_address: string;
  login_template_id?: string;
  locale?: string;
  discovery_expiration_minutes?: number;
}

export interface EmailOtpDiscoveryAuthenticateRequest {
  email_address: string;
  code: string;
}

/** What a code is bound to: one address in one organization (so a new code replaces the last). */
export function emailOtpSubject(organizationId: string, emailAddress: string): string {
  return `email:${organizationId}:${emailAddress.toLowerCase()}`;
}

export interface EmailOtpServiceDeps {
  organizations: OrganizationService;
  sessions: SessionService;
  authentication: AuthenticationService;
  outbox: OutboxService;
  instanceKeys: InstanceKeys;
  limits: LoginLimits;
  discovery: DiscoveryService;
}

export class EmailOtpService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly deps: EmailOtpServiceDeps,
  ) {}

  /** The keyed hash of a code, bound to its subject (a code is worthless for another address). */
  private hashCode(subject: string, code: string): Promise<Buffer> {
    return this.deps.instanceKeys.hashCode(`email_otp:${subject}`, code);
  }

  /** The keyed hash of a discovery code: its own context, so no login code can ever pass for one. */
  private hashDiscoveryCode(subject: string, code: string): Promise<Buffer> {
    return this.deps.instanceKeys.hashCode(`discovery_email_otp:${subject}`, code);
  }

  async loginOrSignup(project: Project, request: EmailOtpSendRequest): Promise<SendResult> {
    const organization = await this.deps.organizations.get(project, request.organization_id);
    const emailAddress = requireEmail(request.email_address);
    const locale = requireLocale(request.locale);
    const existing = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, emailAddress);
    const decision = decideEmailLogin(organization.settings, existing, emailAddress);
    if (!decision.ok) throw new AppError(decision.errorType);
    const expirationMinutes =
      (decision.kind === "login" ? request.login_expiration_minutes : request.signup_expiration_minutes) ??
      DEFAULT_EMAIL_OTP_EXPIRATION_MINUTES;
    await this.deps.limits.emailSend(project, emailAddress);

    const member = existing ?? buildMember(this.ctx, project, organization, emailAddress, "pending");
    const now = this.ctx.clock.now();
    const code = newNumericCode(this.ctx.random);
    const subject = emailOtpSubject(organization.organizationId, emailAddress);
    const secret: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("email-otp", project.environment, this.ctx.random),
      purpose: "email_otp",
      subject,
      secretHash: await this.hashCode(subject, code),
      organizationId: organization.organizationId,
      memberId: member.memberId,
      details: { kind: decision.kind, email_id: member.emailId, locale },
      attempts: 0,
      maxAttempts: EMAIL_OTP_MAX_ATTEMPTS,
      createdAt: now,
      expiresAt: now + expirationMinutes * MINUTE_MS,
      consumedAt: null,
    };
    const email = renderEmail("email_otp", locale, { organizationName: organization.name, code, expiresInMinutes: expirationMinutes });
    const changes: Change[] = existing ? [] : [{ kind: "insert_member", member }];
    changes.push(
      { kind: "insert_one_time_secret", secret, supersedePrevious: true },
      await this.deps.outbox.enqueue(project, {
        channel: "email",
        recipient: member.emailAddress,
        subject: email.subject,
        text: email.text,
        html: email.html,
        locale,
        code,
      }),
    );
    await commitStep(this.ctx, this.deps.outbox, changes);
    return { member, organization, memberCreated: existing === null };
  }

  async authenticate(project: Project, request: EmailOtpAuthenticateRequest): Promise<{ result: AuthenticationResult; methodId: string }> {
    const organization = await this.deps.organizations.get(project, request.organization_id);
    const emailAddress = requireEmail(request.email_address);
    const locale = requireLocale(request.locale);
    const subject = emailOtpSubject(organization.organizationId, emailAddress);
    const throttleScope = `email_otp:${organization.organizationId}:${emailAddress.toLowerCase()}`;
    await this.deps.limits.claimAttempt(project, throttleScope);

    const now = this.ctx.clock.now();
    const secret = await this.ctx.store.findLatestOneTimeSecret(project.projectId, "email_otp", subject);
    if (!secret || secret.expiresAt <= now) throw new AppError("unable_to_auth_otp_code");
    // Win an attempt first: concurrent guesses cannot spend more than the code's budget.
    if ((await this.ctx.store.claimOneTimeSecretAttempt(project.projectId, secret.secretId)) === null) {
      throw new AppError("unable_to_auth_otp_code");
    }
    if (!digestsEqual(await this.hashCode(subject, request.code), secret.secretHash)) throw new AppError("otp_code_not_found");

    const memberBefore = secret.memberId === null ? null : await this.ctx.store.findMemberById(project.projectId, secret.memberId);
    if (!memberBefore || memberBefore.organizationId !== organization.organizationId || memberBefore.emailId !== secret.details.email_id) {
      throw new AppError("unable_to_auth_otp_code");
    }
    const member: Member = withVerifiedEmail(memberBefore, now);
    const continuation = await resolveContinuation(this.deps, project, request, organization, member);
    const result = await this.deps.authentication.conclude({
      project,
      organization,
      member,
      memberBefore,
      newFactors: [emailFactor("email_otp", member, rfc3339(now))],
      changes: [
        { kind: "consume_one_time_secret", projectId: project.projectId, secretId: secret.secretId, now },
        ...this.deps.limits.resetChanges(project, throttleScope),
      ],
      ...continuation,
      ...sessionOptionsOf(request),
      locale,
      errorFor: { consume_one_time_secret: "unable_to_auth_otp_code", update_member: "unable_to_auth_otp_code" },
    });
    return { result, methodId: member.emailId };
  }

  /**
   * Emails a discovery passcode to `email_address`; it supersedes any earlier discovery code for
   * the address. The answer is the same whether or not the address belongs to any member.
   */
  async discoverySend(project: Project, request: EmailOtpDiscoverySendRequest): Promise<void> {
    const emailAddress = requireEmail(request.email_address);
    const locale = requireLocale(request.locale);
    const expirationMinutes = request.discovery_expiration_minutes ?? DEFAULT_EMAIL_OTP_EXPIRATION_MINUTES;
    await this.deps.limits.emailSend(project, emailAddress);

    const now = this.ctx.clock.now();
    const code = newNumericCode(this.ctx.random);
    const subject = discoverySubject(emailAddress);
    const secret: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("email-otp", project.environment, this.ctx.random),
      purpose: "discovery_email_otp",
      subject,
      secretHash: await this.hashDiscoveryCode(subject, code),
      organizationId: null,
      memberId: null,
      details: { email_address: emailAddress, locale },
      attempts: 0,
      maxAttempts: EMAIL_OTP_MAX_ATTEMPTS,
      createdAt: now,
      expiresAt: now + expirationMinutes * MINUTE_MS,
      consumedAt: null,
    };
    // No organization yet: the email names the project (the application the person logs in to).
    const email = renderEmail("discovery_email_otp", locale, { organizationName: project.name, code, expiresInMinutes: expirationMinutes });
    await commitStep(this.ctx, this.deps.outbox, [
      { kind: "insert_one_time_secret", secret, supersedePrevious: true },
      await this.deps.outbox.enqueue(project, {
        channel: "email",
        recipient: emailAddress,
        subject: email.subject,
        text: email.text,
        html: email.html,
        locale,
        code,
      }),
    ]);
  }

  /**
   * Checks a discovery passcode (attempts claimed before the comparison, as for login codes)
   * and spends it for a discovery intermediate session holding an `email_otp` factor, in the
   * same commit; lists what it can enter.
   */
  async discoveryAuthenticate(project: Project, request: EmailOtpDiscoveryAuthenticateRequest): Promise<DiscoveryStart> {
    const emailAddress = requireEmail(request.email_address);
    const subject = discoverySubject(emailAddress);
    const throttleScope = `discovery_email_otp:${emailAddress.toLowerCase()}`;
    await this.deps.limits.claimAttempt(project, throttleScope);

    const now = this.ctx.clock.now();
    const secret = await this.ctx.store.findLatestOneTimeSecret(project.projectId, "discovery_email_otp", subject);
    if (!secret || secret.expiresAt <= now) throw new AppError("unable_to_auth_otp_code");
    // Win an attempt first: concurrent guesses cannot spend more than the code's budget.
    if ((await this.ctx.store.claimOneTimeSecretAttempt(project.projectId, secret.secretId)) === null) {
      throw new AppError("unable_to_auth_otp_code");
    }
    if (!digestsEqual(await this.hashDiscoveryCode(subject, request.code), secret.secretHash)) throw new AppError("otp_code_not_found");

    // The address as it was sent to (the request may spell its case differently).
    const sentTo = typeof secret.details.email_address === "string" ? secret.details.email_address : emailAddress;
    return this.deps.discovery.startFromEmail(
      project,
      sentTo,
      [discoveryEmailFactor("email_otp", sentTo, rfc3339(now))],
      [
        { kind: "consume_one_time_secret", projectId: project.projectId, secretId: secret.secretId, now },
        ...this.deps.limits.resetChanges(project, throttleScope),
      ],
      { consume_one_time_secret: "unable_to_auth_otp_code" },
    );
  }
}
