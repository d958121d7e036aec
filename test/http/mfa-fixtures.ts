/**
 * Fixtures for the MFA tests: organizations and members made through the official SDK, a
 * primary login simulated through the service layer (`authentication.conclude` with a magic-link
 * factor — the magic-link endpoint is another feature), passcodes read from the test outbox over
 * HTTP, and TOTP codes computed from a returned secret.
 */
import assert from "node:assert/strict";
import { rfc3339 } from "../../src/domain/time.js";
import type { AuthenticationFactor } from "../../src/domain/types.js";
import { base32Decode, totp } from "../../src/crypto/totp.js";
import type { AuthenticationResult } from "../../src/services/authentication.js";
import type { Harness } from "../support/harness.js";

let counter = 0;
/** A fresh US test number per call (555-01xx range is reserved for fiction). */
export function newPhoneNumber(): string {
  counter += 1;
  return `+1415555${String(1000 + (counter % 9000)).padStart(4, "0")}`;
}

export async function createOrganization(
  h: Harness,
  settings: Record<string, unknown> = { mfa_policy: "REQUIRED_FOR_ALL" },
): Promise<string> {
  counter += 1;
  const created = await h.client.organizations.create({
    organization_name: `MFA Org ${counter}`,
    organization_slug: `mfa-org-${counter}-${Date.now().toString(36)}`,
    ...settings,
  } as Parameters<Harness["client"]["organizations"]["create"]>[0]);
  return created.organization.organization_id;
}

export async function createMember(
  h: Harness,
  organizationId: string,
  options: { phone?: string; mfaEnrolled?: boolean; pending?: boolean } = {},
): Promise<string> {
  counter += 1;
  const created = await h.client.organizations.members.create({
    organization_id: organizationId,
    email_address: `member${counter}@mfa.example.com`,
    ...(options.phone ? { mfa_phone_number: options.phone } : {}),
    ...(options.mfaEnrolled !== undefined ? { mfa_enrolled: options.mfaEnrolled } : {}),
    ...(options.pending ? { create_member_as_pending: true } : {}),
  });
  return created.member_id;
}

/** A primary login with an email magic link, concluded in the service layer (as magic-link authenticate will). */
export async function magicLinkLogin(h: Harness, organizationId: string, memberId: string): Promise<AuthenticationResult> {
  const { organizations, members, authentication } = h.app.services;
  const organization = await organizations.get(h.project, organizationId);
  const member = await members.get(h.project, organization, memberId);
  const factor: AuthenticationFactor = {
    type: "magic_link",
    delivery_method: "email",
    last_authenticated_at: rfc3339(h.clock.now()),
    email_factor: { email_id: member.emailId, email_address: member.emailAddress },
  };
  return authentication.conclude({
    project: h.project,
    organization,
    member: { ...member, emailAddressVerified: true },
    memberBefore: member,
    newFactors: [factor],
    locale: "en",
  });
}

/** The login's intermediate session token, asserting that MFA (and only MFA) is what is left. */
export async function loginNeedingMfa(h: Harness, organizationId: string, memberId: string): Promise<{ ist: string; result: AuthenticationResult }> {
  const result = await magicLinkLogin(h, organizationId, memberId);
  assert.equal(result.memberAuthenticated, false);
  assert.notEqual(result.mfaRequired, null);
  assert.equal(result.primaryRequired, null);
  assert.notEqual(result.intermediateSessionToken, "");
  return { ist: result.intermediateSessionToken, result };
}

/** The messages the test outbox holds for `to`, newest first, read over HTTP. */
export async function outbox(h: Harness, to: string): Promise<any[]> {
  const response = await h.request("GET", `/v1/test/outbox?to=${encodeURIComponent(to)}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.messages;
}

/** The newest passcode texted to `phone`. */
export async function latestSmsCode(h: Harness, phone: string): Promise<string> {
  const [message] = await outbox(h, phone);
  assert.ok(message, `no SMS to ${phone}`);
  assert.equal(message.channel, "sms");
  assert.match(message.code, /^\d{6}$/);
  assert.ok(message.body.includes(message.code), "the body carries the code");
  return message.code;
}

/** The TOTP code for `secret` at the harness clock, optionally `stepOffset` steps away. */
export function totpCode(h: Harness, secret: string, stepOffset = 0): string {
  return totp(base32Decode(secret), Math.floor(h.clock.now() / 1000) + stepOffset * 30);
}

/** Runs `call` and returns the Stytch error it must fail with (the SDK's StytchError carries the body fields). */
export async function expectSdkError(call: Promise<unknown>, status: number, errorType: string): Promise<any> {
  try {
    await call;
  } catch (error: any) {
    assert.equal(error?.error_type, errorType, `expected ${errorType}, got ${error?.error_type ?? error}: ${error?.message}`);
    assert.equal(error?.status_code, status, `status of ${errorType}`);
    return error;
  }
  assert.fail(`expected ${status} ${errorType}, but the call succeeded`);
}
