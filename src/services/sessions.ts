/**
 * @module Member sessions: starting one (for the login flows), authenticating by token or JWT,
 * listing, revoking, and minting the session JWT.
 */
import { applyCustomClaims } from "../domain/custom-claims.js";
import { isSessionLive, sessionJwtClaims } from "../domain/session-claims.js";
import { MINUTE_MS } from "../domain/time.js";
import {
  sessionRolesOf,
  type AuthenticationFactor,
  type EpochMs,
  type Member,
  type Organization,
  type Project,
  type Session,
} from "../domain/types.js";
import { newSessionToken, newStytchId } from "../crypto/random.js";
import { signJwt, verifyJwt } from "../crypto/session-jwt.js";
import { sha256 } from "../crypto/token-hash.js";
import { AppError } from "../errors.js";
import type { ServiceContext } from "./context.js";
import type { KeyService } from "./keys.js";
import type { MemberService } from "./members.js";
import type { OrganizationService } from "./organizations.js";

export const DEFAULT_SESSION_DURATION_MINUTES = 60;
/** Without a duration or claims change, authenticate re-records last access at most this often. */
export const LAST_ACCESS_GRANULARITY_MS = 60_000;
/** A JWT minted earlier for an unchanged session is handed out again only while it has more than this left. */
export const JWT_REUSE_MIN_REMAINING_SECONDS = 60;
/** Sessions whose latest JWT a node remembers (bounded; oldest forgotten first). */
const JWT_CACHE_ENTRIES = 20_000;

/** Everything a session JWT encodes besides its times: if any of it changes, a new JWT is due. */
function jwtFingerprint(session: Session, organization: Organization): string {
  return JSON.stringify([
    session.lastAccessedAt,
    session.expiresAt,
    session.customClaims,
    session.factors,
    session.roles,
    organization.slug,
  ]);
}

/** Exactly one of the two ways a caller names its session. */
export interface SessionCredential {
  session_token?: string;
  session_jwt?: string;
}

export interface AuthenticatedSession {
  session: Session;
  member: Member;
  organization: Organization;
  /** The opaque token when the caller presented it; "" when it presented a JWT (only a hash is stored). */
  sessionToken: string;
  sessionJwt: string;
}

function throwForClaims(result: ReturnType<typeof applyCustomClaims>): Record<string, unknown> {
  if (!result.ok) throw new AppError(result.reason);
  return result.claims;
}

/**
 * Roles a member holds from a source other than its own record (SCIM groups; SSO connections,
 * which count only in a session holding a factor from that connection), read when roles are computed.
 */
export type MemberRoleSource = (projectId: string, memberId: string, factors: AuthenticationFactor[]) => Promise<string[]>;

export class SessionService {
  /** Extra role sources; each adds role ids after the member's own. */
  readonly roleSources: MemberRoleSource[] = [];

  /** sessionId → the latest JWT this node minted for it; a per-node cache that decides nothing. */
  private readonly recentJwts = new Map<string, { jwt: string; kid: string; expSeconds: number; fingerprint: string }>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly keys: KeyService,
    private readonly organizations: OrganizationService,
    private readonly members: MemberService,
  ) {}

  /** Signs a fresh JWT for `session` (and remembers it for `currentJwt`). */
  async mintJwt(project: Project, session: Session, organization: Organization): Promise<string> {
    const { kid, privateKey } = await this.keys.signingKey(project.projectId);
    const claims = sessionJwtClaims({
      projectId: project.projectId,
      session,
      organizationSlug: organization.slug,
      issuedAt: this.ctx.clock.now(),
    });
    const jwt = signJwt(claims, kid, privateKey);
    if (this.recentJwts.size >= JWT_CACHE_ENTRIES) this.recentJwts.delete(this.recentJwts.keys().next().value!);
    this.recentJwts.set(session.sessionId, { jwt, kid, expSeconds: claims.exp as number, fingerprint: jwtFingerprint(session, organization) });
    return jwt;
  }

  /**
   * The session's JWT: the one minted last for the unchanged session while it has more than
   * JWT_REUSE_MIN_REMAINING_SECONDS left, else a fresh one. Saves an RSA signature per
   * authenticate; the session's liveness was checked against the database either way.
   */
  async currentJwt(project: Project, session: Session, organization: Organization): Promise<string> {
    const cached = this.recentJwts.get(session.sessionId);
    const nowSeconds = Math.floor(this.ctx.clock.now() / 1000);
    if (
      cached &&
      cached.expSeconds - nowSeconds > JWT_REUSE_MIN_REMAINING_SECONDS &&
      cached.fingerprint === jwtFingerprint(session, organization) &&
      // After a key rotation, sessions move to the new signing key on their next authenticate.
      cached.kid === (await this.keys.signingKey(project.projectId)).kid
    ) {
      return cached.jwt;
    }
    return this.mintJwt(project, session, organization);
  }

  /**
   * Starts a session for `member` with `factors` (used by the login flows and by tests until
   * they exist). Returns the session with its one-time-visible token and a JWT.
   */
  async start(
    project: Project,
    organization: Organization,
    member: Member,
    factors: AuthenticationFactor[],
    options: { durationMinutes?: number; customClaims?: Record<string, unknown> } = {},
  ): Promise<AuthenticatedSession> {
    const customClaims = throwForClaims(applyCustomClaims({}, options.customClaims));
    const { session, token, tokenHash } = this.newSession(project, organization, member, factors, {
      ...(options.durationMinutes !== undefined ? { durationMinutes: options.durationMinutes } : {}),
      customClaims,
      now: this.ctx.clock.now(),
    });
    await this.ctx.store.insertSession(session, tokenHash);
    return { session, member, organization, sessionToken: token, sessionJwt: await this.mintJwt(project, session, organization) };
  }

  /**
   * A new session starting at `now` (the instant of the step that mints it, so it matches what
   * that step consumed), with its token (to hand out once) and the token's hash (to store).
   */
  newSession(
    project: Project,
    organization: Organization,
    member: Member,
    factors: AuthenticationFactor[],
    options: { durationMinutes?: number; customClaims: Record<string, unknown>; now: EpochMs },
  ): { session: Session; token: string; tokenHash: Buffer } {
    const { now } = options;
    const session: Session = {
      projectId: project.projectId,
      sessionId: newStytchId("member-session", project.environment, this.ctx.random),
      organizationId: organization.organizationId,
      memberId: member.memberId,
      startedAt: now,
      lastAccessedAt: now,
      expiresAt: now + (options.durationMinutes ?? DEFAULT_SESSION_DURATION_MINUTES) * MINUTE_MS,
      revokedAt: null,
      factors,
      customClaims: options.customClaims,
      roles: sessionRolesOf(member, organization.settings.rbac_email_implicit_role_assignments),
    };
    const token = newSessionToken(this.ctx.random);
    return { session, token, tokenHash: sha256(token) };
  }

  /** The session a JWT names, if the JWT was signed by this project; liveness is not checked here. */
  private async sessionFromJwt(project: Project, jwt: string): Promise<Session | null> {
    const kid = jwtKid(jwt);
    const publicKey = kid === null ? null : await this.keys.publicKey(project.projectId, kid);
    const verification = verifyJwt(jwt, {
      resolveKey: (candidate) => (candidate === kid ? publicKey : null),
      issuer: `stytch.com/${project.projectId}`,
      audience: project.projectId,
    });
    if (!verification.ok) {
      if (verification.reason === "malformed") throw new AppError("unable_to_parse_session_jwt");
      return null;
    }
    const sessionClaim = verification.payload["https://stytch.com/session"] as { id?: unknown } | undefined;
    if (!sessionClaim || typeof sessionClaim.id !== "string") return null;
    const session = await this.ctx.store.findSession(project.projectId, sessionClaim.id);
    return session && session.memberId === verification.payload.sub ? session : null;
  }

  /**
   * The live session named by exactly one of `session_token` / `session_jwt`. A JWT past its
   * five-minute `exp` still names its session while the signature holds and the session lives.
   */
  async resolveLive(project: Project, credential: SessionCredential): Promise<Session> {
    const hasToken = credential.session_token !== undefined && credential.session_token !== "";
    const hasJwt = credential.session_jwt !== undefined && credential.session_jwt !== "";
    if (hasToken && hasJwt) throw new AppError("too_many_session_arguments");
    if (!hasToken && !hasJwt) throw new AppError("no_session_arguments");
    const session = hasToken
      ? await this.ctx.store.findSessionByTokenHash(project.projectId, sha256(credential.session_token!))
      : await this.sessionFromJwt(project, credential.session_jwt!);
    if (!session || !isSessionLive(session, this.ctx.clock.now())) throw new AppError("session_not_found");
    return session;
  }

  async authenticate(
    project: Project,
    request: SessionCredential & { session_duration_minutes?: number; session_custom_claims?: Record<string, unknown> },
  ): Promise<AuthenticatedSession> {
    const session = await this.resolveLive(project, request);
    const now = this.ctx.clock.now();
    const customClaims =
      request.session_custom_claims === undefined
        ? undefined
        : throwForClaims(applyCustomClaims(session.customClaims, request.session_custom_claims));
    const changesSession = request.session_duration_minutes !== undefined || customClaims !== undefined;
    let current = session;
    // Nothing to change and last access recorded recently: a pure read, no write and no fsync.
    if (changesSession || now - session.lastAccessedAt >= LAST_ACCESS_GRANULARITY_MS) {
      const touched = await this.ctx.store.touchSession(project.projectId, session.sessionId, {
        now,
        ...(request.session_duration_minutes !== undefined ? { expiresAt: now + request.session_duration_minutes * MINUTE_MS } : {}),
        ...(customClaims !== undefined ? { customClaims } : {}),
      });
      // Revoked between the read and the write: the write is what counts.
      if (!touched) throw new AppError("session_not_found");
      current = touched;
    }
    const organization = await this.organizations.get(project, current.organizationId);
    const member = await this.members.get(project, organization, current.memberId);
    // Roles are the member's as they are now: a role taken away stops counting at the next authenticate.
    current = withCurrentRoles(current, member, organization, await this.sourcedRoles(project.projectId, member.memberId, current.factors));
    return {
      session: current,
      member,
      organization,
      sessionToken: request.session_token ?? "",
      sessionJwt: await this.currentJwt(project, current, organization),
    };
  }

  async list(project: Project, organizationRef: string, memberRef: string): Promise<Session[]> {
    const organization = await this.organizations.get(project, organizationRef);
    const member = await this.members.get(project, organization, memberRef);
    const live = await this.ctx.store.listLiveSessions(project.projectId, member.memberId, this.ctx.clock.now());
    return Promise.all(
      live.map(async (session) => withCurrentRoles(session, member, organization, await this.sourcedRoles(project.projectId, member.memberId, session.factors))),
    );
  }

  /** The member's roles from every extra source. */
  async sourcedRoles(projectId: string, memberId: string, factors: AuthenticationFactor[]): Promise<string[]> {
    const roles: string[] = [];
    for (const source of this.roleSources) roles.push(...(await source(projectId, memberId, factors)));
    return roles;
  }

  /** Revokes by exactly one of session id, token, JWT or member id (all of that member's sessions). */
  async revoke(
    project: Project,
    request: SessionCredential & { member_session_id?: string; member_id?: string },
  ): Promise<void> {
    const given = (["member_session_id", "session_token", "session_jwt", "member_id"] as const).filter(
      (field) => request[field] !== undefined && request[field] !== "",
    );
    if (given.length === 0) throw new AppError("no_session_revoke_arguments");
    if (given.length > 1) throw new AppError("too_many_session_revoke_arguments");
    const now = this.ctx.clock.now();
    if (request.member_id) {
      // An unknown member (or another project's) is an error; a member without live sessions is not.
      const member = await this.ctx.store.findMemberById(project.projectId, request.member_id);
      if (!member) throw new AppError("member_not_found");
      await this.ctx.store.revokeMemberSessions(project.projectId, member.memberId, now);
      return;
    }
    // `||`, not `??`: an empty member_session_id is "not given" (checked above), so the token or JWT names the session.
    const sessionId = request.member_session_id || (await this.resolveLive(project, request)).sessionId;
    if (!(await this.ctx.store.revokeSession(project.projectId, sessionId, now))) throw new AppError("session_not_found");
  }
}

/** The session with the member's current roles (the stored ones are those it started with). */
function withCurrentRoles(session: Session, member: Member, organization: Organization, sourced: string[]): Session {
  const own = sessionRolesOf(member, organization.settings.rbac_email_implicit_role_assignments);
  const roles = [...own, ...new Set(sourced.filter((role) => !own.includes(role)))];
  return roles.length === session.roles.length && roles.every((role, index) => role === session.roles[index]) ? session : { ...session, roles };
}

/** The `kid` of a JWT's header without verifying anything, or null when there is none. */
function jwtKid(jwt: string): string | null {
  const headerSegment = jwt.split(".", 1)[0] ?? "";
  try {
    const header = JSON.parse(Buffer.from(headerSegment, "base64url").toString("utf8")) as { kid?: unknown };
    return typeof header.kid === "string" ? header.kid : null;
  } catch {
    return null;
  }
}
