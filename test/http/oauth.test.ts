/**
 * @module OAuth logins end to end against real providers on 127.0.0.1: `oidc-provider` as
 * "Google" and a local server speaking GitHub's API. A cookie-keeping browser drives start →
 * provider → callback → app; the official Node SDK spends the token (`oauth.authenticate`,
 * `oauth.discovery.authenticate`) and reads provider tokens (`organizations.members.oauthProviders`).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Writable } from "node:stream";
import pg from "pg";
import { expectSdkError, unique } from "../support/fixtures.js";
import { expectStytchError, FakeClock, sdkClient, startHarness, type Harness } from "../support/harness.js";
import { Browser, LocalGitHub, LocalOidcProvider, LocalTenantProvider, type OidcAccount } from "../support/oauth-providers.js";

const projectId = `project-test-${randomUUID()}`;
const secret = `secret-test-${randomUUID()}`;
const publicToken = `public-token-test-${randomUUID()}`;
const APP = "https://app.example.com";

/** The suite on SQLite, or on PostgreSQL in a schema of its own (dropped afterwards). */
function oauthSuite(name: string, postgresUrl?: string): void {
  describe(name, { timeout: 120_000 }, () => {
    const schema = `tessera_oauth_${process.pid}_${randomBytes(4).toString("hex")}`;
    let h: Harness;
    let client: ReturnType<typeof sdkClient>;
    const clock = new FakeClock(Date.now());
    const google = new LocalOidcProvider();
    const github = new LocalGitHub();
    const microsoft = new LocalOidcProvider();
    const slack = new LocalTenantProvider("slack");
    const hubspot = new LocalTenantProvider("hubspot");
    // Every log line at debug level, and every secret the flows handled: none may appear in a line.
    const logLines: string[] = [];
    const handledSecrets = new Set<string>();
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString("utf8"));
        done();
      },
    });

    before(async () => {
      await google.listen();
      await github.listen();
      await microsoft.listen();
      await slack.listen();
      await hubspot.listen();
      h = await startHarness({
        clock,
        logDestination,
        env: { LOG_LEVEL: "debug", ...(postgresUrl ? { DATABASE_URL: withSchema(postgresUrl, schema) } : {}) },
        configFile: {
          projects: [
            {
              project_id: projectId,
              secret,
              public_tokens: [publicToken],
              redirect_urls: [
                { url: `${APP}/login`, types: ["login"], default: true },
                { url: `${APP}/signup`, types: ["signup"], default: true },
                { url: `${APP}/discover`, types: ["discovery"], default: true },
              ],
              oauth_providers: {
                google: google.settings(),
                github: github.settings(),
                microsoft: microsoft.settings(),
                slack: slack.settings(),
                hubspot: hubspot.settings(),
              },
            },
          ],
        },
      });
      // The providers redirect to this server's own port.
      h.app.services.oauthLogins.publicUrl = h.baseUrl;
      await google.configure(h.app.services.oauthLogins.redirectUri("google"));
      await microsoft.configure(h.app.services.oauthLogins.redirectUri("microsoft"));
      client = sdkClient(h.baseUrl, projectId, secret);
    });
    after(async () => {
      await h.close();
      await google.close();
      await github.close();
      await microsoft.close();
      await slack.close();
      await hubspot.close();
      if (postgresUrl) {
        const admin = new pg.Client({ connectionString: postgresUrl });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      }
    });

    async function restoreProviders(): Promise<void> {
      await h.app.services.projectSettings.update(projectId, {
        oauthProviders: Object.fromEntries(
          Object.entries({ google, github, microsoft, slack, hubspot }).map(([name, provider]) => [name, toInput(provider.settings())]),
        ),
      });
    }

    /** The passcode of the newest email to `to` (the file's project's test outbox). */
    async function latestCode(to: string): Promise<string> {
      const response = await fetch(`${h.baseUrl}/v1/test/outbox?to=${encodeURIComponent(to)}`, {
        headers: { authorization: `Basic ${Buffer.from(`${projectId}:${secret}`).toString("base64")}` },
      });
      const body = (await response.json()) as { messages: { code: string | null }[] };
      return body.messages[0]!.code!;
    }

    /** A member of `org` whose email a Google login has verified. */
    async function verifiedMember(org: { organization_id: string }, email: string) {
      google.nextAccount = account(email);
      return client.oauth.authenticate({ oauth_token: (await login("google", { organization_id: org.organization_id })).searchParams.get("token")! });
    }

    function account(email: string, fields: Partial<OidcAccount> = {}): OidcAccount {
      return { sub: randomUUID(), email, email_verified: true, name: "Ada Lovelace", ...fields };
    }

    function startUrl(provider: string, params: Record<string, string>, discovery = false): string {
      const query = new URLSearchParams({ public_token: publicToken, ...params });
      return `${h.baseUrl}/v1/b2b/public/oauth/${provider}/${discovery ? "discovery/" : ""}start?${query}`;
    }

    /** Start → provider → callback; the app URL Tessera redirects to. */
    async function login(provider: string, params: Record<string, string>, discovery = false, browser = new Browser()): Promise<URL> {
      const { location, last, hops } = await browser.follow(startUrl(provider, params, discovery), APP);
      assert.ok(location, `no redirect to the app: ${last.status} ${await last.text()} via ${hops.join(" → ")}`);
      const callback = new URL(hops.find((hop) => hop.includes("/v1/b2b/oauth/callback/"))!);
      for (const name of ["code", "state"]) handledSecrets.add(callback.searchParams.get(name)!);
      const landed = new URL(location);
      handledSecrets.add(landed.searchParams.get("token")!);
      return landed;
    }

    async function organization(fields: Record<string, unknown> = {}) {
      const slug = unique("oauth");
      return (await client.organizations.create({ organization_name: slug, organization_slug: slug, ...fields } as any)).organization;
    }

    it("org-scoped Google login of an existing member: a session with the OAuth factor, provider tokens, the registration", async () => {
      const org = await organization();
      const email = `${unique("ada")}@acme.test`;
      const { member } = await client.organizations.members.create({ organization_id: org.organization_id, email_address: email });
      const person = account(email, { hd: "acme.test" });
      google.nextAccount = person;
      const verifier = randomBytes(32).toString("base64url");
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      const landed = await login("google", { organization_id: org.organization_id, pkce_code_challenge: challenge, provider_prompt: "consent" });
      assert.equal(landed.searchParams.get("stytch_token_type"), "oauth");
      assert.equal(landed.searchParams.get("slug"), org.organization_slug);
      // The member was invited-by-API (active), so the login URL.
      assert.equal(landed.origin + landed.pathname, `${APP}/login`);
      const token = landed.searchParams.get("token")!;

      await expectSdkError(client.oauth.authenticate({ oauth_token: token, pkce_code_verifier: `${verifier}x` }), 400, "pkce_mismatch");
      const response = await client.oauth.authenticate({ oauth_token: token, pkce_code_verifier: verifier });
      assert.equal(response.member_authenticated, true);
      assert.equal(response.member_id, member.member_id);
      assert.equal(response.provider_type, "Google");
      assert.equal(response.provider_subject, person.sub);
      assert.equal(response.reset_sessions, false);
      assert.ok(response.session_token && response.session_jwt);
      assert.ok(response.provider_values?.access_token, "the provider's access token");
      assert.ok(response.provider_values?.id_token);
      assert.ok(response.provider_values?.scopes.includes("openid"));
      const factor = response.member_session!.authentication_factors[0] as any;
      assert.equal(factor.type, "oauth");
      assert.equal(factor.delivery_method, "oauth_google");
      assert.equal(factor.google_oauth_factor.provider_subject, person.sub);
      assert.equal(factor.google_oauth_factor.email_id, (response.member as any).email_id ?? factor.google_oauth_factor.email_id);
      assert.equal(response.member.oauth_registrations.length, 1);
      assert.equal(response.member.oauth_registrations[0]!.provider_subject, person.sub);
      assert.equal(response.member.oauth_registrations[0]!.member_oauth_registration_id, factor.google_oauth_factor.id);
      assert.equal(response.member.email_address_verified, true);
      // The token is single use.
      await expectSdkError(client.oauth.authenticate({ oauth_token: token, pkce_code_verifier: verifier }), 404, "oauth_token_not_found");

      const tokens = await client.organizations.members.oauthProviders.google({ organization_id: org.organization_id, member_id: member.member_id, include_refresh_token: true });
      assert.equal(tokens.access_token, response.provider_values!.access_token);
      assert.equal(tokens.provider_subject, person.sub);
      assert.ok(tokens.refresh_token, "refresh token when asked for");
      assert.ok(tokens.access_token_expires_in! > 3000);
      const withoutRefresh = await client.organizations.members.oauthProviders.google({ organization_id: org.organization_id, member_id: member.member_id });
      assert.equal(withoutRefresh.refresh_token, undefined);

      // The access token expires: the next read refreshes it at the provider with the stored refresh token.
      clock.advanceMinutes(120);
      const refreshed = await client.organizations.members.oauthProviders.google({ organization_id: org.organization_id, member_id: member.member_id });
      assert.notEqual(refreshed.access_token, tokens.access_token);
      assert.ok(refreshed.access_token_expires_in! > 3000);
    });

    it("JIT by verified email domain; refused JIT without it; a member without OAuth tokens has none to read", async () => {
      const open = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["jit.test"] });
      google.nextAccount = account(`${unique("new")}@jit.test`);
      const landed = await login("google", { slug: open.organization_slug });
      assert.equal(landed.origin + landed.pathname, `${APP}/signup`, "no member yet: the signup URL");
      const response = await client.oauth.authenticate({ oauth_token: landed.searchParams.get("token")! });
      assert.equal(response.member_authenticated, true);
      assert.equal(response.member.status, "active");
      assert.equal(response.member.email_address_verified, true);

      const closed = await organization();
      google.nextAccount = account(`${unique("new")}@jit.test`);
      const refused = await login("google", { organization_id: closed.organization_id });
      await expectSdkError(client.oauth.authenticate({ oauth_token: refused.searchParams.get("token")! }), 400, "email_jit_provisioning_not_allowed");

      const { member } = await client.organizations.members.create({ organization_id: closed.organization_id, email_address: `${unique("x")}@jit.test` });
      await expectSdkError(client.organizations.members.oauthProviders.google({ organization_id: closed.organization_id, member_id: member.member_id }), 404, "oauth_registration_not_found");
    });

    it("MFA step-up after OAuth: an intermediate session and mfa_required, no session", async () => {
      const org = await organization({ mfa_policy: "REQUIRED_FOR_ALL" });
      const email = `${unique("mfa")}@acme.test`;
      await client.organizations.members.create({ organization_id: org.organization_id, email_address: email });
      google.nextAccount = account(email);
      const landed = await login("google", { organization_id: org.organization_id });
      const response = await client.oauth.authenticate({ oauth_token: landed.searchParams.get("token")! });
      assert.equal(response.member_authenticated, false);
      assert.equal(response.session_token, "");
      assert.ok(response.intermediate_session_token);
      assert.ok(response.mfa_required);
      assert.equal(response.primary_required, null);
    });

    it("Google without a verified email is refused at the callback; the provider's access_denied is a Stytch error", async () => {
      const org = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["acme.test"] });
      google.nextAccount = account(`${unique("unverified")}@acme.test`, { email_verified: false });
      const browser = new Browser();
      const unverified = await browser.follow(startUrl("google", { organization_id: org.organization_id }), APP);
      assert.equal(unverified.location, null);
      expectStytchError(await unverified.last.json(), 400, "oauth_unverified_email");

      google.nextError = "access_denied";
      google.nextAccount = account(`${unique("denied")}@acme.test`);
      const denied = await new Browser().follow(startUrl("google", { organization_id: org.organization_id }), APP);
      assert.equal(denied.location, null);
      expectStytchError(await denied.last.json(), 400, "oauth_flow_callback_error");
    });

    it("state: replayed, from another browser, unknown or malformed → 4xx and no token", async () => {
      const org = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["acme.test"] });
      google.nextAccount = account(`${unique("state")}@acme.test`);
      const browser = new Browser();
      const first = await browser.follow(startUrl("google", { organization_id: org.organization_id }), APP);
      assert.ok(first.location);
      const callbackUrl = new URL(first.hops.find((hop) => hop.includes("/v1/b2b/oauth/callback/"))!);
      // The same callback again (same browser, same cookie jar would have been cleared: send the cookie by hand).
      const replay = await fetch(callbackUrl, { redirect: "manual" });
      expectStytchError(await replay.json(), 400, "oauth_state_used");

      // Another browser finishes a flow this browser started: its cookie is missing.
      google.nextAccount = account(`${unique("state")}@acme.test`);
      const started = await fetch(startUrl("google", { organization_id: org.organization_id }), { redirect: "manual" });
      const victim = new Browser();
      const atProvider = await victim.follow(started.headers.get("location")!, `${h.baseUrl}/v1/b2b/oauth/callback/`);
      const stolen = await fetch(atProvider.location!, { redirect: "manual" });
      expectStytchError(await stolen.json(), 400, "oauth_state_mismatch");

      for (const query of ["", "?state=", `?state=${projectId}~nope&code=x`, "?state=a&state=b&code=c", `?state=${"x".repeat(5000)}`, "?code=abc"]) {
        const response = await fetch(`${h.baseUrl}/v1/b2b/oauth/callback/google${query}`, { redirect: "manual" });
        assert.ok(response.status >= 400 && response.status < 500, `${query}: ${response.status}`);
        const body = await response.json();
        assert.equal(typeof body.error_type, "string");
      }
      const unknownProvider = await fetch(`${h.baseUrl}/v1/b2b/oauth/callback/myspace?state=x`, { redirect: "manual" });
      expectStytchError(await unknownProvider.json(), 404, "invalid_oauth_provider");
    });

    it("start: redirect URLs must be in the project's list; exactly one organization locator; a known public token; configured provider", async () => {
      const org = await organization();
      const start = (params: Record<string, string>, provider = "google") => fetch(startUrl(provider, params), { redirect: "manual" });
      expectStytchError(await (await start({ organization_id: org.organization_id, login_redirect_url: "https://evil.example/steal" })).json(), 400, "no_match_for_provided_magic_link_url");
      expectStytchError(await (await start({})).json(), 400, "missing_oauth_organization_locator");
      expectStytchError(await (await start({ organization_id: org.organization_id, slug: org.organization_slug })).json(), 400, "too_many_oauth_organization_locators");
      await h.app.services.projectSettings.update(projectId, { oauthProviders: { google: toInput(google.settings()) } });
      expectStytchError(await (await start({ organization_id: org.organization_id }, "slack")).json(), 400, "oauth_config_not_found");
      await restoreProviders();
      const badToken = await fetch(`${h.baseUrl}/v1/b2b/public/oauth/google/start?public_token=public-token-test-${randomUUID()}&organization_id=${org.organization_id}`, { redirect: "manual" });
      expectStytchError(await badToken.json(), 401, "public_token_not_found");
      const ok = await start({ organization_id: org.organization_id, custom_scopes: "https://www.googleapis.com/auth/calendar.readonly", provider_login_hint: "ada@acme.test", provider_state: "evil" });
      assert.equal(ok.status, 302);
      const location = new URL(ok.headers.get("location")!);
      assert.equal(location.searchParams.get("login_hint"), "ada@acme.test");
      assert.notEqual(location.searchParams.get("state"), "evil", "provider_* cannot override the state");
      assert.equal(location.searchParams.get("code_challenge_method"), "S256");
      assert.ok(location.searchParams.get("nonce"));
      assert.ok(location.searchParams.get("scope")!.split(" ").includes("https://www.googleapis.com/auth/calendar.readonly"));
      const cookie = ok.headers.getSetCookie()[0]!;
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
    });

    it("an ID token from the wrong issuer or signed with another key is refused (oauth_auth_code_error), no token handed out", async () => {
      const org = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["acme.test"] });
      const other = new LocalOidcProvider();
      await other.listen();
      await other.configure("http://127.0.0.1/unused");
      try {
        for (const override of [{ issuer: other.issuer }, { jwks_url: `${other.issuer}/jwks` }]) {
          await h.app.services.projectSettings.update(projectId, {
            oauthProviders: { google: { ...toInput(google.settings()), ...toInput(override as any) } },
          });
          google.nextAccount = account(`${unique("forged")}@acme.test`);
          const result = await new Browser().follow(startUrl("google", { organization_id: org.organization_id }), APP);
          assert.equal(result.location, null, JSON.stringify(override));
          expectStytchError(await result.last.json(), 400, "oauth_auth_code_error");
        }
      } finally {
        await restoreProviders();
        await other.close();
      }
    });

    it("an ID token with the wrong audience or nonce, expired, or not valid yet — validly signed — is refused", async () => {
      const org = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["acme.test"] });
      const now = Math.floor(Date.now() / 1000);
      const forgeries: [string, (claims: Record<string, unknown>) => Record<string, unknown>][] = [
        ["audience", (claims) => ({ ...claims, aud: "another-client" })],
        ["nonce", (claims) => ({ ...claims, nonce: "not-the-one-sent" })],
        ["no nonce", ({ nonce: _nonce, ...claims }) => claims],
        ["expired", (claims) => ({ ...claims, iat: now - 7200, exp: now - 3600 })],
        ["not valid yet", (claims) => ({ ...claims, nbf: now + 3600 })],
      ];
      try {
        for (const [label, forge] of forgeries) {
          google.forgeIdToken = forge;
          google.nextAccount = account(`${unique("forged")}@acme.test`);
          const result = await new Browser().follow(startUrl("google", { organization_id: org.organization_id }), APP);
          assert.equal(result.location, null, label);
          expectStytchError(await result.last.json(), 400, "oauth_auth_code_error");
        }
        // The same re-signing without a change passes: the refusals above are the claims', not the re-signing's.
        google.forgeIdToken = (claims) => claims;
        google.nextAccount = account(`${unique("forged")}@acme.test`);
        assert.ok((await new Browser().follow(startUrl("google", { organization_id: org.organization_id }), APP)).location);
      } finally {
        google.forgeIdToken = null;
      }
    });

    it("discovery: Google → intermediate session listing memberships and domain-joinable organizations; exchange and create", async () => {
      const email = `${unique("disc")}@disc.test`;
      const member = await organization();
      await client.organizations.members.create({ organization_id: member.organization_id, email_address: email });
      const joinable = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["disc.test"] });
      await organization({ email_jit_provisioning: "NOT_ALLOWED", email_allowed_domains: ["disc.test"] });
      google.nextAccount = account(email, { name: "Grace Hopper" });
      const landed = await login("google", {}, true);
      assert.equal(landed.searchParams.get("stytch_token_type"), "discovery_oauth");
      assert.equal(landed.origin + landed.pathname, `${APP}/discover`);
      const discovered = await client.oauth.discovery.authenticate({ discovery_oauth_token: landed.searchParams.get("token")! });
      assert.equal(discovered.email_address, email);
      assert.equal(discovered.provider_type, "Google");
      assert.equal(discovered.full_name, "Grace Hopper");
      assert.deepEqual(discovered.provider_tenant_ids, []);
      assert.equal(discovered.provider_tenant_id, "");
      const byOrg = new Map(discovered.discovered_organizations.map((entry: any) => [entry.organization.organization_id, entry]));
      assert.equal(byOrg.size, 2);
      assert.equal((byOrg.get(member.organization_id) as any).membership.type, "active_member");
      assert.equal((byOrg.get(member.organization_id) as any).member_authenticated, true);
      assert.equal((byOrg.get(joinable.organization_id) as any).membership.type, "eligible_to_join_by_email_domain");
      await expectSdkError(client.oauth.discovery.authenticate({ discovery_oauth_token: landed.searchParams.get("token")! }), 404, "oauth_token_not_found");

      const entered = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: discovered.intermediate_session_token, organization_id: joinable.organization_id });
      assert.equal(entered.member_authenticated, true);
      assert.equal((entered.member_session!.authentication_factors[0] as any).delivery_method, "oauth_google");

      google.nextAccount = account(`${unique("founder")}@disc.test`);
      const again = await login("google", {}, true);
      const second = await client.oauth.discovery.authenticate({ discovery_oauth_token: again.searchParams.get("token")! });
      const created = await client.discovery.organizations.create({ intermediate_session_token: second.intermediate_session_token, organization_name: unique("Founded") });
      assert.equal(created.member_authenticated, true);
      assert.equal(created.member.email_address_verified, true);
    });

    it("GitHub (does not verify email): JIT by OAuth tenant yields primary_required and no provider tokens; a verified member logs in and reads GitHub's shape", async () => {
      const org = await organization({ oauth_tenant_jit_provisioning: "RESTRICTED", allowed_oauth_tenants: { github: ["4242"] } });
      const newcomer = `${unique("gh")}@gh.test`;
      github.nextAccount = { id: 1001, login: "newcomer", name: "New Comer", email: newcomer, orgIds: [7, 4242] };
      const landed = await login("github", { organization_id: org.organization_id });
      const pending = await client.oauth.authenticate({ oauth_token: landed.searchParams.get("token")! });
      assert.equal(pending.member_authenticated, false);
      assert.equal(pending.provider_type, "GitHub");
      assert.ok(pending.intermediate_session_token);
      assert.deepEqual(pending.primary_required?.allowed_auth_methods, ["email_otp", "magic_link"]);
      assert.equal(pending.member.email_address_verified, false);
      assert.equal(pending.provider_values?.access_token, "");
      // The withheld factor cannot finish the login on its own, e.g. through an intermediate-session exchange.
      const exchanged = await client.discovery.intermediateSessions
        .exchange({ intermediate_session_token: pending.intermediate_session_token, organization_id: org.organization_id })
        .catch((error: unknown) => ({ member_authenticated: false, refused: error }));
      assert.equal(exchanged.member_authenticated, false);

      // A tenant not in the allowed list.
      github.nextAccount = { id: 1002, login: "stranger", name: "", email: `${unique("gh")}@gh.test`, orgIds: [7] };
      const stranger = await login("github", { organization_id: org.organization_id });
      await expectSdkError(client.oauth.authenticate({ oauth_token: stranger.searchParams.get("token")! }), 403, "invalid_oauth_tenant_for_jit_provisioning");

      // A member whose email is already verified (e.g. through Google) logs in with GitHub.
      const verified = `${unique("gh")}@acme.test`;
      const acme = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["acme.test"] });
      google.nextAccount = account(verified);
      const first = await client.oauth.authenticate({ oauth_token: (await login("google", { organization_id: acme.organization_id })).searchParams.get("token")! });
      github.nextAccount = { id: 1003, login: "verified", name: "V", email: verified, orgIds: [99] };
      const viaGithub = await client.oauth.authenticate({ oauth_token: (await login("github", { organization_id: acme.organization_id })).searchParams.get("token")! });
      assert.equal(viaGithub.member_authenticated, true);
      assert.equal(viaGithub.member_id, first.member_id);
      assert.equal((viaGithub.member_session!.authentication_factors[0] as any).delivery_method, "oauth_github");
      assert.equal(viaGithub.member.oauth_registrations.length, 2);
      const tokens = await client.organizations.members.oauthProviders.github({ organization_id: acme.organization_id, member_id: first.member_id });
      assert.equal(tokens.provider_type, "GitHub");
      assert.equal(tokens.registrations.length, 1);
      assert.equal(tokens.registrations[0]!.provider_subject, "1003");
      assert.deepEqual(tokens.registrations[0]!.provider_tenant_ids, ["99"]);
      assert.equal(tokens.registrations[0]!.access_token, viaGithub.provider_values!.access_token);
    });

    it("Microsoft: email vouched by xms_edov (or email_verified) logs in, else oauth_unverified_email; the tenant id; Microsoft's token shape", async () => {
      const org = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["contoso.test"] });
      microsoft.nextAccount = { sub: randomUUID(), email: `${unique("ms")}@contoso.test`, email_verified: false, tid: "9188040d-6c67-4c5b-b112-36a304b66dad" };
      const refused = await new Browser().follow(startUrl("microsoft", { organization_id: org.organization_id }), APP);
      expectStytchError(await refused.last.json(), 400, "oauth_unverified_email");

      const person = { sub: randomUUID(), email: `${unique("ms")}@contoso.test`, email_verified: false, xms_edov: true, tid: "9188040d-6c67-4c5b-b112-36a304b66dad" };
      microsoft.nextAccount = person;
      const response = await client.oauth.authenticate({ oauth_token: (await login("microsoft", { organization_id: org.organization_id })).searchParams.get("token")! });
      assert.equal(response.member_authenticated, true);
      assert.equal(response.provider_type, "Microsoft");
      assert.equal((response.member_session!.authentication_factors[0] as any).delivery_method, "oauth_microsoft");
      const tokens = await client.organizations.members.oauthProviders.microsoft({ organization_id: org.organization_id, member_id: response.member_id });
      assert.equal(tokens.provider_subject, person.sub);
      assert.equal(tokens.access_token, response.provider_values!.access_token);
      assert.ok(tokens.id_token);
      assert.equal(typeof tokens.access_token_expires_in, "number");
    });

    it("Slack: JIT by workspace → pending member, primary_required; email OTP on the intermediate session finishes it; then Slack logs in and its user and bot tokens read", async () => {
      const org = await organization({ oauth_tenant_jit_provisioning: "RESTRICTED", allowed_oauth_tenants: { slack: ["T9TK3CUKW"] }, email_invites: "ALL_ALLOWED" });
      const email = `${unique("slack")}@slack.test`;
      slack.nextAccount = { userId: "U0G9QF9C6", email, name: "Slack User", tenantId: "T9TK3CUKW" };
      const pending = await client.oauth.authenticate({ oauth_token: (await login("slack", { organization_id: org.organization_id })).searchParams.get("token")! });
      assert.equal(pending.member_authenticated, false);
      assert.equal(pending.member.status, "pending");
      assert.deepEqual(pending.primary_required?.allowed_auth_methods, ["email_otp", "magic_link"]);

      await client.otps.email.loginOrSignup({ organization_id: org.organization_id, email_address: email });
      const verified = await client.otps.email.authenticate({
        organization_id: org.organization_id,
        email_address: email,
        code: await latestCode(email),
        intermediate_session_token: pending.intermediate_session_token,
      });
      assert.equal(verified.member_authenticated, true);
      assert.equal(verified.member.email_address_verified, true);

      const again = await client.oauth.authenticate({ oauth_token: (await login("slack", { organization_id: org.organization_id })).searchParams.get("token")! });
      assert.equal(again.member_authenticated, true);
      assert.equal(again.provider_type, "Slack");
      assert.ok(again.provider_values!.access_token!.startsWith("xoxp-"));
      const tokens = await client.organizations.members.oauthProviders.slack({ organization_id: org.organization_id, member_id: again.member_id });
      assert.equal(tokens.registrations.length, 1);
      const registration = tokens.registrations[0]!;
      assert.equal(registration.provider_subject, "U0G9QF9C6");
      assert.equal(registration.provider_tenant_id, "T9TK3CUKW");
      assert.ok(registration.access_token.startsWith("xoxp-"));
      assert.ok(registration.bot_access_token.startsWith("xoxb-"), "the bot token of the installation");
      assert.deepEqual(registration.bot_scopes, ["commands", "incoming-webhook"]);
    });

    it("HubSpot: a verified member logs in; its access token is refreshed with the stored refresh token when it expires", async () => {
      const org = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["hub.test"] });
      const email = `${unique("hub")}@hub.test`;
      const first = await verifiedMember(org, email);
      hubspot.nextAccount = { userId: "7654321", email, name: "", tenantId: "62515" };
      const response = await client.oauth.authenticate({ oauth_token: (await login("hubspot", { organization_id: org.organization_id })).searchParams.get("token")! });
      assert.equal(response.member_authenticated, true);
      assert.equal(response.member_id, first.member_id);
      assert.equal(response.provider_type, "HubSpot");
      const tokens = await client.organizations.members.oauthProviders.hubspot({ organization_id: org.organization_id, member_id: first.member_id, include_refresh_token: true });
      const registration = tokens.registrations[0]!;
      assert.equal(registration.provider_tenant_id, "62515");
      assert.equal(registration.provider_subject, "7654321");
      assert.ok(registration.refresh_token?.startsWith("hsr-"));
      assert.ok(registration.scopes.includes("crm.objects.contacts.read"));
      clock.advanceMinutes(31);
      const refreshed = (await client.organizations.members.oauthProviders.hubspot({ organization_id: org.organization_id, member_id: first.member_id })).registrations[0]!;
      assert.notEqual(refreshed.access_token, registration.access_token);
      assert.equal(refreshed.refresh_token, undefined);
      assert.ok(refreshed.access_token_expires_in > 1700);
    });

    it("discovery through GitHub (email not vouched for): tenants listed; a verified membership is entered, an unverified one and a new organization need a primary factor", async () => {
      const email = `${unique("ghd")}@ghd.test`;
      const verifiedOrg = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["ghd.test"] });
      await verifiedMember(verifiedOrg, email);
      const unverifiedOrg = await organization();
      await client.organizations.members.create({ organization_id: unverifiedOrg.organization_id, email_address: email });
      github.nextAccount = { id: 2001, login: "disc", name: "Disco Verer", email, orgIds: [31337] };
      const landed = await login("github", {}, true);
      const discovered = await client.oauth.discovery.authenticate({ discovery_oauth_token: landed.searchParams.get("token")! });
      assert.equal(discovered.provider_type, "GitHub");
      assert.deepEqual(discovered.provider_tenant_ids, ["31337"]);
      assert.equal(discovered.provider_tenant_id, "31337");
      const byOrg = new Map(discovered.discovered_organizations.map((entry: any) => [entry.organization.organization_id, entry]));
      assert.equal((byOrg.get(verifiedOrg.organization_id) as any).member_authenticated, true);
      assert.equal((byOrg.get(unverifiedOrg.organization_id) as any).member_authenticated, false);
      assert.ok((byOrg.get(unverifiedOrg.organization_id) as any).primary_required);
      // No domain-joinable organizations without an email proof.
      assert.equal(byOrg.size, 2);

      const created = await client.discovery.organizations.create({ intermediate_session_token: discovered.intermediate_session_token, organization_name: unique("GitHubbers") });
      assert.equal(created.member_authenticated, false, "a new organization needs the email proven");
      assert.ok(created.primary_required);
      assert.equal(created.session_token, "");
    });

    it("an expired access token without a refresh token, or one the provider will not refresh: Stytch's errors", async () => {
      const org = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["expiry.test"] });
      microsoft.issueRefreshTokens = false;
      microsoft.nextAccount = { sub: randomUUID(), email: `${unique("ms")}@expiry.test`, email_verified: true, tid: "tenant-expiry" };
      const ms = await client.oauth.authenticate({ oauth_token: (await login("microsoft", { organization_id: org.organization_id })).searchParams.get("token")! });
      microsoft.issueRefreshTokens = true;
      assert.equal(ms.provider_values!.refresh_token, "");
      const email = `${unique("hub")}@expiry.test`;
      const member = await verifiedMember(org, email);
      hubspot.nextAccount = { userId: "555", email, name: "", tenantId: "62515" };
      await client.oauth.authenticate({ oauth_token: (await login("hubspot", { organization_id: org.organization_id })).searchParams.get("token")! });
      clock.advanceMinutes(90);
      await expectSdkError(client.organizations.members.oauthProviders.microsoft({ organization_id: org.organization_id, member_id: ms.member_id }), 400, "missing_oauth_refresh_token");
      hubspot.refuseRefresh = true;
      try {
        await expectSdkError(client.organizations.members.oauthProviders.hubspot({ organization_id: org.organization_id, member_id: member.member_id }), 400, "unable_to_refresh_oauth_token");
      } finally {
        hubspot.refuseRefresh = false;
      }
    });

    it("provider tokens are sealed at rest: no access, refresh or ID token appears in any stored row", async () => {
      const org = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["sealed.test"] });
      google.nextAccount = account(`${unique("sealed")}@sealed.test`);
      const landed = await login("google", { organization_id: org.organization_id });
      const response = await client.oauth.authenticate({ oauth_token: landed.searchParams.get("token")! });
      const values = response.provider_values!;
      const sql = h.app.services.context.store.sqlExecutor();
      const stored = JSON.stringify([
        await sql.query("SELECT * FROM oauth_registrations"),
        await sql.query("SELECT * FROM one_time_secrets"),
      ]);
      for (const secretValue of [values.access_token!, values.refresh_token!, values.id_token!, landed.searchParams.get("token")!]) {
        assert.ok(secretValue.length > 10);
        assert.ok(!stored.includes(secretValue), "a provider token or the OAuth token is stored in the clear");
      }
    });

    it("an unreachable provider API or token endpoint is a 4xx, never a 5xx", async () => {
      const org = await organization({ oauth_tenant_jit_provisioning: "RESTRICTED", allowed_oauth_tenants: { github: ["1"] } });
      const closed = "http://127.0.0.1:9"; // discard port: nothing listens
      try {
        for (const [override, errorType] of [
          [{ userinfo_url: `${closed}/user` }, "oauth_flow_callback_error"],
          [{ token_url: `${closed}/login/oauth/access_token` }, "oauth_auth_code_error"],
        ] as const) {
          await h.app.services.projectSettings.update(projectId, { oauthProviders: { github: { ...toInput(github.settings()), ...toInput(override) } } });
          github.nextAccount = { id: 3001, login: "down", name: "", email: `${unique("down")}@gh.test`, orgIds: [1] };
          const result = await new Browser().follow(startUrl("github", { organization_id: org.organization_id }), APP);
          assert.equal(result.location, null);
          expectStytchError(await result.last.json(), 400, errorType);
        }
      } finally {
        await restoreProviders();
      }
    });

    it("sessions.exchange: a Google factor carries as is; a GitHub factor as oauth_exchange_github, which proves nothing for an unverified member", async () => {
      const email = `${unique("xchg")}@xchg.test`;
      const home = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["xchg.test"] });
      const viaGoogle = await verifiedMember(home, email);
      const unverified = await organization();
      await client.organizations.members.create({ organization_id: unverified.organization_id, email_address: email });
      const verifiedElsewhere = await organization({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["xchg.test"] });
      await verifiedMember(verifiedElsewhere, email);

      const googleExchange = await client.sessions.exchange({ organization_id: unverified.organization_id, session_token: viaGoogle.session_token });
      assert.equal(googleExchange.member_authenticated, true);
      assert.equal((googleExchange.member_session!.authentication_factors[0] as any).delivery_method, "oauth_google");

      github.nextAccount = { id: 4001, login: "xchg", name: "", email, orgIds: [] };
      const viaGithub = await client.oauth.authenticate({ oauth_token: (await login("github", { organization_id: home.organization_id })).searchParams.get("token")! });
      assert.equal(viaGithub.member_authenticated, true);
      // A member whose email this GitHub session has not proven: primary step-up.
      const githubSessionOnly = (await client.sessions.authenticate({ session_token: viaGithub.session_token })).member_session.authentication_factors;
      assert.ok(githubSessionOnly.some((factor: any) => factor.delivery_method === "oauth_github"));
      const otherUnverified = await organization();
      await client.organizations.members.create({ organization_id: otherUnverified.organization_id, email_address: email });
      const refused = await client.sessions.exchange({ organization_id: otherUnverified.organization_id, session_token: viaGithub.session_token });
      assert.ok(!githubSessionOnly.some((factor: any) => factor.delivery_method === "oauth_google"), "the session holds the GitHub factor alone");
      assert.equal(refused.member_authenticated, false);
      assert.ok(refused.primary_required);
      const entered = await client.sessions.exchange({ organization_id: verifiedElsewhere.organization_id, session_token: viaGithub.session_token });
      assert.equal(entered.member_authenticated, true);
      assert.ok(entered.member_session!.authentication_factors.some((factor: any) => factor.delivery_method === "oauth_exchange_github" && factor.github_oauth_exchange_factor));
    });

    it("allowed_auth_methods: google_oauth admits a Google login; an organization restricted to magic links asks for one", async () => {
      const email = `${unique("rest")}@rest.test`;
      const restricted = await organization({ auth_methods: "RESTRICTED", allowed_auth_methods: ["magic_link"] });
      const admitted = await organization({ auth_methods: "RESTRICTED", allowed_auth_methods: ["google_oauth"] });
      for (const org of [restricted, admitted]) await client.organizations.members.create({ organization_id: org.organization_id, email_address: email });
      google.nextAccount = account(email);
      const stepUp = await client.oauth.authenticate({ oauth_token: (await login("google", { organization_id: restricted.organization_id })).searchParams.get("token")! });
      assert.equal(stepUp.member_authenticated, false);
      assert.deepEqual(stepUp.primary_required?.allowed_auth_methods, ["magic_link"]);
      google.nextAccount = account(email);
      const ok = await client.oauth.authenticate({ oauth_token: (await login("google", { organization_id: admitted.organization_id })).searchParams.get("token")! });
      assert.equal(ok.member_authenticated, true);
    });

    it("the logs (debug level) of every flow above carry no state, code, OAuth token or provider token", async () => {
      const sql = h.app.services.context.store.sqlExecutor();
      // The provider tokens handed out are the ones the registrations hold: read them back through the API.
      for (const row of await sql.query("SELECT organization_id, member_id, provider FROM oauth_registrations")) {
        const provider = String(row.provider) as "google";
        const read: any = await client.organizations.members.oauthProviders[provider]({ organization_id: String(row.organization_id), member_id: String(row.member_id), include_refresh_token: true }).catch(() => null);
        for (const entry of read ? (read.registrations ?? [read]) : []) {
          for (const value of [entry.access_token, entry.refresh_token, entry.id_token, entry.bot_access_token]) if (typeof value === "string" && value !== "") handledSecrets.add(value);
        }
      }
      assert.ok(handledSecrets.size > 40, `secrets collected: ${handledSecrets.size}`);
      assert.ok(logLines.length > 50, "the server logged");
      const text = logLines.join("\n");
      for (const value of handledSecrets) assert.ok(!text.includes(value), `a secret appears in the logs: ${value.slice(0, 6)}…`);
    });
  });
}

function toInput(settings: Record<string, any>): any {
  const map: Record<string, string> = {
    client_id: "clientId",
    client_secret: "clientSecret",
    authorization_url: "authorizationUrl",
    token_url: "tokenUrl",
    userinfo_url: "userinfoUrl",
    issuer: "issuer",
    jwks_url: "jwksUrl",
  };
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [map[key] ?? key, value]));
}

function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("schema", schema);
  return parsed.toString();
}

oauthSuite("OAuth logins (SQLite)");
if (process.env.TEST_DATABASE_URL) oauthSuite("OAuth logins (PostgreSQL)", process.env.TEST_DATABASE_URL);
else it("OAuth logins (PostgreSQL)", { skip: "TEST_DATABASE_URL is not set" }, () => {});
