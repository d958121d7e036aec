/**
 * @module Compact RS256 JWTs for sessions, signed and verified with node:crypto directly (one
 * RSA operation and two base64 encodings; no generic JOSE machinery on the hot path).
 */
import { sign, verify, type KeyObject } from "node:crypto";

export interface JwtHeader {
  alg: "RS256";
  kid: string;
  typ: "JWT";
}

/** Signs `payload` with `privateKey` under `kid`. */
export function signJwt(payload: Record<string, unknown>, kid: string, privateKey: KeyObject): string {
  const header: JwtHeader = { alg: "RS256", kid, typ: "JWT" };
  const signingInput =
    Buffer.from(JSON.stringify(header)).toString("base64url") + "." + Buffer.from(JSON.stringify(payload)).toString("base64url");
  return signingInput + "." + sign("sha256", Buffer.from(signingInput), privateKey).toString("base64url");
}

export type JwtVerification =
  | { ok: true; kid: string; payload: Record<string, unknown> }
  | { ok: false; reason: "malformed" | "unsupported_algorithm" | "unsupported_header" | "unknown_key" | "bad_signature" | "bad_claims" };

const SESSION_JWT_HEADER_NAMES: ReadonlySet<string> = new Set(["alg", "kid", "typ"]);

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url in its one canonical spelling: otherwise one token would have many (unused trailing bits). */
function isCanonicalBase64url(segment: string): boolean {
  return BASE64URL.test(segment) && Buffer.from(segment, "base64url").toString("base64url") === segment;
}

function parseJsonSegment(segment: string): Record<string, unknown> | null {
  if (!isCanonicalBase64url(segment)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Verifies signature, algorithm, issuer and audience. Expiry is left to the caller: the
 * authenticate endpoint accepts a JWT past `exp` while its session is alive.
 */
export function verifyJwt(
  token: string,
  options: { resolveKey: (kid: string) => KeyObject | null; issuer: string; audience: string },
): JwtVerification {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed" };
  const [headerSegment, payloadSegment, signatureSegment] = parts as [string, string, string];
  const header = parseJsonSegment(headerSegment);
  const payload = parseJsonSegment(payloadSegment);
  if (!header || !payload || !isCanonicalBase64url(signatureSegment)) return { ok: false, reason: "malformed" };
  // Only RS256: `none`, HS256-with-the-public-key and every other algorithm are refused up front.
  if (header.alg !== "RS256") return { ok: false, reason: "unsupported_algorithm" };
  // Exactly the header this server writes: no `crit`, `b64`, `zip`, `jwk`, `jku`, `x5u`, `x5c`, and `typ: "JWT"`.
  if (header.typ !== "JWT" || Object.keys(header).some((name) => !SESSION_JWT_HEADER_NAMES.has(name))) {
    return { ok: false, reason: "unsupported_header" };
  }
  if (typeof header.kid !== "string") return { ok: false, reason: "unknown_key" };
  const publicKey = options.resolveKey(header.kid);
  if (!publicKey) return { ok: false, reason: "unknown_key" };
  const signature = Buffer.from(signatureSegment, "base64url");
  if (!verify("sha256", Buffer.from(`${headerSegment}.${payloadSegment}`), publicKey, signature)) {
    return { ok: false, reason: "bad_signature" };
  }
  const audience = payload.aud;
  const audienceMatches = Array.isArray(audience) ? audience.includes(options.audience) : audience === options.audience;
  if (payload.iss !== options.issuer || !audienceMatches || typeof payload.sub !== "string") {
    return { ok: false, reason: "bad_claims" };
  }
  return { ok: true, kid: header.kid, payload };
}
