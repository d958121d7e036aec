/**
 * @module Passwords: authenticate (organization-scoped, throttled, constant work for unknown
 * members, upgrades imported hashes on success), migrate (imports a hash as-is, creates the
 * member if missing, verifies the email), strength check (offline LUDS), and the email reset
 * flow (reset/start sends a single-use link; reset sets the new password and concludes like a
 * login).
 */
import { checkPasswordStrength, type PasswordStrength } from "../domain/password-strength.js";
import { MINUTE_MS, rfc3339 } from "../domain/time.js";
import type { AuthenticationFactor, Member, OneTimeSecret, Organization, Project } from "../domain/types.js";
import { hashPassword, prepareImportedHash, verifyAgainstNothing, verifyPassword, type HashImport } from "../crypto/password-hashing.js";
import { newStytchId } from "../crypto/random.js";
import { sha256 } from "../crypto/token-hash.js";
import { AppError } from "../errors.js";
import { renderEmail } from "../messages/email-templates.js";
import type { Change } from "../store/store.js";
import { sessionOptionsOf, type AuthenticationResult, type AuthenticationService } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import {
  buildMember,
  buildTokenLink,
  checkPkce,
  commitStep,
  explicitRoleIds,
  newLinkToken,
  requireEmail,
  requireLocale,
  requirePhone,
  resolveContinuation,
  type ContinuationRequest,
  type LoginLimits,
  type RedirectPolicy,
} from "./login-support.js";
import type { OrganizationService } from "./organizations.js";
import type { OutboxService } from "./outbox.js";
import type { SessionService } from "./sessions.js";

export const PASSWORD_RESET_TOKEN_TYPE = "multi_tenant_passwords";
export const DEFAULT_RESET_EXPIRATION_MINUTES = 30;
/** Stytch documents 100 migrate requests per second. */
export const MIGRATE_PER_SECOND = 100;

export interface PasswordAuthenticateRequest extends ContinuationRequest {
  organization_id: string;
  email_address: string;
  password: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  locale?: string;
}

export interface MigrateRequest extends HashImport {
  organization_id: string;
  email_address: string;
  name?: string;
  trusted_metadata?: Record<string, unknown>;
  untrusted_metadata?: Record<string, unknown>;
  roles?: string[];
  preserve_existing_sessions?: boolean;
  mfa_phone_number?: string;
  set_phone_number_verified?: boolean;
  external_id?: string;
}

export interface ResetStartRequest {
  organization_id: string;
  email_address: string;
  reset_password_redirect_url?: string;
  reset_password_expiration_minutes?: number;
  code_challenge?: string;
  login_redirect_url?: string;
  locale?: string;
  reset_password_template_id?: string;
  verify_email_template_id?: string;
}

export interface ResetRequest extends ContinuationRequest {
  password_reset_token: string;
  password: string;
  code_verifier?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  locale?: string;
}

export interface PasswordServiceDeps {
  organizations: OrganizationService;
  sessions: SessionService;
  authentication: AuthenticationService;
  outbox: OutboxService;
  redirects: RedirectPolicy;
  limits: LoginLimits;
}

const passwordFactor = (at: string): AuthenticationFactor => ({ type: "password", delivery_method: "knowledge", last_authenticated_at: at });

/** The failure-throttle scope of one address in one organization (known member or not). */
function passwordScope(organizationId: string, emailAddress: string): string {
  return `password:${organizationId}:${emailAddress.toLowerCase()}`;
}

export class PasswordService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly deps: PasswordServiceDeps,
  ) {}

  private newPasswordId(project: Project): string {
    return newStytchId("member-password", project.environment, this.ctx.random);
  }

  async authenticate(project: Project, request: PasswordAuthenticateRequest): Promise<AuthenticationResult> {
    const organization = await this.deps.organizations.get(project, request.organization_id);
    const emailAddress = requireEmail(request.email_address);
    const locale = requireLocale(request.locale);
    const scope = passwordScope(organization.organizationId, emailAddress);
    await this.deps.limits.claimAttempt(project, scope);

    const member = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, emailAddress);
    // A member whose address changed has no password (member_password_id was cleared with it).
    const stored =
      member && member.memberPasswordId !== "" ? await this.ctx.store.findMemberPasswordHash(project.projectId, member.memberId) : null;
    // The same work and the same answer whether the member is unknown, has no password, or typed it wrong.
    const verification =
      stored !== null ? await verifyPassword(stored, request.password) : { ok: await verifyAgainstNothing(request.password), upgrade: false };
    if (!member || !verification.ok) throw new AppError("unauthorized_credentials");

    const now = this.ctx.clock.now();
    const changes: Change[] = [...this.deps.limits.resetChanges(project, scope)];
    if (verification.upgrade) {
      changes.push({
        kind: "set_member_password",
        projectId: project.projectId,
        memberId: member.memberId,
        memberPasswordId: member.memberPasswordId,
        passwordHash: await hashPassword(request.password),
        now,
      });
    }
    const continuation = await resolveContinuation(this.deps, project, request, organization, member);
    return this.deps.authentication.conclude({
      project,
      organization,
      member,
      memberBefore: member,
      newFactors: [passwordFactor(rfc3339(now))],
      changes,
      ...continuation,
      ...sessionOptionsOf(request),
      locale,
      errorFor: { update_member: "unauthorized_credentials" },
    });
  }

  async migrate(project: Project, request: MigrateRequest): Promise<{ member: Member; organization: Organization; memberCreated: boolean }> {
    await this.deps.limits.projectRate(project, "password-migrate", MIGRATE_PER_SECOND);
    const organization = await this.deps.organizations.get(project, request.organization_id);
    const emailAddress = requireEmail(request.email_address);
    const passwordHash = prepareImportedHash(request);
    const phone = request.mfa_phone_number !== undefined && request.mfa_phone_number !== "" ? requirePhone(request.mfa_phone_number) : undefined;
    const roleIds = request.roles === undefined ? undefined : explicitRoleIds(request.roles);
    const now = this.ctx.clock.now();
    const existing = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, emailAddress);

    let member: Member;
    const changes: Change[] = [];
    if (existing) {
      // A new number is unverified unless the caller attests it; re-sending the same number keeps its state.
      const phoneVerified =
        phone === undefined
          ? existing.mfaPhoneNumberVerified
          : request.set_phone_number_verified === true || (phone === existing.mfaPhoneNumber && existing.mfaPhoneNumberVerified);
      member = {
        ...existing,
        emailAddressVerified: true,
        name: request.name ?? existing.name,
        trustedMetadata: request.trusted_metadata ?? existing.trustedMetadata,
        untrustedMetadata: request.untrusted_metadata ?? existing.untrustedMetadata,
        roleIds: roleIds ?? existing.roleIds,
        mfaPhoneNumber: phone ?? existing.mfaPhoneNumber,
        mfaPhoneNumberVerified: phoneVerified,
        memberPasswordId: existing.memberPasswordId !== "" ? existing.memberPasswordId : this.newPasswordId(project),
        updatedAt: now,
      };
      changes.push({ kind: "update_member", member });
    } else {
      member = {
        ...buildMember(
          this.ctx,
          project,
          organization,
          emailAddress,
          "active",
          {
            ...(request.name !== undefined ? { name: request.name } : {}),
            ...(request.trusted_metadata !== undefined ? { trusted_metadata: request.trusted_metadata } : {}),
            ...(request.untrusted_metadata !== undefined ? { untrusted_metadata: request.untrusted_metadata } : {}),
            ...(request.roles !== undefined ? { roles: request.roles } : {}),
            ...(request.external_id !== undefined ? { external_id: request.external_id } : {}),
            ...(phone !== undefined ? { mfa_phone_number: phone } : {}),
          },
          true,
        ),
        mfaPhoneNumberVerified: phone !== undefined && request.set_phone_number_verified === true,
        memberPasswordId: this.newPasswordId(project),
      };
      changes.push({ kind: "insert_member", member });
    }
    changes.push({
      kind: "set_member_password",
      projectId: project.projectId,
      memberId: member.memberId,
      memberPasswordId: member.memberPasswordId,
      passwordHash,
      now,
    });
    await commitStep(this.ctx, this.deps.outbox, changes, "member_not_found");
    return { member, organization, memberCreated: existing === null };
  }

  strengthCheck(request: { password: string; email_address?: string }): PasswordStrength {
    return checkPasswordStrength(request.password, request.email_address);
  }

  async resetStart(project: Project, request: ResetStartRequest): Promise<{ member: Member; organization: Organization }> {
    const organization = await this.deps.organizations.get(project, request.organization_id);
    const emailAddress = requireEmail(request.email_address);
    const locale = requireLocale(request.locale);
    const redirectUrl = await this.deps.redirects.resolve(project, "reset_password", request.reset_password_redirect_url, "invalid_password_reset_redirect_url");
    const member = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, emailAddress);
    if (!member) throw new AppError("member_not_found");
    await this.deps.limits.emailSend(project, emailAddress);

    const now = this.ctx.clock.now();
    const expirationMinutes = request.reset_password_expiration_minutes ?? DEFAULT_RESET_EXPIRATION_MINUTES;
    const { token, hash } = newLinkToken(this.ctx);
    const secret: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("password-reset", project.environment, this.ctx.random),
      purpose: "password_reset",
      subject: `member:${member.memberId}`,
      secretHash: hash,
      organizationId: organization.organizationId,
      memberId: member.memberId,
      details: {
        email_id: member.emailId,
        redirect_url: redirectUrl,
        locale,
        ...(request.code_challenge ? { pkce_code_challenge: request.code_challenge } : {}),
      },
      attempts: 0,
      maxAttempts: 1,
      createdAt: now,
      expiresAt: now + expirationMinutes * MINUTE_MS,
      consumedAt: null,
    };
    const email = renderEmail("password_reset", locale, {
      organizationName: organization.name,
      link: buildTokenLink(redirectUrl, PASSWORD_RESET_TOKEN_TYPE, token),
      expiresInMinutes: expirationMinutes,
    });
    const message = await this.deps.outbox.enqueue(project, {
      channel: "email",
      recipient: member.emailAddress,
      subject: email.subject,
      text: email.text,
      html: email.html,
      locale,
      magicLinksToken: token,
    });
    // Only the newest reset link works: an older one in the mailbox is superseded.
    await commitStep(this.ctx, this.deps.outbox, [{ kind: "insert_one_time_secret", secret, supersedePrevious: true }, message]);
    return { member, organization };
  }

  async reset(project: Project, request: ResetRequest): Promise<AuthenticationResult> {
    const now = this.ctx.clock.now();
    const secret = await this.ctx.store.findOneTimeSecretByHash(project.projectId, "password_reset", sha256(request.password_reset_token));
    if (!secret || secret.consumedAt !== null || secret.expiresAt <= now) throw new AppError("unable_to_auth_password_reset_token");
    checkPkce(secret.details.pkce_code_challenge, request.code_verifier);
    const locale = requireLocale(request.locale);
    const memberBefore = secret.memberId === null ? null : await this.ctx.store.findMemberById(project.projectId, secret.memberId);
    if (!memberBefore || memberBefore.organizationId !== secret.organizationId || memberBefore.emailId !== secret.details.email_id) {
      throw new AppError("unable_to_auth_password_reset_token");
    }
    const strength = checkPasswordStrength(request.password, memberBefore.emailAddress);
    if (!strength.valid_password) {
      throw new AppError("weak_password", undefined, {
        details: { luds_feedback: strength.luds_feedback, zxcvbn_feedback: strength.zxcvbn_feedback },
      });
    }
    const organization = await this.deps.organizations.get(project, memberBefore.organizationId);
    // The reset link proved the address; the member now has a password.
    const member: Member = {
      ...memberBefore,
      emailAddressVerified: true,
      memberPasswordId: memberBefore.memberPasswordId !== "" ? memberBefore.memberPasswordId : this.newPasswordId(project),
      updatedAt: now,
    };
    const continuation = await resolveContinuation(this.deps, project, request, organization, member);
    return this.deps.authentication.conclude({
      project,
      organization,
      member,
      memberBefore,
      newFactors: [passwordFactor(rfc3339(now))],
      changes: [
        { kind: "consume_one_time_secret", projectId: project.projectId, secretId: secret.secretId, now },
        {
          kind: "set_member_password",
          projectId: project.projectId,
          memberId: member.memberId,
          memberPasswordId: member.memberPasswordId,
          passwordHash: await hashPassword(request.password),
          now,
        },
        ...this.deps.limits.resetChanges(project, passwordScope(organization.organizationId, member.emailAddress)),
      ],
      ...continuation,
      ...sessionOptionsOf(request),
      locale,
      errorFor: { consume_one_time_secret: "unable_to_auth_password_reset_token", update_member: "unable_to_auth_password_reset_token" },
    });
  }
}
