import assert from "node:assert/strict";
import { X509Certificate, createHash, createPublicKey, verify } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ClientError } from "stytch";
import { FakeClock, sdkClient, startHarness, type Harness } from "../support/harness.js";
import {
  createMember,
  createOrganization,
  decodeJwt,
  expectSdkError,
  forgeWithForeignKey,
  organizationMemberSession,
  startSession,
} from "../support/fixtures.js";
import { assertJwk, assertMemberSession, assertResponseShape, isRfc3339 } from "../support/shapes.js";

const MINUTE = 60_000;

describe("member sessions over the official SDK", () => {
  const clock = new FakeClock();
  let h: Harness;
  /** The SDK's local verification compares exp/nbf with this date, so it follows the fake clock. */
  const now = (): Date => new Date(clock.now());
  const seconds = (ms: number): number => Math.floor(ms / 1000);

  before(async () => {
    h = await startHarness({ clock });
  });
  after(async () => {
    await h.close();
  });

  describe("authenticate", () => {
    it("authenticates by session_token and returns the session, the same token, a JWT, the member and the organization", async () => {
      const { organization, member, session } = await organizationMemberSession(h);
      const response = await h.client.sessions.authenticate({ session_token: session.sessionToken });
      assertResponseShape(response);
      assert.equal(response.session_token, session.sessionToken);
      assert.ok(response.session_jwt.length > 0);
      assert.equal(response.member_session.member_session_id, session.session.sessionId);
      assert.equal(response.member_session.member_id, member.member_id);
      assert.equal(response.member_session.organization_id, organization.organization_id);
      assert.equal(response.member_session.organization_slug, organization.organization_slug);
      assert.deepEqual(response.member_session.roles, ["stytch_member"]);
      assert.equal(response.member_session.authentication_factors[0]?.type, "magic_link");
      assert.equal(response.member.member_id, member.member_id);
      assert.equal(response.organization.organization_id, organization.organization_id);
    });

    it("authenticates by session_jwt and answers session_token as an empty string", async () => {
      const { session } = await organizationMemberSession(h);
      const response = await h.client.sessions.authenticate({ session_jwt: session.sessionJwt });
      assertResponseShape(response);
      assert.equal(response.session_token, "");
      assert.equal(response.member_session.member_session_id, session.session.sessionId);
      const local = await h.client.sessions.authenticateJwtLocal({ session_jwt: response.session_jwt, current_date: now() });
      assert.equal(local.member_session_id, session.session.sessionId);
    });

    it("records the access time and leaves the expiry alone without session_duration_minutes", async () => {
      const { session } = await organizationMemberSession(h);
      clock.advanceMinutes(3);
      const response = await h.client.sessions.authenticate({ session_token: session.sessionToken });
      assert.equal(Date.parse(response.member_session.last_accessed_at), clock.now());
      assert.equal(Date.parse(response.member_session.expires_at), session.session.expiresAt);
      assert.equal(Date.parse(response.member_session.started_at), session.session.startedAt);
    });

    it("extends the session to now plus session_duration_minutes", async () => {
      const { session } = await organizationMemberSession(h);
      clock.advanceMinutes(1);
      const response = await h.client.sessions.authenticate({ session_token: session.sessionToken, session_duration_minutes: 600 });
      assert.equal(Date.parse(response.member_session.expires_at), clock.now() + 600 * MINUTE);
      const listed = await h.client.sessions.get({ organization_id: session.organization.organizationId, member_id: session.member.memberId });
      assert.equal(Date.parse(listed.member_sessions[0]!.expires_at), clock.now() + 600 * MINUTE);
    });

    it("accepts a JWT past its five-minute exp while the session lives, and returns a fresh JWT", async () => {
      const { session } = await organizationMemberSession(h, { durationMinutes: 60 });
      clock.advanceMinutes(10);
      await assert.rejects(
        h.client.sessions.authenticateJwtLocal({ session_jwt: session.sessionJwt, current_date: now() }),
        (error: unknown) => error instanceof ClientError && error.code === "jwt_invalid",
      );
      const response = await h.client.sessions.authenticate({ session_jwt: session.sessionJwt });
      assert.equal(response.member_session.member_session_id, session.session.sessionId);
      const fresh = decodeJwt(response.session_jwt).payload;
      assert.equal(fresh.iat, seconds(clock.now()));
      assert.equal(fresh.exp, seconds(clock.now()) + 300);
      const local = await h.client.sessions.authenticateJwtLocal({ session_jwt: response.session_jwt, current_date: now() });
      assert.equal(local.member_session_id, session.session.sessionId);
    });

    it("refuses a session after its expiry, by token and by JWT, with 404 session_not_found", async () => {
      const { session } = await organizationMemberSession(h, { durationMinutes: 5 });
      clock.advanceSeconds(5 * 60 + 1);
      await expectSdkError(h.client.sessions.authenticate({ session_token: session.sessionToken }), 404, "session_not_found");
      await expectSdkError(h.client.sessions.authenticate({ session_jwt: session.sessionJwt }), 404, "session_not_found");
      const listed = await h.client.sessions.get({ organization_id: session.organization.organizationId, member_id: session.member.memberId });
      assert.deepEqual(listed.member_sessions, []);
    });

    it("refuses a session exactly at its expiry instant", async () => {
      const { session } = await organizationMemberSession(h, { durationMinutes: 5 });
      clock.advanceMinutes(5);
      await expectSdkError(h.client.sessions.authenticate({ session_token: session.sessionToken }), 404, "session_not_found");
    });

    it("refuses an unknown session token with 404 session_not_found", async () => {
      await expectSdkError(h.client.sessions.authenticate({ session_token: "mZAYn5aLEqKUlZ_Ad9U_fWr38GaAQ1oFAhT8ds245v7Q" }), 404, "session_not_found");
    });

    it("refuses a JWT signed by a key the project does not publish with 404 session_not_found", async () => {
      const { session } = await organizationMemberSession(h);
      await expectSdkError(h.client.sessions.authenticate({ session_jwt: forgeWithForeignKey(session.sessionJwt) }), 404, "session_not_found");
    });

    it("refuses a JWT whose claims were altered after signing", async () => {
      const { session } = await organizationMemberSession(h);
      const [header, payload, signature] = session.sessionJwt.split(".");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8"));
      claims.sub = "member-test-00000000-0000-4000-8000-000000000000";
      const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
      await expectSdkError(h.client.sessions.authenticate({ session_jwt: tampered }), 404, "session_not_found");
    });

    it("refuses a string that is not a JWT with 400 unable_to_parse_session_jwt", async () => {
      await expectSdkError(h.client.sessions.authenticate({ session_jwt: "not-a-jwt" }), 400, "unable_to_parse_session_jwt");
    });
  });

  describe("get", () => {
    it("lists the member's live sessions, addressed by ids, slug or external ids", async () => {
      const organization = await createOrganization(h.client, { organization_external_id: `ext-${Date.now()}` });
      const member = await createMember(h.client, organization.organization_id, { external_id: `mext-${Date.now()}` });
      const first = await startSession(h, organization.organization_id, member.member_id);
      const second = await startSession(h, organization.organization_id, member.member_id);
      await h.client.sessions.revoke({ session_token: second.sessionToken });
      const third = await startSession(h, organization.organization_id, member.member_id);

      for (const [organizationRef, memberRef] of [
        [organization.organization_id, member.member_id],
        [organization.organization_slug, member.external_id],
        [organization.organization_external_id, member.member_id],
      ]) {
        const response = await h.client.sessions.get({ organization_id: organizationRef, member_id: memberRef });
        assertResponseShape(response);
        assert.deepEqual(
          response.member_sessions.map((s) => s.member_session_id),
          [first.session.sessionId, third.session.sessionId],
        );
        response.member_sessions.forEach(assertMemberSession);
      }
    });

    it("answers 404 member_not_found for an unknown member", async () => {
      const organization = await createOrganization(h.client);
      await expectSdkError(h.client.sessions.get({ organization_id: organization.organization_id, member_id: "member-test-missing" }), 404, "member_not_found");
    });
  });

  describe("revoke", () => {
    const selectors = [
      ["member_session_id", (s: Awaited<ReturnType<typeof startSession>>) => ({ member_session_id: s.session.sessionId })],
      ["session_token", (s: Awaited<ReturnType<typeof startSession>>) => ({ session_token: s.sessionToken })],
      ["session_jwt", (s: Awaited<ReturnType<typeof startSession>>) => ({ session_jwt: s.sessionJwt })],
    ] as const;

    for (const [name, selector] of selectors) {
      it(`revokes a session named by ${name}, after which neither its token nor its JWT authenticates`, async () => {
        const { session } = await organizationMemberSession(h);
        const response = await h.client.sessions.revoke(selector(session));
        assert.equal(response.status_code, 200);
        assert.equal(typeof response.request_id, "string");
        await expectSdkError(h.client.sessions.authenticate({ session_token: session.sessionToken }), 404, "session_not_found");
        await expectSdkError(h.client.sessions.authenticate({ session_jwt: session.sessionJwt }), 404, "session_not_found");
      });
    }

    it("revokes every session of a member named by member_id and leaves other members' sessions alone", async () => {
      const { organization, member, session } = await organizationMemberSession(h);
      const second = await startSession(h, organization.organization_id, member.member_id);
      const bystander = await createMember(h.client, organization.organization_id);
      const bystanderSession = await startSession(h, organization.organization_id, bystander.member_id);

      await h.client.sessions.revoke({ member_id: member.member_id });
      for (const revoked of [session, second]) {
        await expectSdkError(h.client.sessions.authenticate({ session_token: revoked.sessionToken }), 404, "session_not_found");
        await expectSdkError(h.client.sessions.authenticate({ session_jwt: revoked.sessionJwt }), 404, "session_not_found");
      }
      const alive = await h.client.sessions.authenticate({ session_token: bystanderSession.sessionToken });
      assert.equal(alive.member_session.member_id, bystander.member_id);
    });

    it("answers 404 session_not_found for an unknown or already revoked session", async () => {
      const { session } = await organizationMemberSession(h);
      await h.client.sessions.revoke({ member_session_id: session.session.sessionId });
      await expectSdkError(h.client.sessions.revoke({ member_session_id: session.session.sessionId }), 404, "session_not_found");
      await expectSdkError(h.client.sessions.revoke({ session_token: session.sessionToken }), 404, "session_not_found");
      await expectSdkError(h.client.sessions.revoke({ member_session_id: "member-session-test-missing" }), 404, "session_not_found");
    });

    it("treats an empty-string selector as absent, as Go's zero values are", async () => {
      const { session } = await organizationMemberSession(h);
      const response = await h.request("POST", "/v1/b2b/sessions/revoke", { member_session_id: "", session_token: session.sessionToken });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      await expectSdkError(h.client.sessions.authenticate({ session_token: session.sessionToken }), 404, "session_not_found");
    });
  });

  describe("session JWT", () => {
    it("has the RS256 header with a jwk-test kid and typ JWT", async () => {
      const { session } = await organizationMemberSession(h);
      const { header } = decodeJwt(session.sessionJwt);
      assert.deepEqual(Object.keys(header).sort(), ["alg", "kid", "typ"]);
      assert.equal(header.alg, "RS256");
      assert.equal(header.typ, "JWT");
      assert.match(header.kid, /^jwk-test-[0-9a-f-]{36}$/);
    });

    it("carries Stytch's registered and namespaced claims", async () => {
      const { organization, member, session } = await organizationMemberSession(h, { customClaims: { tenant: "acme", flags: { beta: true } } });
      const { payload } = decodeJwt(session.sessionJwt);
      const projectId = h.project.projectId;
      assert.equal(payload.iss, `stytch.com/${projectId}`);
      assert.deepEqual(payload.aud, [projectId]);
      assert.equal(payload.sub, member.member_id);
      assert.equal(payload.iat, seconds(clock.now()));
      assert.equal(payload.nbf, payload.iat);
      assert.equal(payload.exp, payload.iat + 300);
      assert.equal(payload.jti, undefined);
      assert.equal(payload.tenant, "acme");
      assert.deepEqual(payload.flags, { beta: true });
      assert.deepEqual(payload["https://stytch.com/organization"], {
        organization_id: organization.organization_id,
        slug: organization.organization_slug,
      });
      const claim = payload["https://stytch.com/session"];
      assert.equal(claim.id, session.session.sessionId);
      assert.ok(isRfc3339(claim.started_at) && isRfc3339(claim.last_accessed_at) && isRfc3339(claim.expires_at));
      assert.equal(Date.parse(claim.expires_at), session.session.expiresAt);
      assert.deepEqual(claim.attributes, { ip_address: "", user_agent: "" });
      assert.deepEqual(claim.roles, ["stytch_member"]);
      assert.equal(claim.authentication_factors.length, 1);
      assert.deepEqual(Object.keys(claim.authentication_factors[0]).sort(), ["delivery_method", "email_factor", "last_authenticated_at", "type"]);
      assert.deepEqual(
        Object.keys(payload).filter((key) => !["tenant", "flags"].includes(key)).sort(),
        ["aud", "exp", "https://stytch.com/organization", "https://stytch.com/session", "iat", "iss", "nbf", "sub"],
      );
    });

    it("caps exp at the session's expiry when that is under 300 seconds away", async () => {
      const { session } = await organizationMemberSession(h, { durationMinutes: 5 });
      clock.advanceMinutes(2);
      const response = await h.client.sessions.authenticate({ session_token: session.sessionToken });
      const { payload } = decodeJwt(response.session_jwt);
      assert.equal(payload.iat, seconds(clock.now()));
      assert.equal(payload.exp, seconds(session.session.expiresAt));
      assert.ok(payload.exp < payload.iat + 300);
    });

    it("is accepted by authenticateJwtLocal, which reads the same session the API reports", async () => {
      const { organization, member, session } = await organizationMemberSession(h, { customClaims: { tenant: "acme" } });
      const local = await h.client.sessions.authenticateJwtLocal({ session_jwt: session.sessionJwt, current_date: now() });
      assert.equal(local.member_session_id, session.session.sessionId);
      assert.equal(local.member_id, member.member_id);
      assert.equal(local.organization_id, organization.organization_id);
      assert.equal(local.organization_slug, organization.organization_slug);
      assert.deepEqual(local.roles, ["stytch_member"]);
      assert.deepEqual(local.custom_claims, { tenant: "acme" });
      assert.equal(Date.parse(local.expires_at), session.session.expiresAt);
      assert.equal(Date.parse(local.started_at), session.session.startedAt);
      assert.equal(local.authentication_factors.length, 1);
    });

    it("is rejected by authenticateJwtLocal when signed by an RSA key that is not in the JWKS", async () => {
      const { session } = await organizationMemberSession(h);
      const client = sdkClient(h.baseUrl, h.project.projectId, h.secret);
      const sameKid = forgeWithForeignKey(session.sessionJwt);
      const otherKid = forgeWithForeignKey(session.sessionJwt, (jwt) => {
        jwt.header.kid = "jwk-test-00000000-0000-4000-8000-000000000000";
      });
      for (const forged of [sameKid, otherKid]) {
        await assert.rejects(
          client.sessions.authenticateJwtLocal({ session_jwt: forged, current_date: now() }),
          (error: unknown) => error instanceof ClientError && error.code === "jwt_invalid",
        );
      }
      const genuine = await client.sessions.authenticateJwtLocal({ session_jwt: session.sessionJwt, current_date: now() });
      assert.equal(genuine.member_session_id, session.session.sessionId);
    });
  });

  describe("JWKS", () => {
    it("is served without credentials with every field the SDKs read", async () => {
      const response = await fetch(`${h.baseUrl}/v1/b2b/sessions/jwks/${h.project.projectId}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /application\/json/);
      const body = (await response.json()) as any;
      assertResponseShape(body);
      assert.ok(body.keys.length >= 2, "the signing key and the published next key");
      for (const jwk of body.keys) {
        assertJwk(jwk);
        assert.equal(jwk.kty, "RSA");
        assert.equal(jwk.use, "sig");
        assert.deepEqual(jwk.key_ops, ["verify"]);
        assert.equal(jwk.alg, "RS256");
        assert.match(jwk.kid, /^jwk-test-[0-9a-f-]{36}$/);
        assert.equal(jwk.e, "AQAB");
        assert.equal(jwk.d, undefined, "no private member");
      }
    });

    it("publishes a certificate whose public key is the JWK's n and e, and x5tS256 is its SHA-256", async () => {
      const { keys } = await h.client.sessions.getJWKS({ project_id: h.project.projectId });
      for (const jwk of keys) {
        assert.equal(jwk.x5c.length, 1);
        const der = Buffer.from(jwk.x5c[0]!, "base64");
        const certificate = new X509Certificate(der);
        const certificateKey = certificate.publicKey.export({ format: "jwk" });
        assert.equal(certificateKey.n, jwk.n);
        assert.equal(certificateKey.e, jwk.e);
        assert.equal(jwk.x5tS256, createHash("sha256").update(der).digest("base64url"));
        assert.ok(certificate.verify(certificate.publicKey), "self-signed");
        assert.ok(certificate.subject.includes(jwk.kid));
        const modulusBits = Buffer.from(jwk.n, "base64url").length * 8;
        assert.ok(modulusBits >= 2048, `${modulusBits}-bit modulus`);
      }
    });

    it("lists the key that signs the session JWTs", async () => {
      const { session } = await organizationMemberSession(h);
      const decoded = decodeJwt(session.sessionJwt);
      const { keys } = await h.client.sessions.getJWKS({ project_id: h.project.projectId });
      const jwk = keys.find((key) => key.kid === decoded.header.kid);
      assert.ok(jwk, "signing kid is published");
      const publicKey = createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" });
      assert.ok(verify("sha256", Buffer.from(decoded.signingInput), publicKey, decoded.signature));
    });

    it("answers an empty key list for an unknown project", async () => {
      const response = await fetch(`${h.baseUrl}/v1/b2b/sessions/jwks/project-test-00000000-0000-4000-8000-000000000000`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as any;
      assert.deepEqual(body.keys, []);
    });
  });
});
