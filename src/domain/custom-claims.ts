/**
 * @module Session custom claims (wire-spec §7): merge with null-deletes, refuse reserved and
 * Stytch-namespaced names, cap the serialized size. Pure.
 */

/** `scope` too: it is what makes an M2M access token, so a session JWT carrying it could pass an SDK's local M2M check. */
export const RESERVED_JWT_CLAIMS: ReadonlySet<string> = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope"]);
export const STYTCH_CLAIM_PREFIX = "https://stytch.com/";
export const MAX_CUSTOM_CLAIMS_BYTES = 4096;

export type ClaimsObject = Record<string, unknown>;

export type CustomClaimsResult =
  | { ok: true; claims: ClaimsObject }
  | { ok: false; reason: "reserved_claims_in_custom_claims" | "stytch_claims_in_custom_claims" | "custom_claims_too_large" };

function isPlainObject(value: unknown): value is ClaimsObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Upserts `update` into `existing`; a null value deletes its key, nested objects merge recursively. */
export function mergeClaims(existing: ClaimsObject, update: ClaimsObject): ClaimsObject {
  const merged: ClaimsObject = Object.create(null);
  for (const [key, value] of Object.entries(existing)) merged[key] = value;
  for (const [key, value] of Object.entries(update)) {
    if (value === null) {
      delete merged[key];
    } else if (isPlainObject(value)) {
      // Into nothing (or over a non-object) too, so a null nested anywhere deletes rather than being stored.
      merged[key] = mergeClaims(isPlainObject(merged[key]) ? (merged[key] as ClaimsObject) : {}, value);
    } else {
      merged[key] = value;
    }
  }
  // Return an ordinary object so JSON and equality behave as callers expect.
  return { ...merged };
}

/**
 * Applies a request's `session_custom_claims` to a session's current claims. Reserved names are
 * refused rather than dropped: Stytch has error types for both and refusing cannot surprise.
 */
export function applyCustomClaims(existing: ClaimsObject, update: ClaimsObject | undefined): CustomClaimsResult {
  if (update === undefined) return { ok: true, claims: existing };
  for (const key of Object.keys(update)) {
    if (RESERVED_JWT_CLAIMS.has(key)) return { ok: false, reason: "reserved_claims_in_custom_claims" };
    if (key.startsWith(STYTCH_CLAIM_PREFIX)) return { ok: false, reason: "stytch_claims_in_custom_claims" };
  }
  const claims = mergeClaims(existing, update);
  if (Buffer.byteLength(JSON.stringify(claims), "utf8") > MAX_CUSTOM_CLAIMS_BYTES) {
    return { ok: false, reason: "custom_claims_too_large" };
  }
  return { ok: true, claims };
}
