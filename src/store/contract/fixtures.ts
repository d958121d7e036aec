/**
 * @module Builders for the store contract: complete domain objects with unique ids, awkward
 * values (JSON with nesting, unicode, escapes and "\u0000"; bytes with zeros; millisecond
 * instants) so that round-trips are tested on values that break naive storage.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import type {
  AuthenticationFactor,
  IntermediateSession,
  Member,
  OneTimeSecret,
  Organization,
  OrganizationSettings,
  OutboxMessage,
  Project,
  RecoveryCode,
  SecurityEvent,
  Session,
  SigningKey,
  SigningKeyState,
  TotpRegistration,
} from "../../domain/types.js";
import { StoreConflict } from "../store.js";

/** 2026-01-15T10:00:00.123Z: a realistic instant with milliseconds that must survive storage. */
export const T0 = 1_768_471_200_123;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** A unique id with a readable prefix; unique across test files running in parallel. */
export function uid(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** JSON that breaks naive storage: nesting, unicode, escapes, NUL, numbers, nulls, key order. */
export function awkwardJson(): Record<string, unknown> {
  return {
    zeta: "last key first",
    alpha: { nested: { deeper: [1, 2.5, -3, 1e21, 0.1, true, false, null] } },
    unicode: "Zoë Ünïcødé — 東京 🚀",
    escapes: "quote \" backslash \\ newline \n tab \t",
    nul: "before\u0000after",
    empty_object: {},
    empty_array: [],
    "key with spaces": "value",
    big: Number.MAX_SAFE_INTEGER,
  };
}

export function project(overrides: Partial<Project> = {}): Project {
  // Bytes with zeros and high bits, so text conversion anywhere would corrupt them.
  const secretHash = Buffer.concat([Buffer.from([0x00, 0xff, 0x00, 0x80]), randomBytes(28)]);
  return { projectId: uid("project-test"), environment: "test", name: "Contract project", secretHash, createdAt: T0, ...overrides };
}

export function settings(overrides: Partial<OrganizationSettings> = {}): OrganizationSettings {
  return {
    sso_jit_provisioning: "RESTRICTED",
    sso_jit_provisioning_allowed_connections: ["saml-connection-test-1", "oidc-connection-test-2"],
    sso_default_connection_id: null,
    email_allowed_domains: ["example.com", "example.org"],
    email_jit_provisioning: "RESTRICTED",
    email_invites: "ALL_ALLOWED",
    auth_methods: "RESTRICTED",
    allowed_auth_methods: ["magic_link", "password", "google_oauth"],
    mfa_policy: "REQUIRED_FOR_ALL",
    mfa_methods: "RESTRICTED",
    allowed_mfa_methods: ["totp"],
    rbac_email_implicit_role_assignments: [{ role_id: "editor", domain: "example.com" }],
    oauth_tenant_jit_provisioning: "RESTRICTED",
    allowed_oauth_tenants: { slack: ["T0123"], hubspot: [] },
    claimed_email_domains: ["example.com"],
    first_party_connected_apps_allowed_type: "RESTRICTED",
    allowed_first_party_connected_apps: ["app-1"],
    third_party_connected_apps_allowed_type: "NOT_ALLOWED",
    allowed_third_party_connected_apps: [],
    ...overrides,
  };
}

export function organization(projectId: string, overrides: Partial<Organization> = {}): Organization {
  const id = uid("organization-test");
  return {
    projectId,
    organizationId: id,
    name: "Acme Corp",
    slug: `acme-${id.slice(-12)}`,
    logoUrl: "https://example.com/logo.png",
    externalId: null,
    trustedMetadata: awkwardJson(),
    settings: settings(),
    createdAt: T0,
    updatedAt: T0 + 1,
    ...overrides,
  };
}

export function member(org: Organization, overrides: Partial<Member> = {}): Member {
  const id = uid("member-test");
  return {
    projectId: org.projectId,
    organizationId: org.organizationId,
    memberId: id,
    emailId: uid("email-test"),
    emailAddress: `Person.${id.slice(-12)}@Example.com`,
    emailAddressVerified: true,
    status: "active",
    name: "Ada Lovelace",
    externalId: null,
    trustedMetadata: awkwardJson(),
    untrustedMetadata: { theme: "dark", list: [1, "two", { three: 3 }] },
    isBreakglass: false,
    mfaEnrolled: true,
    mfaPhoneNumber: "+15555550123",
    mfaPhoneNumberVerified: true,
    defaultMfaMethod: "totp",
    totpRegistrationId: uid("totp-test"),
    memberPasswordId: uid("member-password-test"),
    roleIds: ["editor", "billing:read"],
    createdAt: T0,
    updatedAt: T0 + 7,
    ...overrides,
  };
}

export function session(owner: Member, overrides: Partial<Session> = {}): Session {
  return {
    projectId: owner.projectId,
    sessionId: uid("session-test"),
    organizationId: owner.organizationId,
    memberId: owner.memberId,
    startedAt: T0,
    lastAccessedAt: T0,
    expiresAt: T0 + HOUR,
    revokedAt: null,
    factors: [
      {
        type: "magic_link",
        delivery_method: "email",
        last_authenticated_at: "2026-01-15T10:00:00Z",
        email_factor: { email_id: owner.emailId, email_address: owner.emailAddress },
      },
    ],
    customClaims: { tier: "gold", nested: { flags: [true, false] }, nul: "a\u0000b" },
    roles: ["stytch_member", ...owner.roleIds],
    ...overrides,
  };
}

/** A fresh random token hash (32 bytes, like SHA-256). */
export function tokenHash(): Buffer {
  return Buffer.concat([Buffer.from([0x00]), randomBytes(31)]);
}

export function signingKey(projectId: string, state: SigningKeyState, overrides: Partial<SigningKey> = {}): SigningKey {
  const kid = uid("jwk-test");
  return {
    projectId,
    kid,
    state,
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${randomBytes(48).toString("base64")}\n-----END PRIVATE KEY-----\n`,
    certificateDer: randomBytes(64).toString("base64"),
    createdAt: T0,
    activatedAt: state === "next" ? null : T0,
    retiredAt: state === "retired" ? T0 : null,
    ...overrides,
  };
}

/** A factor as sessions and intermediate sessions carry them. */
export function factor(owner: Member, type = "magic_link", at = "2026-01-15T10:00:00Z"): AuthenticationFactor {
  return {
    type,
    delivery_method: "email",
    last_authenticated_at: at,
    email_factor: { email_id: owner.emailId, email_address: owner.emailAddress },
  };
}

/** An intermediate session of `owner`, or with `owner` null a discovery session bound only to an email. */
export function intermediateSession(owner: Member | null, overrides: Partial<IntermediateSession> = {}): IntermediateSession {
  return {
    projectId: owner?.projectId ?? uid("project-test"),
    intermediateSessionId: uid("intermediate-session-test"),
    organizationId: owner?.organizationId ?? null,
    memberId: owner?.memberId ?? null,
    emailAddress: owner?.emailAddress ?? `Discovery.${randomUUID().slice(-12)}@Example.com`,
    factors: owner ? [factor(owner)] : [],
    createdAt: T0,
    expiresAt: T0 + 10 * MINUTE,
    consumedAt: null,
    ...overrides,
  };
}

export function oneTimeSecret(projectId: string, overrides: Partial<OneTimeSecret> = {}): OneTimeSecret {
  return {
    projectId,
    secretId: uid("secret-test"),
    purpose: "email_otp",
    subject: uid("subject"),
    secretHash: tokenHash(),
    organizationId: uid("organization-test"),
    memberId: uid("member-test"),
    details: { redirect: "https://example.com/cb?a=1&b=2", locale: "pt-br", nested: { nul: "x\u0000y", list: [1, null] } },
    attempts: 0,
    maxAttempts: 5,
    createdAt: T0,
    expiresAt: T0 + 10 * MINUTE,
    consumedAt: null,
    ...overrides,
  };
}

export function outboxMessage(projectId: string, overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    projectId,
    messageId: uid("message-test"),
    channel: "email",
    recipient: `Recipient.${randomUUID().slice(-12)}@Example.com`,
    subject: "Your login link — ünïcødé",
    body: "sealed:text-body",
    htmlBody: "sealed:html-body",
    locale: "en",
    magicLinksToken: "token-abc",
    code: "123456",
    status: "pending",
    attempts: 0,
    nextAttemptAt: T0,
    lastError: "",
    createdAt: T0,
    deliveredAt: null,
    ...overrides,
  };
}

export function totpRegistration(owner: Member, overrides: Partial<TotpRegistration> = {}): TotpRegistration {
  return {
    projectId: owner.projectId,
    totpRegistrationId: uid("totp-test"),
    memberId: owner.memberId,
    sealedSecret: `sealed:${randomBytes(20).toString("base64")}`,
    verified: false,
    lastUsedStep: 0,
    createdAt: T0,
    expiresAt: T0 + 10 * MINUTE,
    ...overrides,
  };
}

export function recoveryCodes(registration: TotpRegistration, count = 3): RecoveryCode[] {
  return Array.from({ length: count }, (_, index) => ({
    projectId: registration.projectId,
    recoveryCodeId: `${registration.totpRegistrationId}-code-${index}`,
    totpRegistrationId: registration.totpRegistrationId,
    memberId: registration.memberId,
    codeHash: tokenHash(),
    sealedCode: `sealed:${randomBytes(16).toString("base64")}`,
    consumedAt: null,
  }));
}

export function securityEvent(projectId: string, overrides: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    eventId: uid("event-test"),
    projectId,
    requestId: uid("request-test"),
    kind: "authentication",
    outcome: "session",
    reason: "",
    route: "/v1/b2b/magic_links/authenticate",
    organizationId: uid("organization-test"),
    memberId: uid("member-test"),
    sessionIdHash: randomBytes(16).toString("hex"),
    ipAddress: "2001:db8::7",
    userAgent: "Mozilla/5.0 (Macintosh) — ünïcødé",
    createdAt: T0,
    ...overrides,
  };
}

/** Asserts that `promise` rejects with a StoreConflict naming `constraint`. */
export async function rejectsWithConflict(promise: Promise<unknown>, constraint: StoreConflict["constraint"]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreConflict, `expected StoreConflict, got ${String(error)}`);
    assert.equal(error.constraint, constraint);
    return true;
  });
}

/** Asserts the same keys in the same order, recursively (deepStrictEqual ignores key order). */
export function assertSameKeyOrder(actual: unknown, expected: unknown, path = "$"): void {
  if (expected === null || typeof expected !== "object") return;
  assert.ok(actual !== null && typeof actual === "object", `${path} is not an object`);
  if (Array.isArray(expected)) {
    expected.forEach((item, index) => assertSameKeyOrder((actual as unknown[])[index], item, `${path}[${index}]`));
    return;
  }
  assert.deepEqual(Object.keys(actual as object), Object.keys(expected), `key order differs at ${path}`);
  for (const [key, value] of Object.entries(expected)) assertSameKeyOrder((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
}

/** Settles every promise and splits the outcomes. */
export async function settle<T>(promises: Promise<T>[]): Promise<{ values: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    values: results.filter((result): result is PromiseFulfilledResult<Awaited<T>> => result.status === "fulfilled").map((result) => result.value as T),
    errors: results.filter((result): result is PromiseRejectedResult => result.status === "rejected").map((result) => result.reason),
  };
}
