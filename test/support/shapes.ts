/**
 * Shape checks for the objects the official SDKs parse (wire-spec §2.1, §2.3, §2.4, §3.4).
 * The Python SDK validates every response with pydantic, so each field it marks required must
 * be present with the right JSON type; strings are never null, arrays never null, and instants
 * are RFC 3339.
 */
import assert from "node:assert/strict";

type Kind = "string" | "boolean" | "number" | "object" | "array" | "timestamp" | "string[]";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function isRfc3339(value: unknown): boolean {
  return typeof value === "string" && RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

function kindProblem(path: string, value: unknown, kind: Kind): string | null {
  switch (kind) {
    case "string":
      return typeof value === "string" ? null : `${path} must be a string, got ${JSON.stringify(value)}`;
    case "boolean":
      return typeof value === "boolean" ? null : `${path} must be a boolean, got ${JSON.stringify(value)}`;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? null : `${path} must be a number, got ${JSON.stringify(value)}`;
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value) ? null : `${path} must be an object, got ${JSON.stringify(value)}`;
    case "array":
      return Array.isArray(value) ? null : `${path} must be an array, got ${JSON.stringify(value)}`;
    case "string[]":
      return Array.isArray(value) && value.every((item) => typeof item === "string")
        ? null
        : `${path} must be an array of strings, got ${JSON.stringify(value)}`;
    case "timestamp":
      return isRfc3339(value) ? null : `${path} must be an RFC 3339 timestamp, got ${JSON.stringify(value)}`;
  }
}

/** Required fields must be present with their kind; optional ones, when present and not null, too. */
function check(
  path: string,
  value: unknown,
  required: Record<string, Kind>,
  optional: Record<string, Kind> = {},
): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${path} must be an object`];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const [field, kind] of Object.entries(required)) {
    if (!(field in record)) problems.push(`${path}.${field} is missing`);
    else {
      const problem = kindProblem(`${path}.${field}`, record[field], kind);
      if (problem) problems.push(problem);
    }
  }
  for (const [field, kind] of Object.entries(optional)) {
    if (record[field] === undefined || record[field] === null) continue;
    const problem = kindProblem(`${path}.${field}`, record[field], kind);
    if (problem) problems.push(problem);
  }
  return problems;
}

function report(problems: string[], value: unknown): void {
  assert.deepEqual(problems, [], `shape problems:\n- ${problems.join("\n- ")}\nin ${JSON.stringify(value, null, 2)}`);
}

const ORGANIZATION_REQUIRED: Record<string, Kind> = {
  organization_id: "string",
  organization_name: "string",
  organization_logo_url: "string",
  organization_slug: "string",
  sso_jit_provisioning: "string",
  sso_jit_provisioning_allowed_connections: "string[]",
  sso_active_connections: "array",
  email_allowed_domains: "string[]",
  email_jit_provisioning: "string",
  email_invites: "string",
  auth_methods: "string",
  allowed_auth_methods: "string[]",
  mfa_policy: "string",
  rbac_email_implicit_role_assignments: "array",
  mfa_methods: "string",
  allowed_mfa_methods: "string[]",
  oauth_tenant_jit_provisioning: "string",
  claimed_email_domains: "string[]",
  first_party_connected_apps_allowed_type: "string",
  allowed_first_party_connected_apps: "string[]",
  third_party_connected_apps_allowed_type: "string",
  allowed_third_party_connected_apps: "string[]",
  custom_roles: "array",
};

const ORGANIZATION_OPTIONAL: Record<string, Kind> = {
  trusted_metadata: "object",
  created_at: "timestamp",
  updated_at: "timestamp",
  organization_external_id: "string",
  sso_default_connection_id: "string",
  scim_active_connection: "object",
  allowed_oauth_tenants: "object",
};

export function organizationShapeProblems(organization: unknown, path = "organization"): string[] {
  const problems = check(path, organization, ORGANIZATION_REQUIRED, ORGANIZATION_OPTIONAL);
  const record = organization as Record<string, unknown> | null;
  if (record && typeof record === "object") {
    for (const [field, allowed] of [
      ["sso_jit_provisioning", ["ALL_ALLOWED", "RESTRICTED", "NOT_ALLOWED"]],
      ["email_jit_provisioning", ["RESTRICTED", "NOT_ALLOWED"]],
      ["email_invites", ["ALL_ALLOWED", "RESTRICTED", "NOT_ALLOWED"]],
      ["auth_methods", ["ALL_ALLOWED", "RESTRICTED"]],
      ["mfa_policy", ["OPTIONAL", "REQUIRED_FOR_ALL"]],
      ["mfa_methods", ["ALL_ALLOWED", "RESTRICTED"]],
      ["oauth_tenant_jit_provisioning", ["RESTRICTED", "NOT_ALLOWED"]],
    ] as const) {
      if (!(allowed as readonly unknown[]).includes(record[field])) problems.push(`${path}.${field} has value ${JSON.stringify(record[field])}`);
    }
  }
  return problems;
}

const MEMBER_REQUIRED: Record<string, Kind> = {
  organization_id: "string",
  member_id: "string",
  email_address: "string",
  status: "string",
  name: "string",
  sso_registrations: "array",
  is_breakglass: "boolean",
  member_password_id: "string",
  oauth_registrations: "array",
  email_address_verified: "boolean",
  mfa_phone_number_verified: "boolean",
  is_admin: "boolean",
  totp_registration_id: "string",
  retired_email_addresses: "array",
  is_locked: "boolean",
  mfa_enrolled: "boolean",
  mfa_phone_number: "string",
  default_mfa_method: "string",
  roles: "array",
};

const MEMBER_OPTIONAL: Record<string, Kind> = {
  trusted_metadata: "object",
  untrusted_metadata: "object",
  created_at: "timestamp",
  updated_at: "timestamp",
  scim_registration: "object",
  external_id: "string",
  lock_created_at: "timestamp",
  lock_expires_at: "timestamp",
};

export function memberShapeProblems(member: unknown, path = "member"): string[] {
  const problems = check(path, member, MEMBER_REQUIRED, MEMBER_OPTIONAL);
  const record = member as Record<string, unknown> | null;
  if (record && typeof record === "object") {
    if (!["pending", "invited", "active", "deleted"].includes(record.status as string)) {
      problems.push(`${path}.status has value ${JSON.stringify(record.status)}`);
    }
    if (!["", "sms_otp", "totp"].includes(record.default_mfa_method as string)) {
      problems.push(`${path}.default_mfa_method has value ${JSON.stringify(record.default_mfa_method)}`);
    }
    if (Array.isArray(record.roles)) {
      record.roles.forEach((role, index) => {
        problems.push(...check(`${path}.roles[${index}]`, role, { role_id: "string", sources: "array" }));
        const sources = (role as { sources?: unknown })?.sources;
        if (Array.isArray(sources)) {
          sources.forEach((source, sourceIndex) => {
            problems.push(...check(`${path}.roles[${index}].sources[${sourceIndex}]`, source, { type: "string" }, { details: "object" }));
          });
        }
      });
    }
  }
  return problems;
}

/** Python's AuthenticationFactor enums (wire-spec §2.2). */
const FACTOR_TYPES = [
  "magic_link", "otp", "oauth", "webauthn", "totp", "crypto", "password", "signature_challenge", "sso", "imported",
  "recovery_codes", "email_otp", "impersonated", "trusted_auth_token",
];
const FACTOR_DELIVERY_METHODS = [
  "email", "sms", "whatsapp", "embedded", "oauth_google", "oauth_microsoft", "oauth_apple", "webauthn_registration",
  "authenticator_app", "oauth_github", "recovery_code", "oauth_facebook", "crypto_wallet", "oauth_amazon", "oauth_bitbucket",
  "oauth_coinbase", "oauth_discord", "oauth_figma", "oauth_gitlab", "oauth_instagram", "oauth_linkedin", "oauth_shopify",
  "oauth_slack", "oauth_snapchat", "oauth_spotify", "oauth_steam", "oauth_tiktok", "oauth_twitch", "oauth_twitter",
  "knowledge", "biometric", "sso_saml", "sso_oidc", "oauth_salesforce", "oauth_yahoo", "oauth_hubspot", "imported_auth0",
  "oauth_exchange_slack", "oauth_exchange_hubspot", "oauth_exchange_github", "oauth_exchange_google", "impersonation",
  "oauth_access_token_exchange", "trusted_token_exchange",
];

export function factorShapeProblems(factor: unknown, path = "factor"): string[] {
  const problems = check(path, factor, { type: "string", delivery_method: "string" }, {
    last_authenticated_at: "timestamp",
    created_at: "timestamp",
    updated_at: "timestamp",
  });
  const record = factor as Record<string, unknown> | null;
  if (record && typeof record === "object") {
    if (!FACTOR_TYPES.includes(record.type as string)) problems.push(`${path}.type has value ${JSON.stringify(record.type)}`);
    if (!FACTOR_DELIVERY_METHODS.includes(record.delivery_method as string)) {
      problems.push(`${path}.delivery_method has value ${JSON.stringify(record.delivery_method)}`);
    }
  }
  return problems;
}

const MEMBER_SESSION_REQUIRED: Record<string, Kind> = {
  member_session_id: "string",
  member_id: "string",
  started_at: "timestamp",
  last_accessed_at: "timestamp",
  expires_at: "timestamp",
  authentication_factors: "array",
  organization_id: "string",
  roles: "string[]",
  organization_slug: "string",
};

export function memberSessionShapeProblems(session: unknown, path = "member_session"): string[] {
  const problems = check(path, session, MEMBER_SESSION_REQUIRED, { custom_claims: "object" });
  const factors = (session as { authentication_factors?: unknown } | null)?.authentication_factors;
  if (Array.isArray(factors)) factors.forEach((factor, index) => problems.push(...factorShapeProblems(factor, `${path}.authentication_factors[${index}]`)));
  return problems;
}

const JWK_REQUIRED: Record<string, Kind> = {
  kty: "string",
  use: "string",
  key_ops: "string[]",
  alg: "string",
  kid: "string",
  x5c: "string[]",
  x5tS256: "string",
  n: "string",
  e: "string",
};

export function jwkShapeProblems(jwk: unknown, path = "jwk"): string[] {
  return check(path, jwk, JWK_REQUIRED);
}

/** `status_code` 200 and a `request_id` on every success body (wire-spec §1.4). */
function envelopeProblems(body: unknown): string[] {
  return check("response", body, { status_code: "number", request_id: "string" }).concat(
    (body as { status_code?: unknown })?.status_code === 200 ? [] : ["response.status_code must be 200"],
  );
}

export function assertOrganization(organization: unknown): void {
  report(organizationShapeProblems(organization), organization);
}

export function assertMember(member: unknown): void {
  report(memberShapeProblems(member), member);
}

export function assertMemberSession(session: unknown): void {
  report(memberSessionShapeProblems(session), session);
}

export function assertJwk(jwk: unknown): void {
  report(jwkShapeProblems(jwk), jwk);
}

/** Checks the envelope and, by field name, every Organization, Member and MemberSession in a response. */
export function assertResponseShape(body: unknown): void {
  const problems = envelopeProblems(body);
  const record = (body ?? {}) as Record<string, unknown>;
  if ("organization" in record) problems.push(...organizationShapeProblems(record.organization));
  if ("member" in record) problems.push(...memberShapeProblems(record.member));
  if ("member_session" in record) problems.push(...memberSessionShapeProblems(record.member_session));
  if ("member_id" in record && typeof record.member_id !== "string") problems.push("response.member_id must be a string");
  if ("session_token" in record && typeof record.session_token !== "string") problems.push("response.session_token must be a string");
  if ("session_jwt" in record && typeof record.session_jwt !== "string") problems.push("response.session_jwt must be a string");
  if (Array.isArray(record.organizations)) {
    record.organizations.forEach((organization, index) => problems.push(...organizationShapeProblems(organization, `organizations[${index}]`)));
  } else if (record.organizations && typeof record.organizations === "object") {
    for (const [id, organization] of Object.entries(record.organizations)) {
      problems.push(...organizationShapeProblems(organization, `organizations.${id}`));
    }
  }
  if (Array.isArray(record.members)) record.members.forEach((member, index) => problems.push(...memberShapeProblems(member, `members[${index}]`)));
  if (Array.isArray(record.member_sessions)) {
    record.member_sessions.forEach((session, index) => problems.push(...memberSessionShapeProblems(session, `member_sessions[${index}]`)));
  }
  if ("results_metadata" in record) {
    problems.push(...check("results_metadata", record.results_metadata, { total: "number" }, { next_cursor: "string" }));
  }
  if (Array.isArray(record.keys)) record.keys.forEach((key, index) => problems.push(...jwkShapeProblems(key, `keys[${index}]`)));
  report(problems, body);
}
