/**
 * @module The claims of a session JWT (wire-spec §3), built from a session. Pure.
 */
import type { AuthenticationFactor, EpochMs, Session } from "./types.js";
import { rfc3339 } from "./time.js";

/** A session JWT lives five minutes, never past its session. */
export const SESSION_JWT_TTL_SECONDS = 300;

/** Factors inside the JWT carry only type, delivery method, last authentication and the sub-object. */
function factorForJwt(factor: AuthenticationFactor): Record<string, unknown> {
  const { created_at: _created, updated_at: _updated, ...rest } = factor;
  return rest;
}

export function sessionJwtClaims(options: {
  projectId: string;
  session: Session;
  organizationSlug: string;
  issuedAt: EpochMs;
}): Record<string, unknown> {
  const { session } = options;
  const iat = Math.floor(options.issuedAt / 1000);
  const exp = Math.min(iat + SESSION_JWT_TTL_SECONDS, Math.floor(session.expiresAt / 1000));
  return {
    // Custom claims first so the registered and Stytch claims below always win.
    ...session.customClaims,
    aud: [options.projectId],
    exp,
    "https://stytch.com/organization": { organization_id: session.organizationId, slug: options.organizationSlug },
    "https://stytch.com/session": {
      id: session.sessionId,
      started_at: rfc3339(session.startedAt),
      last_accessed_at: rfc3339(session.lastAccessedAt),
      expires_at: rfc3339(session.expiresAt),
      attributes: { ip_address: "", user_agent: "" },
      authentication_factors: session.factors.map(factorForJwt),
      roles: session.roles,
    },
    iat,
    iss: `stytch.com/${options.projectId}`,
    nbf: iat,
    sub: session.memberId,
  };
}

/** A session is live until it is revoked or its expiry passes. */
export function isSessionLive(session: Session, now: EpochMs): boolean {
  return session.revokedAt === null && session.expiresAt > now;
}
