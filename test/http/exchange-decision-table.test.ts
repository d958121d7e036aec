/**
 * Every row of the exchange decision: origin factors (including whether an SMS factor's phone
 * matches) × the target's auth policy × its MFA policy × the target member's status. The
 * expected outcome comes from an oracle written here from the rules in docs/session-exchange.md,
 * independently of the implementation.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthenticationFactor, Member, MemberStatus, Organization } from "../../src/domain/types.js";
import { startHarness, type Harness } from "../support/harness.js";

const AT = "2026-01-15T09:00:00Z";
// Each row gets its own numbers, so per-phone SMS send limits never mix rows up.
const phonesOf = (row: number) => ({ origin: `+1415${String(5000000 + row * 2)}`, other: `+1415${String(5000001 + row * 2)}` });

type FactorSet = {
  name: string;
  factors: (origin: Member) => AuthenticationFactor[];
  /** The target member's phone (the origin's or another) and whether it is verified. */
  targetPhone: { number: "origin" | "other"; verified: boolean } | null;
  /** What the oracle expects to carry. */
  carriesPrimary: "magic_link" | "email_otp" | null;
  carriesSms: boolean;
};

const email = (type: "magic_link" | "email_otp") => (origin: Member): AuthenticationFactor => ({
  type,
  delivery_method: "email",
  last_authenticated_at: AT,
  email_factor: { email_id: origin.emailId, email_address: origin.emailAddress },
});
const sms = (origin: Member): AuthenticationFactor => ({
  type: "otp",
  delivery_method: "sms",
  last_authenticated_at: AT,
  phone_number_factor: { phone_id: "phone-1", phone_number: origin.mfaPhoneNumber },
});
const totp: AuthenticationFactor = { type: "totp", delivery_method: "authenticator_app", last_authenticated_at: AT, authenticator_app_factor: { totp_id: "t" } };
const password: AuthenticationFactor = { type: "password", delivery_method: "knowledge", last_authenticated_at: AT };

const FACTOR_SETS: FactorSet[] = [
  { name: "magic link", factors: (o) => [email("magic_link")(o)], targetPhone: null, carriesPrimary: "magic_link", carriesSms: false },
  { name: "email OTP", factors: (o) => [email("email_otp")(o)], targetPhone: null, carriesPrimary: "email_otp", carriesSms: false },
  { name: "password", factors: () => [password], targetPhone: null, carriesPrimary: null, carriesSms: false },
  { name: "magic link + TOTP", factors: (o) => [email("magic_link")(o), totp], targetPhone: null, carriesPrimary: "magic_link", carriesSms: false },
  {
    name: "magic link + SMS, same verified phone",
    factors: (o) => [email("magic_link")(o), sms(o)],
    targetPhone: { number: "origin", verified: true },
    carriesPrimary: "magic_link",
    carriesSms: true,
  },
  {
    name: "magic link + SMS, same phone unverified in the target",
    factors: (o) => [email("magic_link")(o), sms(o)],
    targetPhone: { number: "origin", verified: false },
    carriesPrimary: "magic_link",
    carriesSms: false,
  },
  {
    name: "magic link + SMS, another phone in the target",
    factors: (o) => [email("magic_link")(o), sms(o)],
    targetPhone: { number: "other", verified: true },
    carriesPrimary: "magic_link",
    carriesSms: false,
  },
  { name: "password + SMS, same verified phone", factors: (o) => [password, sms(o)], targetPhone: { number: "origin", verified: true }, carriesPrimary: null, carriesSms: true },
];

const AUTH_POLICIES: { name: string; settings: Record<string, unknown>; allowed: string[] | null }[] = [
  { name: "all methods", settings: {}, allowed: null },
  { name: "restricted to magic links", settings: { auth_methods: "RESTRICTED", allowed_auth_methods: ["magic_link"] }, allowed: ["magic_link"] },
  { name: "restricted to password and SSO", settings: { auth_methods: "RESTRICTED", allowed_auth_methods: ["password", "sso"] }, allowed: ["password", "sso"] },
];
const MFA_POLICIES = ["OPTIONAL", "REQUIRED_FOR_ALL"] as const;
const STATUSES: MemberStatus[] = ["active", "invited", "pending"];

interface Expected {
  authenticated: boolean;
  primaryRequired: string[] | null;
  mfaRequired: boolean;
  smsSent: boolean;
}

function oracle(set: FactorSet, policy: (typeof AUTH_POLICIES)[number], mfa: (typeof MFA_POLICIES)[number]): Expected {
  const primaryOk = set.carriesPrimary !== null && (policy.allowed === null || policy.allowed.includes(set.carriesPrimary));
  const mfaOutstanding = mfa === "REQUIRED_FOR_ALL" && !set.carriesSms;
  return {
    authenticated: primaryOk && !mfaOutstanding,
    primaryRequired: primaryOk ? null : (policy.allowed ?? []),
    mfaRequired: mfaOutstanding,
    smsSent: primaryOk && mfaOutstanding && set.targetPhone !== null,
  };
}

describe("session exchange decision table", () => {
  let h: Harness;
  let origin: Organization;
  let row = 0;

  before(async () => {
    h = await startHarness();
    origin = await h.app.services.organizations.create(h.project, { organization_name: "Origin" });
  });
  after(() => h.close());

  for (const set of FACTOR_SETS) {
    for (const policy of AUTH_POLICIES) {
      for (const mfa of MFA_POLICIES) {
        for (const status of STATUSES) {
          const expected = oracle(set, policy, mfa);
          const verdict = expected.authenticated
            ? "a session"
            : `step-up (primary ${JSON.stringify(expected.primaryRequired)}, mfa ${expected.mfaRequired}, sms ${expected.smsSent})`;
          it(`${set.name} → ${policy.name}, MFA ${mfa}, ${status} member: ${verdict}`, async () => {
            const { store } = h.app.services.context;
            const phones = phonesOf(row);
            const address = `person${row++}@example.com`;
            const originMember = (await h.app.services.members.create(h.project, origin.organizationId, { email_address: address })).member;
            await store.updateMember({ ...originMember, mfaPhoneNumber: phones.origin, mfaPhoneNumberVerified: true });
            const target = await h.app.services.organizations.create(h.project, {
              organization_name: `Target ${row}`,
              mfa_policy: mfa,
              ...policy.settings,
            });
            const created = (await h.app.services.members.create(h.project, target.organizationId, { email_address: address })).member;
            await store.updateMember({
              ...created,
              status,
              mfaPhoneNumber: set.targetPhone ? phones[set.targetPhone.number] : "",
              mfaPhoneNumberVerified: set.targetPhone?.verified ?? false,
            });
            const refreshedOrigin = (await store.findMemberById(h.project.projectId, originMember.memberId))!;
            const session = await h.app.services.sessions.start(h.project, origin, refreshedOrigin, set.factors(refreshedOrigin));

            const response = await h.request("POST", "/v1/b2b/sessions/exchange", {
              organization_id: target.organizationId,
              session_token: session.sessionToken,
            });
            assert.equal(response.status, 200, JSON.stringify(response.body));
            const body = response.body;
            assert.equal(body.member_authenticated, expected.authenticated);
            const member = (await store.findMemberById(h.project.projectId, created.memberId))!;
            const membersInTarget = await store.findMembersByEmail(h.project.projectId, address);
            assert.equal(membersInTarget.filter((m) => m.organizationId === target.organizationId).length, 1, "exchange never creates a member");
            if (expected.authenticated) {
              assert.notEqual(body.member_session, null);
              assert.notEqual(body.session_token, "");
              assert.equal(body.intermediate_session_token, "");
              assert.equal(member.status, "active");
              const types = body.member_session.authentication_factors.map((factor: AuthenticationFactor) => factor.type).sort();
              const expectedTypes = [set.carriesPrimary, set.carriesSms ? "otp" : null].filter((type) => type !== null).sort();
              assert.deepEqual(types, expectedTypes, "only transferable factors carry");
            } else {
              assert.equal(body.member_session, null);
              assert.equal(body.session_token, "");
              assert.equal(body.session_jwt, "");
              assert.notEqual(body.intermediate_session_token, "");
              assert.deepEqual(body.primary_required, expected.primaryRequired === null ? null : { allowed_auth_methods: expected.primaryRequired });
              assert.equal(body.mfa_required !== null, expected.mfaRequired);
              if (expected.mfaRequired) assert.equal(body.mfa_required.secondary_auth_initiated, expected.smsSent ? "sms_otp" : null);
              assert.equal(member.status, status, "a step-up does not activate the member");
            }
          });
        }
      }
    }
  }
});
