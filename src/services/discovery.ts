/**
 * @module Discovery, the other road between organizations: which organizations a session or
 * intermediate session can enter and what entering each would take; entering one with an
 * intermediate session (accepting invites, or JIT-provisioning by email domain); and creating
 * a new organization. Every "what would it take" is the same `decideAuthentication`.
 */
import { decideAuthentication, maskPhoneNumber, primaryMethodOf } from "../domain/auth-outcome.js";
import { applyCustomClaims } from "../domain/custom-claims.js";
import { transferFactors } from "../domain/exchange.js";
import { CONSUMER_EMAIL_DOMAINS, slugFromName } from "../domain/organization-rules.js";
import {
  ADMIN_ROLE,
  type AuthenticationFactor,
  type Member,
  type Organization,
  type Project,
} from "../domain/types.js";
import { newStytchId } from "../crypto/random.js";
import { sha256 } from "../crypto/token-hash.js";
import { AppError, type ErrorType } from "../errors.js";
import type { Locale } from "../messages/locales.js";
import type { Change } from "../store/store.js";
import { sessionOptionsOf,
  INTERMEDIATE_SESSION_TTL_MS,
  type AuthenticationResult,
  type AuthenticationService,
  type LiveIntermediateSession,
} from "./authentication.js";
import type { ServiceContext } from "./context.js";
import { conflictToAppError, type OrganizationInput, type OrganizationService } from "./organizations.js";
import type { SessionCredential, SessionService } from "./sessions.js";

export type MembershipType = "active_member" | "pending_member" | "invited_member" | "eligible_to_join_by_email_domain";

export interface DiscoveredOrganization {
  organization: Organization;
  membershipType: MembershipType;
  /** The member, or null for organizations the person could join by email domain. */
  member: Member | null;
  domain: string | null;
  memberAuthenticated: boolean;
  primaryRequired: { allowed_auth_methods: string[] } | null;
  mfaRequired: { member_options: { mfa_phone_number: string; totp_registration_id: string }; secondary_auth_initiated: null } | null;
}

/** What a discovery email login (magic link or passcode) ends with. */
export interface DiscoveryStart {
  intermediateSessionToken: string;
  intermediateSessionExpiresAt: number;
  emailAddress: string;
  discovered: DiscoveredOrganization[];
}

/** Who proved the factors a listing evaluates: a member (session, bound intermediate session) or just an email. */
interface DiscoverySource {
  emailAddress: string;
  factors: AuthenticationFactor[];
  memberId: string | null;
  phone: string;
  phoneVerified: boolean;
  /** Only an intermediate session may join by email domain (a session lists its memberships). */
  fromIntermediateSession: boolean;
}

const ENTERABLE_STATUSES = new Set(["active", "pending", "invited"]);

/** Factors that prove the email address (what JIT provisioning and organization creation need). */
function provesEmail(factors: AuthenticationFactor[]): boolean {
  return factors.some((factor) => {
    const method = primaryMethodOf(factor);
    return method === "magic_link" || method === "email_otp" || method === "google_oauth" || method === "microsoft_oauth";
  });
}

function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1).toLowerCase();
}

/** A fresh member as JIT provisioning or organization creation would make it. */
function newMemberFor(
  organization: Organization,
  email: string,
  verified: boolean,
  roleIds: string[],
  now: number,
  ids: { memberId: string; emailId: string },
): Member {
  return {
    projectId: organization.projectId,
    organizationId: organization.organizationId,
    memberId: ids.memberId,
    emailId: ids.emailId,
    emailAddress: email,
    emailAddressVerified: verified,
    status: "active",
    name: "",
    externalId: null,
    trustedMetadata: {},
    untrustedMetadata: {},
    isBreakglass: false,
    mfaEnrolled: false,
    mfaPhoneNumber: "",
    mfaPhoneNumberVerified: false,
    defaultMfaMethod: "",
    totpRegistrationId: "",
    memberPasswordId: "",
    roleIds,
    createdAt: now,
    updatedAt: now,
  };
}

export class DiscoveryService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly sessions: SessionService,
    private readonly organizations: OrganizationService,
    private readonly authentication: AuthenticationService,
  ) {}

  /**
   * The change that starts a discovery intermediate session for `emailAddress` holding `factors`
   * (used by the discovery email flows); returns the token to hand out.
   */
  newDiscoverySession(project: Project, emailAddress: string, factors: AuthenticationFactor[]): { token: string; change: Change; expiresAt: number } {
    const now = this.ctx.clock.now();
    const token = this.ctx.random.bytes(32).toString("base64url");
    const expiresAt = now + INTERMEDIATE_SESSION_TTL_MS;
    return {
      token,
      expiresAt,
      change: {
        kind: "insert_intermediate_session",
        intermediateSession: {
          projectId: project.projectId,
          intermediateSessionId: newStytchId("intermediate-session", project.environment, this.ctx.random),
          organizationId: null,
          memberId: null,
          emailAddress,
          factors,
          createdAt: now,
          expiresAt,
          consumedAt: null,
        },
        tokenHash: sha256(token),
      },
    };
  }

  /**
   * Ends a discovery email login: ONE commit holds the step's own preconditions and writes
   * (consuming the link or code, clearing throttles) and the new discovery intermediate session
   * for `emailAddress` holding `factors`, so a token is never spent without its session nor a
   * session started without spending the token. Then lists what that session can enter.
   */
  async startFromEmail(
    project: Project,
    emailAddress: string,
    factors: AuthenticationFactor[],
    changes: Change[],
    errorFor: Partial<Record<Change["kind"], ErrorType>>,
  ): Promise<DiscoveryStart> {
    const started = this.newDiscoverySession(project, emailAddress, factors);
    // Read before the commit: once the link or code is spent, nothing may fail the answer.
    const discovered = await this.discover(project, {
      emailAddress,
      factors,
      memberId: null,
      phone: "",
      phoneVerified: false,
      fromIntermediateSession: true,
    });
    let result;
    try {
      result = await this.ctx.store.commit([...changes, started.change]);
    } catch (error) {
      throw conflictToAppError(error);
    }
    if (!result.ok) throw new AppError(errorFor[result.failed] ?? "bad_request");
    return { intermediateSessionToken: started.token, intermediateSessionExpiresAt: started.expiresAt, emailAddress, discovered };
  }

  /** What `factors` (proven for `source`) would be worth for `member` of `organization`. */
  private evaluate(
    organization: Organization,
    member: Member | null,
    factors: AuthenticationFactor[],
    source: { memberId: string | null; phone: string; phoneVerified: boolean },
    emailAddress: string,
  ): Pick<DiscoveredOrganization, "memberAuthenticated" | "primaryRequired" | "mfaRequired"> {
    // For an organization joinable by domain, judge as for the member JIT provisioning would create.
    const candidate = member ?? newMemberFor(organization, emailAddress, true, [], 0, { memberId: "", emailId: "" });
    const carried =
      member !== null && member.memberId === source.memberId
        ? factors
        : transferFactors(factors, { mfaPhoneNumber: source.phone, mfaPhoneNumberVerified: source.phoneVerified }, candidate).carried;
    const outcome = decideAuthentication({ settings: organization.settings, member: candidate, factors: carried });
    if (outcome.kind === "satisfied") return { memberAuthenticated: true, primaryRequired: null, mfaRequired: null };
    return {
      memberAuthenticated: false,
      primaryRequired: outcome.primaryRequired,
      mfaRequired: outcome.mfaRequired
        ? {
            member_options: { mfa_phone_number: maskPhoneNumber(candidate.mfaPhoneNumber), totp_registration_id: candidate.totpRegistrationId },
            // Discovery never sends an SMS on its own.
            secondary_auth_initiated: null,
          }
        : null,
    };
  }

  async listOrganizations(
    project: Project,
    request: SessionCredential & { intermediate_session_token?: string },
  ): Promise<{ emailAddress: string; organizationIdHint: string | null; discovered: DiscoveredOrganization[] }> {
    const given = [request.intermediate_session_token, request.session_token, request.session_jwt].filter((value) => value !== undefined && value !== "");
    if (given.length > 1) throw new AppError("too_many_session_arguments", "Please include exactly one of intermediate_session_token, session_token or session_jwt.");
    if (given.length === 0) throw new AppError("no_session_arguments", "Please include exactly one of intermediate_session_token, session_token or session_jwt.");

    let source: DiscoverySource;
    let organizationIdHint: string | null = null;
    if (request.intermediate_session_token) {
      const { record } = await this.authentication.resolveIntermediateSession(project, request.intermediate_session_token);
      organizationIdHint = record.organizationId;
      const bound = record.memberId ? await this.ctx.store.findMemberById(project.projectId, record.memberId) : null;
      source = {
        emailAddress: record.emailAddress,
        factors: record.factors,
        memberId: record.memberId,
        phone: bound?.mfaPhoneNumber ?? "",
        phoneVerified: bound?.mfaPhoneNumberVerified ?? false,
        fromIntermediateSession: true,
      };
    } else {
      // A dead session fails here rather than silently listing nothing.
      const session = await this.sessions.resolveLive(project, request);
      const member = await this.ctx.store.findMemberById(project.projectId, session.memberId);
      if (!member) throw new AppError("session_not_found");
      source = {
        emailAddress: member.emailAddress,
        factors: session.factors,
        memberId: member.memberId,
        phone: member.mfaPhoneNumber,
        phoneVerified: member.mfaPhoneNumberVerified,
        fromIntermediateSession: false,
      };
    }
    return { emailAddress: source.emailAddress, organizationIdHint, discovered: await this.discover(project, source) };
  }

  /** The organizations `source` can enter (memberships, and for an intermediate session joinable by domain), each evaluated. */
  private async discover(project: Project, source: DiscoverySource): Promise<DiscoveredOrganization[]> {
    const { emailAddress, factors } = source;
    const discovered: DiscoveredOrganization[] = [];
    const memberOrganizationIds = new Set<string>();
    for (const member of await this.ctx.store.findMembersByEmail(project.projectId, emailAddress)) {
      if (!ENTERABLE_STATUSES.has(member.status)) continue;
      const organization = await this.ctx.store.findOrganization(project.projectId, member.organizationId);
      if (!organization) continue;
      memberOrganizationIds.add(organization.organizationId);
      discovered.push({
        organization,
        membershipType: `${member.status}_member` as MembershipType,
        member,
        domain: null,
        ...this.evaluate(organization, member, factors, source, emailAddress),
      });
    }
    // Organizations the person may join by email domain: only for an intermediate session whose factors prove the email.
    if (source.fromIntermediateSession && provesEmail(factors)) {
      const domain = emailDomain(emailAddress);
      const page = await this.ctx.store.searchOrganizations(
        project.projectId,
        { operator: "AND", operands: [{ filter_name: "allowed_domains", filter_value: [domain] }] },
        null,
        1000,
      );
      for (const organization of page.items) {
        if (memberOrganizationIds.has(organization.organizationId) || organization.settings.email_jit_provisioning !== "RESTRICTED") continue;
        discovered.push({
          organization,
          membershipType: "eligible_to_join_by_email_domain",
          member: null,
          domain,
          ...this.evaluate(organization, null, factors, source, emailAddress),
        });
      }
    }
    return discovered;
  }

  /** Enters `organization_id` with a (discovery or organization-bound) intermediate session. */
  async exchangeIntermediateSession(
    project: Project,
    request: {
      intermediate_session_token: string;
      organization_id: string;
      session_duration_minutes?: number;
      session_custom_claims?: Record<string, unknown>;
      locale: Locale;
    },
  ): Promise<AuthenticationResult> {
    const claims = applyCustomClaims({}, request.session_custom_claims);
    if (!claims.ok) throw new AppError(claims.reason);
    const organization = await this.organizations.get(project, request.organization_id);
    const intermediate = await this.authentication.resolveIntermediateSession(project, request.intermediate_session_token, {
      organizationId: organization.organizationId,
    });
    const { record } = intermediate;
    const now = this.ctx.clock.now();
    const changes: Change[] = [];
    let member = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, record.emailAddress);
    if (member && !ENTERABLE_STATUSES.has(member.status)) member = null;
    if (!member) {
      // JIT provisioning by email domain: the organization allows it for this domain and the email is proven.
      const domain = emailDomain(record.emailAddress);
      const allowed =
        organization.settings.email_jit_provisioning === "RESTRICTED" &&
        organization.settings.email_allowed_domains.includes(domain) &&
        provesEmail(record.factors);
      if (!allowed) throw new AppError("member_not_found");
      member = newMemberFor(organization, record.emailAddress, true, [], now, {
        memberId: newStytchId("member", project.environment, this.ctx.random),
        emailId: newStytchId("email", project.environment, this.ctx.random),
      });
      changes.push({ kind: "insert_member", member });
    }
    const bound = record.memberId ? await this.ctx.store.findMemberById(project.projectId, record.memberId) : null;
    const carried =
      record.memberId === member.memberId
        ? record.factors
        : transferFactors(record.factors, { mfaPhoneNumber: bound?.mfaPhoneNumber ?? "", mfaPhoneNumberVerified: bound?.mfaPhoneNumberVerified ?? false }, member).carried;
    const live: LiveIntermediateSession = { record: { ...record, factors: carried }, token: intermediate.token };
    // Factors that prove the email address (a discovery link or passcode, say) verify it, as the
    // organization's own email login would; written in the same commit as the outcome.
    const entering: Member = provesEmail(carried) && !member.emailAddressVerified ? { ...member, emailAddressVerified: true, updatedAt: now } : member;
    return this.authentication.conclude({
      project,
      organization,
      member: entering,
      memberBefore: member,
      newFactors: [],
      changes,
      intermediateSession: live,
      ...sessionOptionsOf(request),
      locale: request.locale,
    });
  }

  /** Creates an organization whose first member (a `stytch_admin`) is the intermediate session's person. */
  async createOrganization(
    project: Project,
    request: OrganizationInput & {
      intermediate_session_token: string;
      session_duration_minutes?: number;
      session_custom_claims?: Record<string, unknown>;
      locale: Locale;
    },
  ): Promise<AuthenticationResult> {
    const claims = applyCustomClaims({}, request.session_custom_claims);
    if (!claims.ok) throw new AppError(claims.reason);
    const intermediate = await this.authentication.resolveIntermediateSession(project, request.intermediate_session_token);
    const { record } = intermediate;
    const { intermediate_session_token: _token, session_duration_minutes: _duration, session_custom_claims: _claims, locale: _locale, ...organizationInput } = request;
    const domain = emailDomain(record.emailAddress);
    const personal = CONSUMER_EMAIL_DOMAINS.has(domain) || domain.endsWith(".edu");
    const derivedName = personal ? record.emailAddress.slice(0, record.emailAddress.indexOf("@")) : domain;
    const name = organizationInput.organization_name ?? derivedName;
    const organization = this.organizations.build(project, {
      ...organizationInput,
      organization_name: name,
      organization_slug: organizationInput.organization_slug ?? slugFromName(name),
    });
    const now = this.ctx.clock.now();
    const verified = provesEmail(record.factors);
    const member = newMemberFor(organization, record.emailAddress, verified, [ADMIN_ROLE], now, {
      memberId: newStytchId("member", project.environment, this.ctx.random),
      emailId: newStytchId("email", project.environment, this.ctx.random),
    });
    const carried = transferFactors(record.factors, { mfaPhoneNumber: "", mfaPhoneNumberVerified: false }, member).carried;
    try {
      return await this.authentication.conclude({
        project,
        organization,
        member,
        memberBefore: member,
        newFactors: [],
        changes: [
          { kind: "insert_organization", organization },
          { kind: "insert_member", member },
        ],
        intermediateSession: { record: { ...record, factors: carried }, token: intermediate.token },
        ...sessionOptionsOf(request),
        locale: request.locale,
      });
    } catch (error) {
      throw conflictToAppError(error);
    }
  }
}
