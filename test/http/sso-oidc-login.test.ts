/**
 * @module SP-initiated OIDC SSO end to end against a real OpenID Provider (oidc-provider):
 * start (public token, PKCE) → IdP login → callback (state, CSRF cookie, code redemption) →
 * redirect with an sso token → `sso.authenticate` through the official Node SDK → session with
 * the SSO factor, JIT member with mapped attributes; then login again, replay, cookie, PKCE,
 * JIT policy and MFA step-up. The public URL sits behind a "proxy": the test maps it to the port.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import Provider from "oidc-provider";
import type { Organization } from "../../src/domain/types.js";
import { startHarness, type Harness } from "../support/harness.js";

const PUBLIC_URL = "https://auth.example.com";
const LOGIN_URL = "http://localhost:3000/login";
const SIGNUP_URL = "http://localhost:3000/signup";

type StytchError = { error_type?: string; status_code?: number };
const refusedWith = (type: string) => (error: StytchError) => {
  assert.equal(error.error_type, type);
  return true;
};

const accounts: Record<string, Record<string, unknown>> = {
  "idp-user-ada": { email: "ada@corp.example", email_verified: true, name: "Ada Lovelace", given_name: "Ada", family_name: "Lovelace" },
  "idp-user-bob": { email: "bob@corp.example", email_verified: true, name: "Bob Builder" },
};

describe("OIDC SSO login end to end (oidc-provider, official SDK)", () => {
  let h: Harness;
  let organization: Organization;
  let idp: Server;
  let issuer: string;
  let connectionId: string;
  let publicToken: string;
  let loggingIn = "idp-user-ada";

  before(async () => {
    h = await startHarness({ env: { TESSERA_PUBLIC_URL: PUBLIC_URL } });
    publicToken = (await h.app.services.projects.createPublicToken(h.project.projectId)).publicToken;
    organization = await h.app.services.organizations.create(h.project, { organization_name: "Corp" });
    idp = createServer();
    await new Promise<void>((resolve) => idp.listen(0, "127.0.0.1", resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const created = (await h.client.sso.oidc.createConnection({ organization_id: organization.organizationId, display_name: "Corp IdP" })).connection!;
    connectionId = created.connection_id;
    const provider = new Provider(issuer, {
      clients: [{
        client_id: "tessera", client_secret: "a-long-enough-client-secret-for-hs256-0123456789", redirect_uris: [created.redirect_url],
        grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic",
      }],
      claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "given_name", "family_name"] },
      findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) }),
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    });
    const callback = provider.callback();
    idp.on("request", async (request: IncomingMessage, response: ServerResponse) => {
      if (!request.url?.startsWith("/interaction/")) return callback(request, response);
      // The person signs in as `loggingIn` and consents.
      const details = await provider.interactionDetails(request, response);
      const grant = new provider.Grant({ accountId: loggingIn, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(request, response, { login: { accountId: loggingIn }, consent: { grantId } }, { mergeWithLastSubmission: false });
    });
    await h.client.sso.oidc.updateConnection({
      organization_id: organization.organizationId, connection_id: connectionId, issuer, client_id: "tessera",
      client_secret: "a-long-enough-client-secret-for-hs256-0123456789",
    });
  });
  after(async () => {
    await h.close();
    idp.closeAllConnections();
    idp.close();
  });

  /** The browser: start at Tessera, follow the IdP's hops with its cookies, stop at Tessera's callback. */
  async function browserLogin(options: { challenge?: string; account?: string } = {}): Promise<{ callbackPath: string; csrfCookie: string }> {
    loggingIn = options.account ?? "idp-user-ada";
    const start = new URL(`${h.baseUrl}/v1/public/sso/start`);
    start.searchParams.set("public_token", publicToken);
    start.searchParams.set("connection_id", connectionId);
    start.searchParams.set("login_redirect_url", LOGIN_URL);
    start.searchParams.set("signup_redirect_url", SIGNUP_URL);
    if (options.challenge) start.searchParams.set("pkce_code_challenge", options.challenge);
    const started = await fetch(start, { redirect: "manual" });
    assert.equal(started.status, 302, await started.clone().text());
    const csrfCookie = started.headers.getSetCookie().find((c) => c.startsWith("tessera_sso_csrf="))!.split(";")[0]!;
    let location = started.headers.get("location")!;
    assert.ok(location.startsWith(`${issuer}/auth?`), location);
    assert.match(location, /code_challenge_method=S256/);
    const jar = new Map<string, string>();
    for (let hop = 0; hop < 10; hop++) {
      if (location.startsWith(PUBLIC_URL)) return { callbackPath: location.slice(PUBLIC_URL.length), csrfCookie };
      const response = await fetch(new URL(location, issuer), { redirect: "manual", headers: { cookie: [...jar.values()].join("; ") } });
      for (const cookie of response.headers.getSetCookie()) {
        const pair = cookie.split(";")[0]!;
        jar.set(pair.split("=")[0]!, pair);
      }
      await response.arrayBuffer();
      assert.ok([302, 303].includes(response.status), `IdP answered ${response.status} at ${location}`);
      location = response.headers.get("location")!;
    }
    throw new Error("the IdP never redirected back to Tessera");
  }

  async function callback(path: string, cookie: string | null): Promise<Response> {
    return fetch(`${h.baseUrl}${path}`, { redirect: "manual", headers: cookie ? { cookie } : {} });
  }

  it("start → IdP → callback → signup redirect with a token → sso.authenticate: a JIT member and a session holding the OIDC factor", async () => {
    const verifier = "a-pkce-code-verifier-of-the-application-0123456789";
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const { callbackPath, csrfCookie } = await browserLogin({ challenge });
    const answered = await callback(callbackPath, csrfCookie);
    assert.equal(answered.status, 302, await answered.clone().text());
    const redirect = new URL(answered.headers.get("location")!);
    assert.equal(`${redirect.origin}${redirect.pathname}`, SIGNUP_URL);
    assert.equal(redirect.searchParams.get("stytch_token_type"), "sso");
    const token = redirect.searchParams.get("token")!;

    await assert.rejects(h.client.sso.authenticate({ sso_token: token, pkce_code_verifier: "wrong-verifier-0123456789012345678901234567" }), refusedWith("pkce_mismatch"));
    const result = await h.client.sso.authenticate({ sso_token: token, pkce_code_verifier: verifier, session_duration_minutes: 30 });
    assert.equal(result.member_authenticated, true);
    assert.equal(result.member.email_address, "ada@corp.example");
    assert.equal(result.member.name, "Ada Lovelace");
    assert.equal(result.member.status, "active");
    assert.equal(result.intermediate_session_token, "");
    assert.equal(result.reset_session, false);
    const factor = result.member_session!.authentication_factors[0]!;
    assert.equal(factor.type, "sso");
    assert.equal(factor.delivery_method, "sso_oidc");
    assert.equal(factor.oidc_sso_factor!.provider_id, connectionId);
    assert.equal(factor.oidc_sso_factor!.external_id, "idp-user-ada");
    assert.match(factor.oidc_sso_factor!.id, /^oidc-member-registration-test-/);
    const session = await h.client.sessions.authenticate({ session_token: result.session_token });
    assert.equal(session.member_session.member_id, result.member_id);
    const jwt = await h.client.sessions.authenticateJwt({ session_jwt: result.session_jwt });
    assert.equal(jwt.member_session.member_id, result.member_id);
    // The token is single use.
    await assert.rejects(h.client.sso.authenticate({ sso_token: token, pkce_code_verifier: verifier }), refusedWith("sso_token_not_found"));

    // A second login: the member exists, so the login redirect; the same registration.
    const again = await browserLogin();
    const second = await callback(again.callbackPath, again.csrfCookie);
    const secondRedirect = new URL(second.headers.get("location")!);
    assert.equal(`${secondRedirect.origin}${secondRedirect.pathname}`, LOGIN_URL);
    const secondResult = await h.client.sso.authenticate({ sso_token: secondRedirect.searchParams.get("token")! });
    assert.equal(secondResult.member_id, result.member_id);
    assert.equal(secondResult.member_session!.authentication_factors[0]!.oidc_sso_factor!.id, factor.oidc_sso_factor!.id);
  });

  it("the callback refuses a missing or foreign CSRF cookie, a replayed state, and no state at all", async () => {
    const first = await browserLogin();
    const noCookie = await callback(first.callbackPath, null);
    assert.equal(noCookie.status, 400);
    assert.equal((await noCookie.json()).error_type, "missing_oidc_csrf_cookie");
    const other = await browserLogin();
    const foreign = await callback(first.callbackPath, other.csrfCookie);
    assert.equal((await foreign.json()).error_type, "oidc_csrf_cookie_mismatch");
    assert.equal((await callback(first.callbackPath, first.csrfCookie)).status, 302);
    const replay = await callback(first.callbackPath, first.csrfCookie);
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).error_type, "unsolicited_oidc_response");
    const noState = await callback(`/v1/b2b/sso/callback/${connectionId}?code=x`, first.csrfCookie);
    assert.equal((await noState.json()).error_type, "missing_oidc_state_param");
  });

  it("start refuses a bad public token, a redirect URL off the allow-list, and needs exactly one locator", async () => {
    const base = `${h.baseUrl}/v1/public/sso/start?public_token=${publicToken}`;
    const answers = await Promise.all([
      fetch(`${base.replace(publicToken, "public-token-test-00000000-0000-4000-8000-000000000000")}&connection_id=${connectionId}`, { redirect: "manual" }),
      fetch(`${base}&connection_id=${connectionId}&login_redirect_url=${encodeURIComponent("https://evil.example.com/cb")}`, { redirect: "manual" }),
      fetch(base, { redirect: "manual" }),
      fetch(`${base}&organization_id=${organization.organizationId}`, { redirect: "manual" }),
    ]);
    const types = await Promise.all(answers.map(async (a) => [a.status, (await a.json()).error_type]));
    assert.equal(types[0]![0], 401);
    assert.deepEqual(types.slice(1), [[400, "no_match_for_provided_sso_url"], [400, "missing_sso_connection_locator"], [404, "no_sso_connection_exists_for_organization"]]);
  });

  it("JIT follows sso_jit_provisioning; an MFA-required organization gets an intermediate session", async () => {
    await h.client.organizations.update({ organization_id: organization.organizationId, sso_jit_provisioning: "NOT_ALLOWED" });
    const refused = await browserLogin({ account: "idp-user-bob" });
    const answer = await callback(refused.callbackPath, refused.csrfCookie);
    assert.equal((await answer.json()).error_type, "invalid_connection_for_jit_provisioning");
    await h.client.organizations.update({
      organization_id: organization.organizationId, sso_jit_provisioning: "RESTRICTED", sso_jit_provisioning_allowed_connections: [connectionId], mfa_policy: "REQUIRED_FOR_ALL",
    });
    const allowed = await browserLogin({ account: "idp-user-bob" });
    const redirect = new URL((await callback(allowed.callbackPath, allowed.csrfCookie)).headers.get("location")!);
    const result = await h.client.sso.authenticate({ sso_token: redirect.searchParams.get("token")! });
    assert.equal(result.member_authenticated, false);
    assert.equal(result.session_token, "");
    assert.notEqual(result.intermediate_session_token, "");
    assert.ok(result.mfa_required);
    assert.equal(result.member.email_address, "bob@corp.example");
  });
});
