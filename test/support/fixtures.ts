/**
 * Small builders shared by the HTTP tests: organizations and members through the SDK, sessions
 * through the service layer (logins do not exist yet), JWT decoding and forging, and an
 * assertion for the SDK's `StytchError`.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { StytchError } from "stytch";
import type { AuthenticationFactor, Member, Organization } from "../../src/domain/types.js";
import type { AuthenticatedSession } from "../../src/services/sessions.js";
import type { Harness } from "./harness.js";

type SdkClient = Harness["client"];

let counter = 0;
/** A short unique suffix for slugs, names and emails. */
export function unique(prefix = "t"): string {
  counter += 1;
  return `${prefix}-${counter}-${randomUUID().slice(0, 8)}`;
}

export async function createOrganization(client: SdkClient, fields: Record<string, unknown> = {}): Promise<any> {
  const slug = unique("org");
  const response = await client.organizations.create({ organization_name: `Org ${slug}`, organization_slug: slug, ...fields } as any);
  return response.organization;
}

export async function createMember(client: SdkClient, organizationId: string, fields: Record<string, unknown> = {}): Promise<any> {
  const response = await client.organizations.members.create({
    organization_id: organizationId,
    email_address: `${unique("user")}@example.com`,
    ...fields,
  } as any);
  return response.member;
}

export function magicLinkFactor(member: { emailId?: string; emailAddress?: string }, at: Date): AuthenticationFactor {
  return {
    type: "magic_link",
    delivery_method: "email",
    last_authenticated_at: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
    email_factor: { email_id: member.emailId ?? "", email_address: member.emailAddress ?? "" },
  };
}

/** Starts a session through the service layer for a member created over HTTP. */
export async function startSession(
  h: Harness,
  organizationId: string,
  memberId: string,
  options: { durationMinutes?: number; customClaims?: Record<string, unknown> } = {},
  project = h.project,
): Promise<AuthenticatedSession> {
  const { organizations, members, sessions } = h.app.services;
  const organization: Organization = await organizations.get(project, organizationId);
  const member: Member = await members.get(project, organization, memberId);
  const factors = [magicLinkFactor(member, new Date(h.clock.now()))];
  return sessions.start(project, organization, member, factors, options);
}

/** An organization, a member in it and a live session of that member. */
export async function organizationMemberSession(
  h: Harness,
  options: { durationMinutes?: number; customClaims?: Record<string, unknown> } = {},
): Promise<{ organization: any; member: any; session: AuthenticatedSession }> {
  const organization = await createOrganization(h.client);
  const member = await createMember(h.client, organization.organization_id);
  const session = await startSession(h, organization.organization_id, member.member_id, options);
  return { organization, member, session };
}

export interface DecodedJwt {
  header: Record<string, any>;
  payload: Record<string, any>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(jwt: string): DecodedJwt {
  const [header = "", payload = "", signature = ""] = jwt.split(".");
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(payload, "base64url").toString("utf8")),
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, "base64url"),
  };
}

/** Signs `payload` under `header` with an RSA private key, RS256. */
export function signRs256(header: Record<string, unknown>, payload: Record<string, unknown>, privateKey: KeyObject): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

let foreignKey: KeyObject | undefined;
/** An RSA-2048 private key that no Tessera project publishes. */
export function foreignPrivateKey(): KeyObject {
  foreignKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  return foreignKey;
}

/** The same header and claims as `jwt`, re-signed with a key that is not in any JWKS. */
export function forgeWithForeignKey(jwt: string, change: (decoded: DecodedJwt) => void = () => {}): string {
  const decoded = decodeJwt(jwt);
  change(decoded);
  return signRs256(decoded.header, decoded.payload, foreignPrivateKey());
}

/** Awaits `promise`, which must reject with a `StytchError` of this status and type. */
export async function expectSdkError(promise: Promise<unknown>, status: number, errorType: string): Promise<StytchError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof StytchError, `expected a StytchError, got ${String(error)}`);
    assert.equal(error.error_type, errorType, `error_type of ${error.message}`);
    assert.equal(error.status_code, status, `status_code of ${error.message}`);
    assert.equal(typeof error.request_id, "string");
    assert.equal(typeof error.error_message, "string");
    assert.equal(typeof error.error_url, "string");
    return error;
  }
  assert.fail(`expected a StytchError ${status} ${errorType}, but the call succeeded`);
}
