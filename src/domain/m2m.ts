/**
 * @module M2M client rules (docs/m2m.md): what a client id, name, description, scope and imported
 * secret may be, which scopes a token request gets, the search query's shape, and the access
 * token's claims. Pure: every function returns a verdict, the services act on it.
 */
import { checkPasswordStrength } from "./password-strength.js";

export type M2mClientStatus = "active" | "inactive";

export const MAX_M2M_CLIENT_SCOPES = 100;
export const MAX_M2M_SCOPE_LENGTH = 128;
export const MAX_M2M_CLIENT_ID_LENGTH = 128;
export const MAX_M2M_CLIENT_NAME_LENGTH = 128;
export const MAX_M2M_CLIENT_DESCRIPTION_LENGTH = 1024;
export const MAX_M2M_CLIENT_SECRET_LENGTH = 256;
export const MIN_M2M_CLIENT_SECRET_LENGTH = 8;
/** Password-strength score (0–4) an imported secret needs: 3 is about 50 bits of estimated entropy. */
export const MIN_M2M_CLIENT_SECRET_SCORE = 3;
export const M2M_ACCESS_TOKEN_TTL_SECONDS = 3600;
export const DEFAULT_M2M_SEARCH_LIMIT = 100;
export const MAX_M2M_SEARCH_LIMIT = 1000;
/** Bounds of one search query, so a query stays a handful of index probes. */
export const MAX_M2M_SEARCH_OPERANDS = 10;
export const MAX_M2M_SEARCH_FILTER_VALUES = 1000;

export type M2mFieldProblem =
  | "m2m_client_invalid_client_id"
  | "m2m_client_invalid_client_name"
  | "m2m_client_invalid_client_description"
  | "m2m_client_invalid_client_secret"
  | "insecure_m2m_client_secret"
  | "invalid_m2m_client_scope"
  | "too_many_m2m_client_scopes";

// Unreserved URL characters: the id travels in paths, in form bodies and in HTTP Basic (no ':').
const CLIENT_ID = /^[A-Za-z0-9._~-]+$/;
// Printable ASCII without space, '"' and '\': a scope is one word of a space-separated list.
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const SECRET = /^[\x21-\x7e]+$/;

export function clientIdProblem(clientId: string): M2mFieldProblem | null {
  return clientId.length <= MAX_M2M_CLIENT_ID_LENGTH && CLIENT_ID.test(clientId) ? null : "m2m_client_invalid_client_id";
}

export function clientNameProblem(name: string): M2mFieldProblem | null {
  return [...name].length <= MAX_M2M_CLIENT_NAME_LENGTH ? null : "m2m_client_invalid_client_name";
}

export function clientDescriptionProblem(description: string): M2mFieldProblem | null {
  return [...description].length <= MAX_M2M_CLIENT_DESCRIPTION_LENGTH ? null : "m2m_client_invalid_client_description";
}

/** A client's scopes: each one word, at most MAX_M2M_CLIENT_SCOPES of them. Duplicates are dropped by `normalizeScopes`. */
export function scopesProblem(scopes: readonly string[]): M2mFieldProblem | null {
  if (scopes.some((scope) => scope.length > MAX_M2M_SCOPE_LENGTH || !SCOPE.test(scope))) return "invalid_m2m_client_scope";
  if (new Set(scopes).size > MAX_M2M_CLIENT_SCOPES) return "too_many_m2m_client_scopes";
  return null;
}

/** Keeps the first occurrence of each scope, in order. */
export function normalizeScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)];
}

/** An imported `client_secret`: well-formed, at least 8 characters, and not guessable. */
export function importedSecretProblem(secret: string): M2mFieldProblem | null {
  if (secret.length > MAX_M2M_CLIENT_SECRET_LENGTH || !SECRET.test(secret)) return "m2m_client_invalid_client_secret";
  if (secret.length < MIN_M2M_CLIENT_SECRET_LENGTH) return "insecure_m2m_client_secret";
  return checkPasswordStrength(secret).score >= MIN_M2M_CLIENT_SECRET_SCORE ? null : "insecure_m2m_client_secret";
}

/** The last four characters shown instead of a secret. */
export function lastFour(secret: string): string {
  return secret.slice(-4);
}

export type GrantedScopes = { ok: true; scopes: string[] } | { ok: false; reason: "invalid_scope" };

/**
 * The scopes a client-credentials grant yields: the requested ones (space-separated, RFC 6749
 * §3.3) when each is assigned to the client verbatim, or all of the client's when none are asked for.
 */
export function grantedScopes(requested: string | undefined, clientScopes: readonly string[]): GrantedScopes {
  const asked = normalizeScopes((requested ?? "").split(" ").filter((scope) => scope !== ""));
  if (asked.length === 0) return { ok: true, scopes: [...clientScopes] };
  const assigned = new Set(clientScopes);
  return asked.every((scope) => assigned.has(scope)) ? { ok: true, scopes: asked } : { ok: false, reason: "invalid_scope" };
}

export type M2mSearchFilterName = "client_id" | "client_name" | "scopes";

export interface M2mSearchQuery {
  operator: "AND" | "OR";
  operands: { filterName: M2mSearchFilterName; values: string[] }[];
}

export type M2mSearchProblem =
  | "invalid_search_query"
  | "m2m_search_missing_filter_name"
  | "m2m_search_filter_name_must_be_string"
  | "m2m_search_filter_name_not_recognized"
  | "m2m_search_missing_filter_value"
  | "m2m_search_expected_array_of_strings";

const FILTER_NAMES: ReadonlySet<string> = new Set(["client_id", "client_name", "scopes"]);

/** Checks a search request's `query` (any JSON): null when absent, the first problem otherwise. */
export function parseM2mSearchQuery(raw: unknown): { ok: true; query: M2mSearchQuery | null } | { ok: false; reason: M2mSearchProblem } {
  if (raw === undefined || raw === null) return { ok: true, query: null };
  if (typeof raw !== "object" || Array.isArray(raw)) return { ok: false, reason: "invalid_search_query" };
  const { operator, operands } = raw as { operator?: unknown; operands?: unknown };
  if (operator !== "AND" && operator !== "OR") return { ok: false, reason: "invalid_search_query" };
  if (!Array.isArray(operands) || operands.length > MAX_M2M_SEARCH_OPERANDS) return { ok: false, reason: "invalid_search_query" };
  const parsed: M2mSearchQuery["operands"] = [];
  for (const operand of operands as unknown[]) {
    if (typeof operand !== "object" || operand === null || Array.isArray(operand)) return { ok: false, reason: "invalid_search_query" };
    const { filter_name: name, filter_value: value } = operand as { filter_name?: unknown; filter_value?: unknown };
    if (name === undefined || name === null) return { ok: false, reason: "m2m_search_missing_filter_name" };
    if (typeof name !== "string") return { ok: false, reason: "m2m_search_filter_name_must_be_string" };
    if (!FILTER_NAMES.has(name)) return { ok: false, reason: "m2m_search_filter_name_not_recognized" };
    if (value === undefined || value === null) return { ok: false, reason: "m2m_search_missing_filter_value" };
    if (!Array.isArray(value) || value.length === 0 || value.length > MAX_M2M_SEARCH_FILTER_VALUES || value.some((item) => typeof item !== "string")) {
      return { ok: false, reason: "m2m_search_expected_array_of_strings" };
    }
    parsed.push({ filterName: name as M2mSearchFilterName, values: [...new Set(value as string[])] });
  }
  return { ok: true, query: { operator, operands: parsed } };
}

/**
 * The access token's claims, in Stytch's set: `sub` the client, `iss` `stytch.com/{project}`,
 * `aud` `[project]`, `scope` space-separated, `iat` = `nbf`, `exp` an hour later, a fresh `jti`.
 * Deliberately no `https://stytch.com/session` claim: session verification refuses it.
 */
export function m2mAccessTokenClaims(input: { projectId: string; clientId: string; scopes: readonly string[]; nowSeconds: number; jti: string }): Record<string, unknown> {
  return {
    aud: [input.projectId],
    exp: input.nowSeconds + M2M_ACCESS_TOKEN_TTL_SECONDS,
    iat: input.nowSeconds,
    iss: `stytch.com/${input.projectId}`,
    jti: input.jti,
    nbf: input.nowSeconds,
    scope: input.scopes.join(" "),
    sub: input.clientId,
  };
}

export interface ClientCredentialsGrant {
  clientId: string;
  clientSecret: string;
  /** The `scope` parameter as sent, undefined when absent. */
  scope: string | undefined;
}

export type TokenRequestVerdict =
  | { ok: true; grant: ClientCredentialsGrant }
  | { ok: false; error: "invalid_request" | "unsupported_grant_type" | "invalid_client"; description: string };

const TOKEN_PARAMETERS = ["grant_type", "client_id", "client_secret", "scope"] as const;

/**
 * Reads a client-credentials token request (RFC 6749 §4.4, §2.3.1). The client authenticates in
 * the body or with HTTP Basic; when the body names a client, the body wins and Basic is ignored,
 * because the Python SDK sends the project's own Basic credentials along with a JSON body.
 */
export function readTokenRequest(body: Record<string, unknown>, basic: { username: string; password: string } | null): TokenRequestVerdict {
  for (const name of TOKEN_PARAMETERS) {
    if (body[name] !== undefined && typeof body[name] !== "string") return { ok: false, error: "invalid_request", description: `${name} must be a string.` };
  }
  const grantType = body.grant_type as string | undefined;
  if (grantType === undefined || grantType === "") return { ok: false, error: "invalid_request", description: "grant_type is required." };
  if (grantType !== "client_credentials") return { ok: false, error: "unsupported_grant_type", description: "grant_type must be client_credentials." };
  const scope = body.scope as string | undefined;
  const bodyClientId = body.client_id as string | undefined;
  if (bodyClientId !== undefined && bodyClientId !== "") {
    const secret = body.client_secret as string | undefined;
    if (secret === undefined || secret === "") return { ok: false, error: "invalid_request", description: "client_secret is required with client_id." };
    return { ok: true, grant: { clientId: bodyClientId, clientSecret: secret, scope } };
  }
  if (basic && basic.username !== "") return { ok: true, grant: { clientId: basic.username, clientSecret: basic.password, scope } };
  return { ok: false, error: "invalid_client", description: "No client credentials: send client_id and client_secret in the body or with HTTP Basic." };
}
