/**
 * @module Email magic links: `login_or_signup` (login link for active members, signup link for
 * pending, invited and — where the organization allows it — new members), `invite`, and
 * `authenticate` (single use, optional PKCE, verifies the email, ends in the shared
 * authentication outcome); and the discovery pair — `email/discovery/send` (a link bound only to
 * an email address) and `discovery/authenticate` (spends it for a discovery intermediate
 * session and lists the organizations it can enter). Tokens are 256 random bits, stored only as
 * SHA-256.
 */
import { decideEmailLogin, decideInvite, type EmailLinkKind } from "../domain/email-provisioning.js";
import { MINUTE_MS, rfc3339 } from "../domain/time.js";
import type { Member, OneTimeSecret, Organization, Project } from "../domain/types.js";
import { newStytchId } from "../crypto/random.js";
import { sha256 } from "../crypto/token-hash.js";
import { AppError } from "../errors.js";
import { renderEmail } from "../messages/email-templates.js";
import type { Locale } from "../messages/locales.js";
import type { Change } from "../store/store.js";
import { sessionOptionsOf, type AuthenticationResult, type AuthenticationService } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import type { DiscoveryService, DiscoveryStart } from "./discovery.js";
import {
  buildMember,
  buildTokenLink,
  checkPkce,
  commitStep,
  discoveryEmailFactor,
  emailFactor,
  explicitRoleIds,
  newLinkToken,
  requireEmail,
  requireLocale,
  resolveContinuation,
  withVerifiedEmail,
  type ContinuationRequest,
  type LoginLimits,
  type RedirectPolicy,
} from "./login-support.js";
import type { MemberService } from "./members.js";
import type { OrganizationService } from "./organizations.js";
import type { OutboxService } from "./outbox.js";
import type { SessionService } from "./sessions.js";

export const MAGIC_LINK_TOKEN_TYPE = "multi_tenant_magic_links";
/** The `stytch_token_type` of a discovery link (what Stytch's B2B frontend SDKs route on). */
export const DISCOVERY_TOKEN_TYPE = "discovery";
export const DEFAULT_LINK_EXPIRATION_MINUTES = 60;
export const DEFAULT_INVITE_EXPIRATION_MINUTES = 10080;

export type MagicLinkKind = EmailLinkKind | "invite";

export interface LoginOrSignupRequest {
  organization_id: string;
  email_address: string;
  login_redirect_url?: string;
  signup_redirect_url?: string;
  pkce_code_challenge?: string;
  login_template_id?: string;
  signup_template_id?: string;
  locale?: string;
  login_expiration_minutes?: number;
  signup_expiration_minutes?: number;
}

export interface InviteRequest {
  organization_id: string;
  email_address: string;
  invite_redirect_url?: string;
  invited_by_member_id?: string;
  name?: string;
  trusted_metadata?: Record<string, unknown>;
  untrusted_metadata?: Record<string, unknown>;
  invite_template_id?: string;
  locale?: string;
  roles?: string[];
  invite_expiration_minutes?: number;
}

export interface MagicLinkAuthenticateRequest extends ContinuationRequest {
  magic_links_token: string;
  pkce_code_verifier?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  locale?: string;
}

export interface DiscoverySendRequest {
  email_address: string;
  discovery_redirect_url?: string;
  pkce_code_challenge?: string;
  login_template_id?: string;
  locale?: string;
  discovery_expiration_minutes?: number;
}

export interface DiscoveryAuthenticateRequest {
  discovery_magic_links_token: string;
  pkce_code_verifier?: string;
}

/** What a discovery link or passcode is bound to: the address alone (lower-cased), no organization. */
export function discoverySubject(emailAddress: string): string {
  return `email:${emailAddress.toLowerCase()}`;
}

export interface SendResult {
  member: Member;
  organization: Organization;
  memberCreated: boolean;
}

export interface MagicLinkServiceDeps {
  organizations: OrganizationService;
  members: MemberService;
  sessions: SessionService;
  authentication: AuthenticationService;
  outbox: OutboxService;
  redirects: RedirectPolicy;
  limits: LoginLimits;
  discovery: DiscoveryService;
}

export class MagicLinkService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly deps: MagicLinkServiceDeps,
  ) {}

  /** The changes that issue a link of `kind` to `member` and queue its email. */
  private async issue(
    project: Project,
    organization: Organization,
    member: Member,
    options: {
      kind: MagicLinkKind;
      redirectUrl: string;
      expirationMinutes: number;
      pkceChallenge: string | undefined;
      locale: Locale;
      inviterName?: string;
    },
  ): Promise<Change[]> {
    const now = this.ctx.clock.now();
    const { token, hash } = newLinkToken(this.ctx);
    const secret: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("magic-link", project.environment, this.ctx.random),
      purpose: "magic_link",
      subject: `member:${member.memberId}`,
      secretHash: hash,
      organizationId: organization.organizationId,
      memberId: member.memberId,
      details: {
        kind: options.kind,
        email_id: member.emailId,
        redirect_url: options.redirectUrl,
        locale: options.locale,
        ...(options.pkceChallenge ? { pkce_code_challenge: options.pkceChallenge } : {}),
      },
      attempts: 0,
      maxAttempts: 1,
      createdAt: now,
      expiresAt: now + options.expirationMinutes * MINUTE_MS,
      consumedAt: null,
    };
    const link = buildTokenLink(options.redirectUrl, MAGIC_LINK_TOKEN_TYPE, token);
    const email = renderEmail(options.kind, options.locale, {
      organizationName: organization.name,
      link,
      expiresInMinutes: options.expirationMinutes,
      ...(options.inviterName ? { inviterName: options.inviterName } : {}),
    });
    const message = await this.deps.outbox.enqueue(project, {
      channel: "email",
      recipient: member.emailAddress,
      subject: email.subject,
      text: email.text,
      html: email.html,
      locale: options.locale,
      magicLinksToken: token,
    });
    // Earlier links stay valid until they expire: people click the email they find first.
    return [{ kind: "insert_one_time_secret", secret, supersedePrevious: false }, message];
  }

  async loginOrSignup(project: Project, request: LoginOrSignupRequest): Promise<SendResult> {
    const organization = await this.deps.organizations.get(project, request.organization_id);
    const emailAddress = requireEmail(request.email_address);
    const locale = requireLocale(request.locale);
    const existing = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, emailAddress);
    const decision = decideEmailLogin(organization.settings, existing, emailAddress);
    if (!decision.ok) throw new AppError(decision.errorType);
    const redirectUrl =
      decision.kind === "login"
        ? await this.deps.redirects.resolve(project, "login", request.login_redirect_url, "invalid_login_redirect_url")
        : await this.deps.redirects.resolve(project, "signup", request.signup_redirect_url, "invalid_signup_redirect_url");
    const expirationMinutes =
      (decision.kind === "login" ? request.login_expiration_minutes : request.signup_expiration_minutes) ?? DEFAULT_LINK_EXPIRATION_MINUTES;
    await this.deps.limits.emailSend(project, emailAddress);

    // A new member joins as pending; the first successful authentication activates it.
    const member = existing ?? buildMember(this.ctx, project, organization, emailAddress, "pending");
    const changes: Change[] = existing ? [] : [{ kind: "insert_member", member }];
    changes.push(
      ...(await this.issue(project, organization, member, {
        kind: decision.kind,
        redirectUrl,
        expirationMinutes,
        pkceChallenge: request.pkce_code_challenge,
        locale,
      })),
    );
    await commitStep(this.ctx, this.deps.outbox, changes);
    return { member, organization, memberCreated: existing === null };
  }

  async invite(project: Project, request: InviteRequest): Promise<SendResult> {
    const organization = await this.deps.organizations.get(project, request.organization_id);
    const emailAddress = requireEmail(request.email_address);
    const locale = requireLocale(request.locale);
    const roleIds = request.roles === undefined ? undefined : explicitRoleIds(request.roles);
    const inviter =
      request.invited_by_member_id === undefined || request.invited_by_member_id === ""
        ? null
        : await this.deps.members.get(project, organization, request.invited_by_member_id);
    const existing = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, emailAddress);
    const decision = decideInvite(organization.settings, existing, emailAddress);
    if (!decision.ok) throw new AppError(decision.errorType);
    const redirectUrl = await this.deps.redirects.resolve(project, "invite", request.invite_redirect_url, "invalid_invite_redirect_url");
    await this.deps.limits.emailSend(project, emailAddress);

    const now = this.ctx.clock.now();
    let member: Member;
    const changes: Change[] = [];
    if (existing) {
      // A pending member becomes invited; the request's profile fields are applied.
      member = {
        ...existing,
        status: "invited",
        name: request.name ?? existing.name,
        trustedMetadata: request.trusted_metadata ?? existing.trustedMetadata,
        untrustedMetadata: request.untrusted_metadata ?? existing.untrustedMetadata,
        roleIds: roleIds ?? existing.roleIds,
        updatedAt: now,
      };
      changes.push({ kind: "update_member", member });
    } else {
      member = buildMember(this.ctx, project, organization, emailAddress, "invited", {
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.trusted_metadata !== undefined ? { trusted_metadata: request.trusted_metadata } : {}),
        ...(request.untrusted_metadata !== undefined ? { untrusted_metadata: request.untrusted_metadata } : {}),
        ...(request.roles !== undefined ? { roles: request.roles } : {}),
      });
      changes.push({ kind: "insert_member", member });
    }
    changes.push(
      ...(await this.issue(project, organization, member, {
        kind: "invite",
        redirectUrl,
        expirationMinutes: request.invite_expiration_minutes ?? DEFAULT_INVITE_EXPIRATION_MINUTES,
        pkceChallenge: undefined,
        locale,
        ...(inviter ? { inviterName: inviter.name !== "" ? inviter.name : inviter.emailAddress } : {}),
      })),
    );
    await commitStep(this.ctx, this.deps.outbox, changes, "member_not_found");
    return { member, organization, memberCreated: existing === null };
  }

  async authenticate(project: Project, request: MagicLinkAuthenticateRequest): Promise<{ result: AuthenticationResult; methodId: string }> {
    const now = this.ctx.clock.now();
    const secret = await this.ctx.store.findOneTimeSecretByHash(project.projectId, "magic_link", sha256(request.magic_links_token));
    if (!secret) throw new AppError("magic_link_not_found");
    if (secret.consumedAt !== null || secret.expiresAt <= now) throw new AppError("unable_to_auth_magic_link");
    checkPkce(secret.details.pkce_code_challenge, request.pkce_code_verifier);
    const locale = requireLocale(request.locale);

    const memberBefore = secret.memberId === null ? null : await this.ctx.store.findMemberById(project.projectId, secret.memberId);
    // The member was deleted, or its email address changed since the link was sent: the link is dead.
    if (!memberBefore || memberBefore.organizationId !== secret.organizationId || memberBefore.emailId !== secret.details.email_id) {
      throw new AppError("unable_to_auth_magic_link");
    }
    const organization = await this.deps.organizations.get(project, memberBefore.organizationId);
    const member = withVerifiedEmail(memberBefore, now);
    const continuation = await resolveContinuation(this.deps, project, request, organization, member);
    const result = await this.deps.authentication.conclude({
      project,
      organization,
      member,
      memberBefore,
      newFactors: [emailFactor("magic_link", member, rfc3339(now))],
      changes: [{ kind: "consume_one_time_secret", projectId: project.projectId, secretId: secret.secretId, now }],
      ...continuation,
      ...sessionOptionsOf(request),
      locale,
      errorFor: { consume_one_time_secret: "unable_to_auth_magic_link", update_member: "unable_to_auth_magic_link" },
    });
    return { result, methodId: member.emailId };
  }

  /**
   * Emails a discovery link to `email_address`. No organization is involved: the answer is the
   * same whether or not the address belongs to any member, so it reveals no membership.
   */
  async discoverySend(project: Project, request: DiscoverySendRequest): Promise<void> {
    const emailAddress = requireEmail(request.email_address);
    const locale = requireLocale(request.locale);
    const redirectUrl = await this.deps.redirects.resolve(project, "discovery", request.discovery_redirect_url, "invalid_discovery_redirect_url");
    const expirationMinutes = request.discovery_expiration_minutes ?? DEFAULT_LINK_EXPIRATION_MINUTES;
    await this.deps.limits.emailSend(project, emailAddress);

    const now = this.ctx.clock.now();
    const { token, hash } = newLinkToken(this.ctx);
    const secret: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("magic-link", project.environment, this.ctx.random),
      purpose: "discovery_magic_link",
      subject: discoverySubject(emailAddress),
      secretHash: hash,
      organizationId: null,
      memberId: null,
      details: {
        email_address: emailAddress,
        redirect_url: redirectUrl,
        locale,
        ...(request.pkce_code_challenge ? { pkce_code_challenge: request.pkce_code_challenge } : {}),
      },
      attempts: 0,
      maxAttempts: 1,
      createdAt: now,
      expiresAt: now + expirationMinutes * MINUTE_MS,
      consumedAt: null,
    };
    const link = buildTokenLink(redirectUrl, DISCOVERY_TOKEN_TYPE, token);
    // No organization yet: the email names the project (the application the person logs in to).
    const email = renderEmail("discovery", locale, { organizationName: project.name, link, expiresInMinutes: expirationMinutes });
    const message = await this.deps.outbox.enqueue(project, {
      channel: "email",
      recipient: emailAddress,
      subject: email.subject,
      text: email.text,
      html: email.html,
      locale,
      magicLinksToken: token,
    });
    // Earlier discovery links stay valid until they expire, like login links.
    await commitStep(this.ctx, this.deps.outbox, [{ kind: "insert_one_time_secret", secret, supersedePrevious: false }, message]);
  }

  /**
   * Spends a discovery link (single use, PKCE as for login links) for a discovery intermediate
   * session holding a `magic_link` factor, in the same commit; lists what it can enter.
   */
  async discoveryAuthenticate(project: Project, request: DiscoveryAuthenticateRequest): Promise<DiscoveryStart> {
    const now = this.ctx.clock.now();
    const secret = await this.ctx.store.findOneTimeSecretByHash(project.projectId, "discovery_magic_link", sha256(request.discovery_magic_links_token));
    if (!secret) throw new AppError("magic_link_not_found");
    if (secret.consumedAt !== null || secret.expiresAt <= now) throw new AppError("unable_to_auth_magic_link");
    checkPkce(secret.details.pkce_code_challenge, request.pkce_code_verifier);
    const emailAddress = String(secret.details.email_address);
    return this.deps.discovery.startFromEmail(
      project,
      emailAddress,
      [discoveryEmailFactor("magic_link", emailAddress, rfc3339(now))],
      [{ kind: "consume_one_time_secret", projectId: project.projectId, secretId: secret.secretId, now }],
      { consume_one_time_secret: "unable_to_auth_magic_link" },
    );
  }
}
