/**
 * Adversarial suite for POST /v1/b2b/sessions/authenticate and /v1/b2b/sessions/revoke
 * (SEC-IN-1..4, SEC-TOK-3, SEC-REV-1, SEC-REV-2, SEC-AV-3): schema-generated and body-level
 * cases, dead sessions, other projects' sessions, and revocation that must not reach across
 * projects. Every refusal is a Stytch-shaped 4xx with no side effect.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { changedTables, snapshot } from "../support/db-snapshot.js";
import { expectRefused, send, tally } from "../support/adversarial.js";
import { registerBodyCases, registerSchemaCases, type EndpointSpec } from "../support/adversarial-cases.js";
import { buildWorld, magicLinkFactor, worldSecrets, type World } from "../support/adversarial-world.js";

const AUTHENTICATE = "/v1/b2b/sessions/authenticate";
const REVOKE = "/v1/b2b/sessions/revoke";

const authenticateSpec: EndpointSpec = {
  name: "authenticate",
  path: AUTHENTICATE,
  schema: "sessions-authenticate.request",
  valid: (w) => ({ session_token: w.live.token, session_jwt: w.live.jwt, session_duration_minutes: 600, session_custom_claims: { team: "blue" } }),
  baseFields: ["session_token"],
  exclusive: ["session_token", "session_jwt"],
  identifiers: ["session_token"],
};

const revokeSpec: EndpointSpec = {
  name: "revoke",
  path: REVOKE,
  schema: "sessions-revoke.request",
  valid: (w) => ({ member_session_id: w.live.sessionId, session_token: w.live.token, session_jwt: w.live.jwt, member_id: w.memberA.memberId }),
  baseFields: ["session_token"],
  exclusive: ["member_session_id", "session_token", "session_jwt", "member_id"],
  identifiers: ["member_session_id", "session_token", "member_id"],
};

describe("adversarial: sessions authenticate and revoke", () => {
  let w: World;
  before(async () => {
    w = await buildWorld();
  });
  after(async () => {
    await w.close();
    console.log(`# adversarial sessions: ${tally.cases} refusal cases, ${tally.serverErrors} 5xx`);
  });

  it("the valid base authenticate request succeeds", async () => {
    const response = await send(w.target, "POST", AUTHENTICATE, { session_token: w.live.token });
    assert.equal(response.status, 200, response.text);
  });

  registerSchemaCases(authenticateSpec, () => w);
  registerBodyCases(authenticateSpec, () => w);
  registerSchemaCases(revokeSpec, () => w);
  registerBodyCases(revokeSpec, () => w);

  describe("authenticate semantics", () => {
    const refuse = (label: string, body: () => unknown, status: number, errorType: string) =>
      it(label, async () => {
        await expectRefused(w.target, { path: AUTHENTICATE, body: body() }, { status, errorType, secrets: worldSecrets(w) }, label);
      });
    refuse("both token and JWT", () => ({ session_token: w.live.token, session_jwt: w.live.jwt }), 400, "too_many_session_arguments");
    refuse("neither token nor JWT", () => ({}), 400, "no_session_arguments");
    refuse("a revoked session by token", () => ({ session_token: w.revoked.token }), 404, "session_not_found");
    refuse("a revoked session by JWT (signature still valid)", () => ({ session_jwt: w.revoked.jwt }), 404, "session_not_found");
    refuse("an expired session by token", () => ({ session_token: w.expired.token }), 404, "session_not_found");
    refuse("an expired session by JWT", () => ({ session_jwt: w.expired.jwt }), 404, "session_not_found");
    refuse("an expired session cannot be extended", () => ({ session_token: w.expired.token, session_duration_minutes: 600 }), 404, "session_not_found");
    refuse("another project's token", () => ({ session_token: w.other.session.token }), 404, "session_not_found");
    refuse("another project's JWT", () => ({ session_jwt: w.other.session.jwt }), 404, "session_not_found");
    refuse("an organization-bound intermediate session token", () => ({ session_token: w.orgIst }), 404, "session_not_found");
    refuse("a discovery intermediate session token", () => ({ session_token: w.discoveryIst }), 404, "session_not_found");
    refuse("the SMS passcode", () => ({ session_token: w.otpCode }), 404, "session_not_found");
    refuse("a session id as token", () => ({ session_token: w.live.sessionId }), 404, "session_not_found");
    refuse("reserved claims", () => ({ session_token: w.live.token, session_custom_claims: { exp: 1 } }), 400, "reserved_claims_in_custom_claims");
    refuse("Stytch claims", () => ({ session_token: w.live.token, session_custom_claims: { "https://stytch.com/organization": {} } }), 400, "stytch_claims_in_custom_claims");
    refuse("claims over 4 KiB", () => ({ session_token: w.live.token, session_custom_claims: { k: "x".repeat(4200) } }), 400, "custom_claims_too_large");
    it("a refused claims update leaves the session's claims as they were", async () => {
      const before = await send(w.target, "POST", AUTHENTICATE, { session_token: w.live.token });
      await expectRefused(w.target, { path: AUTHENTICATE, body: { session_token: w.live.token, session_custom_claims: { big: "x".repeat(5000) } } }, { status: 400 }, "claims");
      const after = await send(w.target, "POST", AUTHENTICATE, { session_token: w.live.token });
      assert.deepEqual(JSON.parse(after.text).member_session.custom_claims, JSON.parse(before.text).member_session.custom_claims);
    });
  });

  describe("revoke semantics", () => {
    const refuse = (label: string, body: () => unknown, status: number, errorType: string) =>
      it(label, async () => {
        await expectRefused(w.target, { path: REVOKE, body: body() }, { status, errorType, secrets: worldSecrets(w) }, label);
      });
    refuse("no selector", () => ({}), 400, "no_session_revoke_arguments");
    refuse("two selectors", () => ({ member_session_id: w.live.sessionId, member_id: w.memberA.memberId }), 400, "too_many_session_revoke_arguments");
    refuse("all four selectors", () => ({ member_session_id: w.live.sessionId, member_id: w.memberA.memberId, session_token: w.live.token, session_jwt: w.live.jwt }), 400, "too_many_session_revoke_arguments");
    refuse("another project's session id", () => ({ member_session_id: w.other.session.sessionId }), 404, "session_not_found");
    refuse("another project's session token", () => ({ session_token: w.other.session.token }), 404, "session_not_found");
    refuse("another project's session JWT", () => ({ session_jwt: w.other.session.jwt }), 404, "session_not_found");
    refuse("an already revoked session by id", () => ({ member_session_id: w.revoked.sessionId }), 404, "session_not_found");
    refuse("an already revoked session by token", () => ({ session_token: w.revoked.token }), 404, "session_not_found");
    refuse("an expired session by id", () => ({ member_session_id: w.expired.sessionId }), 404, "session_not_found");
    refuse("an intermediate session token as session_token", () => ({ session_token: w.orgIst }), 404, "session_not_found");
    refuse("a discovery intermediate session token as session_token", () => ({ session_token: w.discoveryIst }), 404, "session_not_found");
    refuse("a session token as member_session_id", () => ({ member_session_id: w.live.token }), 404, "session_not_found");
    refuse("a session JWT as member_session_id", () => ({ member_session_id: w.live.jwt.slice(0, 250) }), 404, "session_not_found");
    refuse("a SQL-looking member_session_id", () => ({ member_session_id: "' OR 1=1 --" }), 404, "session_not_found");
    refuse("a LIKE wildcard member_session_id", () => ({ member_session_id: "member-session-test-%" }), 404, "session_not_found");

    it("revoking another project's member by id touches nothing (a no-op, not a cross-project revoke)", async () => {
      const before = snapshot(w.db);
      for (const memberId of [w.other.member.memberId, "%", "member-test-%", "*"]) {
        const response = await send(w.target, "POST", REVOKE, { member_id: memberId });
        assert.ok(response.status === 200 || response.status === 404, response.text);
      }
      assert.deepEqual(changedTables(before, snapshot(w.db)), []);
      const otherCheck = await fetch(`${w.h.baseUrl}${AUTHENTICATE}`, {
        method: "POST",
        headers: { authorization: `Basic ${Buffer.from(`${w.other.project.projectId}:${w.other.secret}`).toString("base64")}`, "content-type": "application/json" },
        body: JSON.stringify({ session_token: w.other.session.token }),
      });
      assert.equal(otherCheck.status, 200, await otherCheck.text());
    });

    it("a revoked session is refused on the very next request, by token and by JWT (SEC-REV-1, SEC-REV-2)", async () => {
      const victim = await w.h.app.services.sessions.start(w.h.project, w.orgA, w.memberA, [magicLinkFactor(w.memberA)], { durationMinutes: 60 });
      const ok = await send(w.target, "POST", REVOKE, { session_jwt: victim.sessionJwt });
      assert.equal(ok.status, 200, ok.text);
      for (const body of [{ session_token: victim.sessionToken }, { session_jwt: victim.sessionJwt }]) {
        await expectRefused(w.target, { path: AUTHENTICATE, body }, { status: 404, errorType: "session_not_found" }, "after revoke");
        await expectRefused(w.target, { path: "/v1/b2b/sessions/exchange", body: { organization_id: w.orgB.organizationId, ...body } }, { status: 404, errorType: "session_not_found" }, "exchange after revoke");
        await expectRefused(w.target, { path: REVOKE, body }, { status: 404, errorType: "session_not_found" }, "revoke after revoke");
      }
    });
  });
});
