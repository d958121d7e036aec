import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthenticationFactor, Member, Organization } from "../../src/domain/types.js";
import { expectStytchError, FakeClock, startHarness, type Harness } from "../support/harness.js";

const EMAIL = "ada@example.com";
const PHONE = "+14155550123";

function magicLinkFactor(member: Member, at: string): AuthenticationFactor {
  return {
    type: "magic_link",
    delivery_method: "email",
    last_authenticated_at: at,
    email_factor: { email_id: member.emailId, email_address: member.emailAddress },
  };
}
const passwordFactor = (at: string): AuthenticationFactor => ({ type: "password", delivery_method: "knowledge", last_authenticated_at: at });

describe("POST /v1/b2b/sessions/exchange", () => {
  const clock = new FakeClock();
  let h: Harness;
  let orgA: Organization;
  let orgB: Organization;
  let memberA: Member;
  let memberB: Member;

  /** A session for `member` started through the service layer with `factors`. */
  async function sessionFor(member: Member, organization: Organization, factors: AuthenticationFactor[]) {
    return h.app.services.sessions.start(h.project, organization, member, factors, {});
  }

  async function createOrganization(name: string, extra: Record<string, unknown> = {}): Promise<Organization> {
    return h.app.services.organizations.create(h.project, { organization_name: name, ...extra });
  }

  async function createMember(organization: Organization, email: string, extra: Record<string, unknown> = {}): Promise<Member> {
    return (await h.app.services.members.create(h.project, organization.organizationId, { email_address: email, ...extra })).member;
  }

  before(async () => {
    h = await startHarness({ clock });
    orgA = await createOrganization("Org A", { organization_slug: "org-a" });
    orgB = await createOrganization("Org B", { organization_slug: "org-b", organization_external_id: "ext-b" });
    memberA = await createMember(orgA, EMAIL);
    memberB = await createMember(orgB, "ADA@example.com");
  });
  after(() => h.close());

  for (const [label, ref] of [
    ["id", () => orgB.organizationId],
    ["slug", () => "org-b"],
    ["external id", () => "ext-b"],
  ] as const) {
    it(`carries a magic-link session into another organization named by its ${label}`, async () => {
      const factorAt = "2026-01-15T09:30:00Z";
      const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, factorAt)]);
      const response = await h.client.sessions.exchange({
        organization_id: ref(),
        session_token: origin.sessionToken,
        session_duration_minutes: 120,
        session_custom_claims: { team: "blue", nested: { a: 1 } },
      });
      assert.equal(response.member_authenticated, true);
      assert.equal(response.intermediate_session_token, "");
      assert.equal(response.mfa_required, null);
      assert.equal(response.primary_required, null);
      assert.equal(response.member_id, memberB.memberId);
      assert.equal(response.organization.organization_id, orgB.organizationId);
      const session = response.member_session!;
      assert.notEqual(session.member_session_id, origin.session.sessionId);
      assert.equal(session.organization_id, orgB.organizationId);
      assert.equal(Date.parse(session.expires_at) - clock.now(), 120 * 60_000);
      assert.deepEqual(session.authentication_factors, [
        {
          type: "magic_link",
          delivery_method: "email",
          last_authenticated_at: factorAt,
          email_factor: { email_id: memberB.emailId, email_address: memberB.emailAddress },
        },
      ]);

      const authenticated = await h.client.sessions.authenticate({ session_token: response.session_token });
      assert.equal(authenticated.member_session.member_session_id, session.member_session_id);

      const local = await h.client.sessions.authenticateJwtLocal({ session_jwt: response.session_jwt, current_date: new Date(clock.now()) });
      assert.equal(local.organization_id, orgB.organizationId);
      assert.equal(local.organization_slug, "org-b");
      assert.equal(local.authentication_factors[0]?.type, "magic_link");
      assert.deepEqual(local.custom_claims, { team: "blue", nested: { a: 1 } });

      // The origin session stays valid (documented choice).
      const stillThere = await h.client.sessions.authenticate({ session_token: origin.sessionToken });
      assert.equal(stillThere.member_session.organization_id, orgA.organizationId);
    });
  }

  it("accepts the origin session by JWT, even past the JWT's five minutes", async () => {
    const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
    clock.advanceMinutes(10);
    const response = await h.client.sessions.exchange({ organization_id: orgB.organizationId, session_jwt: origin.sessionJwt });
    assert.equal(response.member_authenticated, true);
  });

  it("steps a password-only session up with primary_required and an intermediate session token", async () => {
    const origin = await sessionFor(memberA, orgA, [passwordFactor("2026-01-15T09:30:00Z")]);
    const response = await h.client.sessions.exchange({
      organization_id: orgB.organizationId,
      session_token: origin.sessionToken,
      session_custom_claims: { ignored: true },
    });
    assert.equal(response.member_authenticated, false);
    assert.equal(response.member_session, null);
    assert.equal(response.session_token, "");
    assert.equal(response.session_jwt, "");
    assert.match(response.intermediate_session_token, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(response.primary_required, { allowed_auth_methods: [] });
    assert.equal(response.mfa_required, null);
    assert.equal(response.member.member_id, memberB.memberId);
    assert.equal(response.organization.organization_id, orgB.organizationId);
  });

  it("asks a RESTRICTED organization's allowed methods of a session whose factor it does not accept", async () => {
    const orgC = await createOrganization("Org C", { auth_methods: "RESTRICTED", allowed_auth_methods: ["sso", "password"] });
    await createMember(orgC, EMAIL);
    const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
    const response = await h.client.sessions.exchange({ organization_id: orgC.organizationId, session_token: origin.sessionToken });
    assert.equal(response.member_authenticated, false);
    assert.deepEqual(response.primary_required, { allowed_auth_methods: ["sso", "password"] });
  });

  it("pre-sends an SMS passcode in the requested language when only MFA is left", async () => {
    const orgM = await createOrganization("Org MFA", { mfa_policy: "REQUIRED_FOR_ALL" });
    await createMember(orgM, EMAIL, { mfa_phone_number: PHONE });
    const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
    const response = await h.client.sessions.exchange({ organization_id: orgM.organizationId, session_token: origin.sessionToken, locale: "es" });
    assert.equal(response.member_authenticated, false);
    assert.equal(response.primary_required, null);
    assert.deepEqual(response.mfa_required, {
      member_options: { mfa_phone_number: "XXXXXXXX0123", totp_registration_id: "" },
      secondary_auth_initiated: "sms_otp",
    });
    const outbox = await h.request("GET", `/v1/test/outbox?to=${encodeURIComponent(PHONE)}`);
    assert.equal(outbox.status, 200);
    const [message] = outbox.body.messages;
    assert.equal(message.channel, "sms");
    assert.equal(message.locale, "es");
    assert.match(message.code, /^\d{6}$/);
    assert.ok(message.body.includes(message.code));
    assert.match(message.body, /código/);

    // Finishing the step-up: the intermediate session token and the code give a session in B.
    const finished = await h.client.otps.sms.authenticate({
      organization_id: orgM.organizationId,
      member_id: response.member_id,
      code: message.code,
      intermediate_session_token: response.intermediate_session_token,
      session_duration_minutes: 30,
    });
    assert.equal(finished.member_session?.organization_id, orgM.organizationId);
    const factorTypes = finished.member_session?.authentication_factors.map((factor) => factor.type).sort();
    assert.deepEqual(factorTypes, ["magic_link", "otp"]);
    const local = await h.client.sessions.authenticateJwtLocal({ session_jwt: finished.session_jwt, current_date: new Date(clock.now()) });
    assert.equal(local.organization_id, orgM.organizationId);
    // The intermediate session token was consumed.
    const again = await h.request("POST", "/v1/b2b/otps/sms/authenticate", {
      organization_id: orgM.organizationId,
      member_id: response.member_id,
      code: message.code,
      intermediate_session_token: response.intermediate_session_token,
    });
    assert.equal(again.status >= 400 && again.status < 500, true);
  });

  it("accepts an invitation by entering: the invited member becomes active", async () => {
    const orgI = await createOrganization("Org Invite");
    const invited = await createMember(orgI, EMAIL);
    await h.app.services.context.store.updateMember({ ...invited, status: "invited" });
    const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
    const response = await h.client.sessions.exchange({ organization_id: orgI.organizationId, session_token: origin.sessionToken });
    assert.equal(response.member_authenticated, true);
    assert.equal(response.member.status, "active");
    const stored = await h.app.services.context.store.findMemberById(h.project.projectId, invited.memberId);
    assert.equal(stored?.status, "active");
  });

  it("refuses an organization where the person has no membership, and creates no member", async () => {
    const orgN = await createOrganization("Org None", { email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["example.com"] });
    const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
    const response = await h.request("POST", "/v1/b2b/sessions/exchange", {
      organization_id: orgN.organizationId,
      session_token: origin.sessionToken,
    });
    expectStytchError(response.body, 404, "member_not_found");
    assert.equal(JSON.stringify(response.body).includes(orgN.organizationId), false);
    const members = await h.app.services.context.store.findMembersByEmail(h.project.projectId, EMAIL);
    assert.equal(members.some((member) => member.organizationId === orgN.organizationId), false);
  });

  it("answers an unknown organization with organization_not_found", async () => {
    const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
    const response = await h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: "no-such-org", session_token: origin.sessionToken });
    expectStytchError(response.body, 404, "organization_not_found");
  });

  it("exchanges into the same organization as a new session that keeps every factor", async () => {
    const origin = await sessionFor(memberA, orgA, [passwordFactor("2026-01-15T09:30:00Z")]);
    const response = await h.client.sessions.exchange({ organization_id: orgA.organizationId, session_token: origin.sessionToken });
    assert.equal(response.member_authenticated, true);
    assert.notEqual(response.member_session?.member_session_id, origin.session.sessionId);
    assert.equal(response.member_session?.authentication_factors[0]?.type, "password");
  });

  it("refuses a revoked, an expired and another project's session", async () => {
    const revoked = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
    await h.client.sessions.revoke({ session_token: revoked.sessionToken });
    const afterRevoke = await h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: orgB.organizationId, session_token: revoked.sessionToken });
    expectStytchError(afterRevoke.body, 404, "session_not_found");

    const expiring = await h.app.services.sessions.start(h.project, orgA, memberA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")], {
      durationMinutes: 5,
    });
    clock.advanceMinutes(6);
    const afterExpiry = await h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: orgB.organizationId, session_jwt: expiring.sessionJwt });
    expectStytchError(afterExpiry.body, 404, "session_not_found");

    const other = await h.otherProject();
    const otherOrg = await h.app.services.organizations.create(other.project, { organization_name: "Elsewhere" });
    const otherMember = (await h.app.services.members.create(other.project, otherOrg.organizationId, { email_address: EMAIL })).member;
    const foreign = await h.app.services.sessions.start(other.project, otherOrg, otherMember, [magicLinkFactor(otherMember, "2026-01-15T09:30:00Z")]);
    for (const credential of [{ session_token: foreign.sessionToken }, { session_jwt: foreign.sessionJwt }]) {
      const response = await h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: orgB.organizationId, ...credential });
      expectStytchError(response.body, 404, "session_not_found");
    }
  });

  describe("request validation", () => {
    let token: string;
    before(async () => {
      token = (await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")])).sessionToken;
    });
    const post = (body: Record<string, unknown>) => h.request("POST", "/v1/b2b/sessions/exchange", body);

    it("rejects durations of 4 and 527041 minutes and accepts 5 and 527040", async () => {
      for (const minutes of [4, 527041]) {
        expectStytchError((await post({ organization_id: orgB.organizationId, session_token: token, session_duration_minutes: minutes })).body, 400, "invalid_session_duration_minutes");
      }
      for (const minutes of [5, 527040]) {
        const response = await post({ organization_id: orgB.organizationId, session_token: token, session_duration_minutes: minutes });
        assert.equal(response.status, 200);
        assert.equal(Date.parse(response.body.member_session.expires_at) - clock.now(), minutes * 60_000);
      }
    });

    it("rejects a duration sent as a string", async () => {
      expectStytchError((await post({ organization_id: orgB.organizationId, session_token: token, session_duration_minutes: "60" })).body, 400, "invalid_session_duration_minutes");
    });

    it("needs exactly one of session_token and session_jwt", async () => {
      const jwt = (await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")])).sessionJwt;
      expectStytchError((await post({ organization_id: orgB.organizationId, session_token: token, session_jwt: jwt })).body, 400, "too_many_session_arguments");
      expectStytchError((await post({ organization_id: orgB.organizationId })).body, 400, "no_session_arguments");
    });

    it("needs organization_id", async () => {
      expectStytchError((await post({ session_token: token })).body, 400, "missing_required_field");
    });

    it("rejects an unsupported locale", async () => {
      expectStytchError((await post({ organization_id: orgB.organizationId, session_token: token, locale: "xx" })).body, 400, "invalid_locale");
    });

    it("rejects reserved, Stytch-namespaced and oversized custom claims", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ sub: "someone-else" }, "reserved_claims_in_custom_claims"],
        [{ "https://stytch.com/session": {} }, "stytch_claims_in_custom_claims"],
        [{ blob: "x".repeat(5000) }, "custom_claims_too_large"],
      ];
      for (const [claims, errorType] of cases) {
        expectStytchError((await post({ organization_id: orgB.organizationId, session_token: token, session_custom_claims: claims })).body, 400, errorType);
      }
    });
  });

  describe("telemetry", () => {
    it("returns member_device, new the first time and known the second", async () => {
      const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
      const first = await h.client.sessions.exchange({ organization_id: orgB.organizationId, session_token: origin.sessionToken, telemetry_id: "device-1" });
      assert.equal(first.member_device?.visitor_id, "device-1");
      assert.equal(first.member_device?.visitor_id_details?.is_new, true);
      const second = await h.client.sessions.exchange({ organization_id: orgB.organizationId, session_token: origin.sessionToken, telemetry_id: "device-1" });
      assert.equal(second.member_device?.visitor_id_details?.is_new, false);
    });
  });

  describe("consistency", () => {
    it("gives two concurrent exchanges of one session each their own valid session", async () => {
      const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
      const [one, two] = await Promise.all([
        h.client.sessions.exchange({ organization_id: orgB.organizationId, session_token: origin.sessionToken }),
        h.client.sessions.exchange({ organization_id: orgB.organizationId, session_token: origin.sessionToken }),
      ]);
      assert.notEqual(one.member_session?.member_session_id, two.member_session?.member_session_id);
      for (const token of [one.session_token, two.session_token]) {
        assert.equal((await h.client.sessions.authenticate({ session_token: token })).member_session.organization_id, orgB.organizationId);
      }
    });

    it("consumes an exchange's intermediate session token once when its step-up is finished concurrently", async () => {
      const orgC = await createOrganization("Org Concurrent MFA", { mfa_policy: "REQUIRED_FOR_ALL" });
      const phone = "+14155550188";
      const target = await createMember(orgC, EMAIL, { mfa_phone_number: phone });
      const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
      const stepUp = await h.client.sessions.exchange({ organization_id: orgC.organizationId, session_token: origin.sessionToken });
      assert.equal(stepUp.mfa_required?.secondary_auth_initiated, "sms_otp");
      const outbox = await h.request("GET", `/v1/test/outbox?to=${encodeURIComponent(phone)}`);
      const code = outbox.body.messages[0].code as string;
      const attempts = await Promise.all(
        Array.from({ length: 5 }, () =>
          h.request("POST", "/v1/b2b/otps/sms/authenticate", {
            organization_id: orgC.organizationId,
            member_id: target.memberId,
            code,
            intermediate_session_token: stepUp.intermediate_session_token,
          }),
        ),
      );
      const succeeded = attempts.filter((attempt) => attempt.status === 200);
      assert.equal(succeeded.length, 1, JSON.stringify(attempts.map((attempt) => attempt.body.error_type ?? attempt.status)));
      for (const attempt of attempts) assert.ok(attempt.status === 200 || (attempt.status >= 400 && attempt.status < 500));
      const sessions = await h.app.services.context.store.listLiveSessions(h.project.projectId, target.memberId, clock.now());
      assert.equal(sessions.length, 1, "exactly one session minted");
    });

    it("writes nothing when the origin session is revoked before the exchange commits", async () => {
      const origin = await sessionFor(memberA, orgA, [magicLinkFactor(memberA, "2026-01-15T09:30:00Z")]);
      const store = h.app.services.context.store;
      // Revoke between the exchange's read and its write: the commit's precondition must catch it.
      const commit = store.commit.bind(store);
      store.commit = async (changes) => {
        await store.revokeSession(h.project.projectId, origin.session.sessionId, clock.now());
        store.commit = commit;
        return commit(changes);
      };
      const before = (await store.listLiveSessions(h.project.projectId, memberB.memberId, clock.now())).length;
      const response = await h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: orgB.organizationId, session_token: origin.sessionToken });
      expectStytchError(response.body, 404, "session_not_found");
      assert.equal((await store.listLiveSessions(h.project.projectId, memberB.memberId, clock.now())).length, before);
    });
  });
});
