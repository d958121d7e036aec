/**
 * @module Authorization checks of a member session: the `authorization_check` of
 * `sessions/authenticate`, and the `X-Stytch-Member-Session(JWT)` headers that make an
 * administrative call act as a member. Tenancy first (the session's organization must be the
 * target), then the roles (`domain/rbac.ts`). The member's current roles count, not the ones the
 * session started with.
 */
import { grantingRoles } from "../domain/rbac.js";
import { sessionRolesOf, type Project, type Session } from "../domain/types.js";
import { AppError } from "../errors.js";
import type { ServiceContext } from "./context.js";
import type { OrganizationService } from "./organizations.js";
import type { SessionCredential, SessionService } from "./sessions.js";
import type { RbacPolicyService } from "./configuration/rbac-policies.js";

export interface AuthorizationCheck {
  organization_id: string;
  resource_id: string;
  action: string;
}

export interface Verdict {
  authorized: true;
  granting_roles: string[];
}

export class AuthorizationService {
  /** The project and organization policies; unset: Stytch's built-in roles only. */
  policies: RbacPolicyService | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly sessions: SessionService,
    private readonly organizations: OrganizationService,
  ) {}

  /**
   * Whether `session` may do `check.action` on `check.resource_id` in `check.organization_id`;
   * throws 403 `session_authorization_tenancy_error` or `session_authorization_error` when not.
   * `selfMemberId`: the member the action targets, so `stytch.self` permissions apply to one's own record.
   */
  async check(project: Project, session: Session, check: AuthorizationCheck, selfMemberId?: string): Promise<Verdict> {
    const organization = await this.organizations.get(project, check.organization_id);
    if (organization.organizationId !== session.organizationId) throw new AppError("session_authorization_tenancy_error");
    const member = await this.ctx.store.findMemberById(project.projectId, session.memberId);
    if (!member) throw new AppError("session_not_found");
    const roles = [
      ...sessionRolesOf(member, organization.settings.rbac_email_implicit_role_assignments),
      ...(await this.sessions.sourcedRoles(project.projectId, member.memberId, session.factors)),
    ];
    const policy = this.policies ? await this.policies.projectPolicy(project.projectId) : undefined;
    const organizationRoles = this.policies ? await this.policies.organizationRoles(project.projectId, organization.organizationId) : [];
    let granting = grantingRoles(roles, check.resource_id, check.action, policy, organizationRoles);
    if (granting.length === 0 && selfMemberId === member.memberId && check.resource_id === "stytch.member") {
      granting = grantingRoles(roles, "stytch.self", check.action, policy, organizationRoles);
    }
    if (granting.length === 0) throw new AppError("session_authorization_error");
    return { authorized: true, granting_roles: granting };
  }

  /**
   * For a call made with member-session headers: the session must be live and allowed to do
   * `action` on `resource` in the target organization.
   */
  async checkHeaders(
    project: Project,
    headers: { token: string | undefined; jwt: string | undefined },
    target: { organizationRef: string; resource: string; action: string; memberRef?: string },
  ): Promise<void> {
    // With both headers, the opaque token is the one that counts (it is checked against the database either way).
    const credential: SessionCredential = headers.token ? { session_token: headers.token } : { session_jwt: headers.jwt ?? "" };
    const session = await this.sessions.resolveLive(project, credential);
    let selfMemberId: string | undefined;
    if (target.memberRef !== undefined) {
      const organization = await this.organizations.get(project, target.organizationRef);
      selfMemberId = (await this.ctx.store.findMember(project.projectId, organization.organizationId, target.memberRef))?.memberId;
    }
    await this.check(project, session, { organization_id: target.organizationRef, resource_id: target.resource, action: target.action }, selfMemberId);
  }
}
