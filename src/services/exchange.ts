/**
 * @module Session exchange (`POST /v1/b2b/sessions/exchange`): a member logged into organization
 * A switches into organization B without logging in again exactly when B's policies allow it.
 * The target is B's member with the same email address; only transferable factors carry; the
 * decision is the same `decideAuthentication` every login uses; the origin session's liveness
 * is re-checked inside the write transaction. See docs/session-exchange.md.
 */
import { applyCustomClaims } from "../domain/custom-claims.js";
import { transferFactors } from "../domain/exchange.js";
import type { Project } from "../domain/types.js";
import { AppError } from "../errors.js";
import type { Locale } from "../messages/locales.js";
import { sessionOptionsOf, type AuthenticationResult, type AuthenticationService } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import type { OrganizationService } from "./organizations.js";
import type { SessionCredential, SessionService } from "./sessions.js";

export interface ExchangeRequest extends SessionCredential {
  organization_id: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  locale: Locale;
}

/** Statuses of a membership that exchange may enter (an invitation is accepted by entering). */
const ENTERABLE_STATUSES = new Set(["active", "pending", "invited"]);

export class ExchangeService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly sessions: SessionService,
    private readonly organizations: OrganizationService,
    private readonly authentication: AuthenticationService,
  ) {}

  async exchange(project: Project, request: ExchangeRequest): Promise<AuthenticationResult> {
    // Claims are checked whichever branch follows, so a bad request fails the same way every time.
    const claims = applyCustomClaims({}, request.session_custom_claims);
    if (!claims.ok) throw new AppError(claims.reason);
    const origin = await this.sessions.resolveLive(project, request);
    const target = await this.organizations.get(project, request.organization_id);
    const originMember = await this.ctx.store.findMemberById(project.projectId, origin.memberId);
    if (!originMember) throw new AppError("session_not_found");

    const sameOrganization = target.organizationId === origin.organizationId;
    const targetMember = sameOrganization
      ? originMember
      : await this.ctx.store.findMemberByEmail(project.projectId, target.organizationId, originMember.emailAddress);
    // Exchange never creates a member (that is discovery's job), and says nothing about B's members.
    if (!targetMember || !ENTERABLE_STATUSES.has(targetMember.status)) throw new AppError("member_not_found");

    // Into its own organization nothing moves between members: every factor stays.
    const carried = sameOrganization ? origin.factors : transferFactors(origin.factors, originMember, targetMember).carried;

    return this.authentication.conclude({
      project,
      organization: target,
      member: targetMember,
      memberBefore: targetMember,
      newFactors: carried,
      // The origin session must still be live when the new session or step-up is written.
      changes: [{ kind: "require_live_session", projectId: project.projectId, sessionId: origin.sessionId, now: this.ctx.clock.now() }],
      ...sessionOptionsOf(request),
      locale: request.locale,
    });
  }
}
