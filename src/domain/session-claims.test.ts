import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SESSION_JWT_TTL_SECONDS, isSessionLive, sessionJwtClaims } from "./session-claims.js";
import { rfc3339 } from "./time.js";
import type { Session } from "./types.js";

const NOW = Date.parse("2026-01-15T10:00:00.750Z");
const MINUTE = 60_000;

function session(overrides: Partial<Session> = {}): Session {
  return {
    projectId: "project-test-1",
    sessionId: "member-session-test-1",
    organizationId: "organization-test-1",
    memberId: "member-test-1",
    startedAt: NOW - 10 * MINUTE,
    lastAccessedAt: NOW,
    expiresAt: NOW + 60 * MINUTE,
    revokedAt: null,
    factors: [
      {
        type: "magic_link",
        delivery_method: "email",
        last_authenticated_at: "2026-01-15T09:50:00Z",
        created_at: "2026-01-15T09:50:00Z",
        updated_at: "2026-01-15T09:50:00Z",
        email_factor: { email_id: "email-test-1", email_address: "a@example.com" },
      },
    ],
    customClaims: {},
    roles: ["stytch_member", "editor"],
    ...overrides,
  };
}

function claimsOf(value: Session, issuedAt = NOW): Record<string, any> {
  return sessionJwtClaims({ projectId: "project-test-1", session: value, organizationSlug: "acme", issuedAt });
}

describe("sessionJwtClaims", () => {
  it("issues whole seconds with nbf = iat and exp = iat + 300", () => {
    const claims = claimsOf(session());
    assert.equal(SESSION_JWT_TTL_SECONDS, 300);
    assert.equal(claims.iat, Math.floor(NOW / 1000));
    assert.equal(claims.nbf, claims.iat);
    assert.equal(claims.exp, claims.iat + 300);
  });

  it("caps exp at the session's expiry", () => {
    const claims = claimsOf(session({ expiresAt: NOW + 2 * MINUTE }));
    assert.equal(claims.exp, Math.floor((NOW + 2 * MINUTE) / 1000));
  });

  it("names the project as issuer and audience and the member as subject", () => {
    const claims = claimsOf(session());
    assert.equal(claims.iss, "stytch.com/project-test-1");
    assert.deepEqual(claims.aud, ["project-test-1"]);
    assert.equal(claims.sub, "member-test-1");
    assert.equal("jti" in claims, false);
  });

  it("carries the session and organization claims Stytch's SDKs read", () => {
    const value = session();
    const claims = claimsOf(value);
    assert.deepEqual(claims["https://stytch.com/organization"], { organization_id: "organization-test-1", slug: "acme" });
    assert.deepEqual(claims["https://stytch.com/session"], {
      id: "member-session-test-1",
      started_at: rfc3339(value.startedAt),
      last_accessed_at: rfc3339(value.lastAccessedAt),
      expires_at: rfc3339(value.expiresAt),
      attributes: { ip_address: "", user_agent: "" },
      authentication_factors: [
        {
          type: "magic_link",
          delivery_method: "email",
          last_authenticated_at: "2026-01-15T09:50:00Z",
          email_factor: { email_id: "email-test-1", email_address: "a@example.com" },
        },
      ],
      roles: ["stytch_member", "editor"],
    });
  });

  it("puts custom claims at the top level without letting them replace registered ones", () => {
    const claims = claimsOf(session({ customClaims: { tenant: "acme", sub: "forged", "https://stytch.com/session": {} } }));
    assert.equal(claims.tenant, "acme");
    assert.equal(claims.sub, "member-test-1");
    assert.equal(claims["https://stytch.com/session"].id, "member-session-test-1");
  });
});

describe("isSessionLive", () => {
  it("is live before its expiry and not at or after it", () => {
    assert.equal(isSessionLive(session({ expiresAt: NOW + 1 }), NOW), true);
    assert.equal(isSessionLive(session({ expiresAt: NOW }), NOW), false);
    assert.equal(isSessionLive(session({ expiresAt: NOW - 1 }), NOW), false);
  });

  it("is not live once revoked", () => {
    assert.equal(isSessionLive(session({ revokedAt: NOW - 1 }), NOW), false);
  });
});

describe("rfc3339", () => {
  it("renders UTC with second precision and a Z", () => {
    assert.equal(rfc3339(Date.parse("2021-12-29T12:33:09.999Z")), "2021-12-29T12:33:09Z");
    assert.equal(rfc3339(0), "1970-01-01T00:00:00Z");
  });
});
