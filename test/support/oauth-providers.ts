/**
 * @module Local OAuth providers for tests, speaking the real protocols on 127.0.0.1:
 * `oidc-provider` configured as "Google" (ID token with `email_verified`, `hd`) or "Microsoft"
 * (`tid`), and a small node:http server with GitHub's real endpoints and JSON shapes (authorize,
 * token with PKCE, /user, /user/emails, /user/orgs). A test picks who logs in next; a browser
 * with a cookie jar drives the redirects.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from "jose";

export interface OidcAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name?: string;
  hd?: string;
  tid?: string;
  xms_edov?: boolean;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An OIDC provider (oidc-provider) whose login screen signs in `nextAccount` at once. */
export class LocalOidcProvider {
  readonly clientId = `client-${randomBytes(6).toString("hex")}`;
  readonly clientSecret = randomBytes(24).toString("hex");
  issuer = "";
  nextAccount: OidcAccount | null = null;
  /** Answer the next authorization with this OAuth error instead of a code (e.g. access_denied). */
  nextError: string | null = null;
  /** Whether code exchanges hand out a refresh token. */
  issueRefreshTokens = true;
  private readonly server: Server;
  private handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  private readonly accounts = new Map<string, OidcAccount>();
  provider: any;
  private signing: { key: CryptoKey; kid: string } | null = null;
  /** When set, the token endpoint's ID token is re-signed with the provider's own key after this changes its claims. */
  forgeIdToken: ((claims: Record<string, unknown>) => Record<string, unknown>) | null = null;

  constructor() {
    this.server = createServer((req, res) => this.handler(req, res));
  }

  /** Listens first (the issuer must be known before Tessera's configuration is written). */
  async listen(): Promise<string> {
    this.issuer = await listen(this.server);
    return this.issuer;
  }

  /** Creates the provider once Tessera's callback URL is known. */
  async configure(redirectUri: string, options: { accessTokenTtlSeconds?: number } = {}): Promise<void> {
    const { default: Provider } = (await import("oidc-provider" as string)) as { default: any };
    // A key of its own (oidc-provider's built-in development key is the same in every instance).
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const signingKey = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString("hex"), alg: "RS256", use: "sig" };
    this.signing = { key: privateKey, kid: signingKey.kid };
    const originalWarn = console.warn;
    console.warn = () => {};
    const provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: this.clientId,
          client_secret: this.clientSecret,
          redirect_uris: [redirectUri],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          token_endpoint_auth_method: "client_secret_post",
        },
      ],
      claims: { openid: ["sub", "hd", "tid", "xms_edov"], email: ["email", "email_verified"], profile: ["name"] },
      conformIdTokenClaims: false,
      jwks: { keys: [signingKey] },
      scopes: ["openid", "email", "profile", "offline_access"],
      issueRefreshToken: async () => this.issueRefreshTokens,
      ttl: { AccessToken: options.accessTokenTtlSeconds ?? 3600, IdToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600, RefreshToken: 86400 },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx: unknown, id: string) => {
        const account = this.accounts.get(id);
        return account ? { accountId: id, claims: async () => ({ ...account }) } : undefined;
      },
    });
    console.warn = originalWarn;
    this.provider = provider;
    const callback = provider.callback();
    this.handler = (req, res) => {
      if (req.url?.startsWith("/interaction/")) {
        this.interact(req, res).catch((error) => {
          res.statusCode = 500;
          res.end(String(error));
        });
        return;
      }
      if (req.url?.startsWith("/auth") && this.nextError) {
        // The provider refuses: back to the redirect URI with an OAuth error (RFC 6749 §4.1.2.1).
        const url = new URL(req.url, this.issuer);
        const error = this.nextError;
        this.nextError = null;
        res.statusCode = 302;
        res.setHeader("location", `${url.searchParams.get("redirect_uri")}?error=${error}&state=${encodeURIComponent(url.searchParams.get("state") ?? "")}`);
        res.end();
        return;
      }
      if (req.url === "/token" && this.forgeIdToken) {
        this.forgedToken(req, res).catch((error) => {
          res.statusCode = 500;
          res.end(String(error));
        });
        return;
      }
      callback(req, res);
    };
  }

  /** The real token answer, its ID token's claims altered and signed again with the same key (signature valid). */
  private async forgedToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) body += chunk;
    const real = await fetch(`${this.issuer}/token?forward=1`, { method: "POST", headers: { "content-type": String(req.headers["content-type"]) }, body });
    const answer = (await real.json()) as Record<string, any>;
    if (typeof answer.id_token === "string") {
      const claims = decodeJwt(answer.id_token) as Record<string, unknown>;
      answer.id_token = await new SignJWT(this.forgeIdToken!(claims)).setProtectedHeader({ alg: "RS256", kid: this.signing!.kid }).sign(this.signing!.key);
    }
    res.statusCode = real.status;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(answer));
  }

  private async interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await this.provider.interactionDetails(req, res);
    const account = this.nextAccount;
    if (!account) throw new Error("no nextAccount set");
    this.accounts.set(account.sub, account);
    const grant = new this.provider.Grant({ accountId: account.sub, clientId: this.clientId });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await this.provider.interactionFinished(req, res, { login: { accountId: account.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  /** The `oauth_providers` entry of Tessera's configuration file. */
  settings(): Record<string, unknown> {
    return {
      client_id: this.clientId,
      client_secret: this.clientSecret,
      authorization_url: `${this.issuer}/auth`,
      token_url: `${this.issuer}/token`,
      userinfo_url: `${this.issuer}/me`,
      issuer: this.issuer,
      jwks_url: `${this.issuer}/jwks`,
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface GitHubAccount {
  id: number;
  login: string;
  name: string;
  email: string;
  orgIds: number[];
}

/** GitHub's OAuth web flow and REST API shapes, on a local port. */
export class LocalGitHub {
  readonly clientId = `Iv1.${randomBytes(8).toString("hex")}`;
  readonly clientSecret = randomBytes(20).toString("hex");
  url = "";
  nextAccount: GitHubAccount | null = null;
  private readonly codes = new Map<string, { account: GitHubAccount; challenge: string; redirectUri: string }>();
  private readonly tokens = new Map<string, GitHubAccount>();
  private readonly server: Server = createServer((req, res) => {
    this.handle(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });

  async listen(): Promise<string> {
    this.url = await listen(this.server);
    return this.url;
  }

  settings(): Record<string, unknown> {
    return {
      client_id: this.clientId,
      client_secret: this.clientSecret,
      authorization_url: `${this.url}/login/oauth/authorize`,
      token_url: `${this.url}/login/oauth/access_token`,
      userinfo_url: `${this.url}/user`,
    };
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.statusCode = status;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    if (url.pathname === "/login/oauth/authorize") {
      const account = this.nextAccount;
      if (!account || url.searchParams.get("client_id") !== this.clientId) return this.json(res, 400, { error: "bad request" });
      const code = randomBytes(10).toString("hex");
      this.codes.set(code, { account, challenge: url.searchParams.get("code_challenge") ?? "", redirectUri: url.searchParams.get("redirect_uri") ?? "" });
      res.statusCode = 302;
      res.setHeader("location", `${url.searchParams.get("redirect_uri")}?code=${code}&state=${encodeURIComponent(url.searchParams.get("state") ?? "")}`);
      return void res.end();
    }
    if (url.pathname === "/login/oauth/access_token" && req.method === "POST") {
      let text = "";
      for await (const chunk of req) text += chunk;
      const form = new URLSearchParams(text);
      const grant = this.codes.get(form.get("code") ?? "");
      this.codes.delete(form.get("code") ?? "");
      const verifierOk = grant && createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url") === grant.challenge;
      // GitHub answers a bad code with 200 and an error object.
      if (!grant || !verifierOk || form.get("client_secret") !== this.clientSecret || form.get("redirect_uri") !== grant.redirectUri) {
        return this.json(res, 200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
      }
      const token = `gho_${randomBytes(18).toString("hex")}`;
      this.tokens.set(token, grant.account);
      return this.json(res, 200, { access_token: token, token_type: "bearer", scope: "read:org,read:user,user:email" });
    }
    const account = this.tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (!account) return this.json(res, 401, { message: "Bad credentials" });
    if (url.pathname === "/user") return this.json(res, 200, { login: account.login, id: account.id, avatar_url: `https://avatars.example/${account.id}`, name: account.name, email: null });
    if (url.pathname === "/user/emails") return this.json(res, 200, [{ email: account.email, primary: true, verified: true, visibility: "private" }]);
    if (url.pathname === "/user/orgs") return this.json(res, 200, account.orgIds.map((id) => ({ login: `org${id}`, id })));
    this.json(res, 404, { message: "Not Found" });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A browser: follows redirects by hand, keeping cookies per host, until a URL starts with `stopAt`. */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  cookieHeader(url: URL): string {
    return [...(this.jar.get(url.host) ?? new Map()).entries()].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** Every hop's response; the last is the one whose Location starts with `stopAt` (or a non-redirect). */
  async follow(start: string, stopAt: string, maxHops = 20): Promise<{ location: string | null; last: Response; hops: string[] }> {
    let url = new URL(start);
    const hops: string[] = [start];
    for (let hop = 0; hop < maxHops; hop++) {
      const cookie = this.cookieHeader(url);
      const response = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
      for (const setCookie of response.headers.getSetCookie()) {
        const [pair] = setCookie.split(";");
        const mark = pair!.indexOf("=");
        const jar = this.jar.get(url.host) ?? new Map<string, string>();
        if (/max-age=0/i.test(setCookie)) jar.delete(pair!.slice(0, mark));
        else jar.set(pair!.slice(0, mark), pair!.slice(mark + 1));
        this.jar.set(url.host, jar);
      }
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || !location) return { location: null, last: response, hops };
      const next = new URL(location, url);
      hops.push(next.href);
      if (next.href.startsWith(stopAt)) return { location: next.href, last: response, hops };
      url = next;
    }
    throw new Error(`too many redirects: ${hops.join(" → ")}`);
  }
}

export interface TenantAccount {
  userId: string;
  email: string;
  name: string;
  tenantId: string;
}

/**
 * Slack's (oauth.v2: `authed_user` user token beside a `token_type: "bot"` bot token,
 * `users.identity`) or HubSpot's (token with refresh, `GET /oauth/v1/access-tokens/{token}`
 * with `hub_id`, `user`, `user_id`) real endpoints and JSON shapes, on a local port.
 */
export class LocalTenantProvider {
  readonly clientId = randomBytes(8).toString("hex");
  readonly clientSecret = randomBytes(20).toString("hex");
  url = "";
  nextAccount: TenantAccount | null = null;
  /** HubSpot access tokens live this long (seconds). */
  accessTokenTtlSeconds = 1800;
  /** Refuse refresh grants (as for a revoked app). */
  refuseRefresh = false;
  private readonly codes = new Map<string, { account: TenantAccount; redirectUri: string }>();
  private readonly tokens = new Map<string, TenantAccount>();
  private readonly refreshTokens = new Map<string, TenantAccount>();
  private readonly server: Server = createServer((req, res) => {
    this.handle(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });

  constructor(readonly kind: "slack" | "hubspot") {}

  async listen(): Promise<string> {
    this.url = await listen(this.server);
    return this.url;
  }

  settings(): Record<string, unknown> {
    return this.kind === "slack"
      ? {
          client_id: this.clientId,
          client_secret: this.clientSecret,
          authorization_url: `${this.url}/oauth/v2/authorize`,
          token_url: `${this.url}/api/oauth.v2.access`,
          userinfo_url: `${this.url}/api/users.identity`,
        }
      : {
          client_id: this.clientId,
          client_secret: this.clientSecret,
          authorization_url: `${this.url}/oauth/authorize`,
          token_url: `${this.url}/oauth/v1/token`,
          userinfo_url: `${this.url}/oauth/v1/access-tokens`,
        };
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.statusCode = status;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(JSON.stringify(body));
  }

  private issue(account: TenantAccount): Record<string, unknown> {
    if (this.kind === "slack") {
      const user = `xoxp-${randomBytes(12).toString("hex")}`;
      this.tokens.set(user, account);
      return {
        ok: true,
        app_id: "A0KRD7HC3",
        authed_user: { id: account.userId, scope: "identity.basic,identity.email,identity.team,identity.avatar", access_token: user, token_type: "user" },
        scope: "commands,incoming-webhook",
        token_type: "bot",
        access_token: `xoxb-${randomBytes(12).toString("hex")}`,
        bot_user_id: "U0KRQLJ9H",
        team: { name: "Slack Softball Team", id: account.tenantId },
        enterprise: null,
        is_enterprise_install: false,
      };
    }
    const access = `hs-${randomBytes(12).toString("hex")}`;
    const refresh = `hsr-${randomBytes(12).toString("hex")}`;
    this.tokens.set(access, account);
    this.refreshTokens.set(refresh, account);
    return { token_type: "bearer", access_token: access, refresh_token: refresh, expires_in: this.accessTokenTtlSeconds };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    if (url.pathname === "/oauth/v2/authorize" || url.pathname === "/oauth/authorize") {
      const account = this.nextAccount;
      if (!account || url.searchParams.get("client_id") !== this.clientId) return this.json(res, 400, { error: "bad request" });
      const code = randomBytes(10).toString("hex");
      this.codes.set(code, { account, redirectUri: url.searchParams.get("redirect_uri") ?? "" });
      res.statusCode = 302;
      res.setHeader("location", `${url.searchParams.get("redirect_uri")}?code=${code}&state=${encodeURIComponent(url.searchParams.get("state") ?? "")}`);
      return void res.end();
    }
    if ((url.pathname === "/api/oauth.v2.access" || url.pathname === "/oauth/v1/token") && req.method === "POST") {
      let text = "";
      for await (const chunk of req) text += chunk;
      const form = new URLSearchParams(text);
      const basic = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      const secretOk = form.get("client_secret") === this.clientSecret || basic === `${this.clientId}:${this.clientSecret}`;
      if (form.get("grant_type") === "refresh_token") {
        const account = this.refreshTokens.get(form.get("refresh_token") ?? "");
        if (!account || !secretOk || this.refuseRefresh) return this.json(res, 400, { status: "BAD_REFRESH_TOKEN", message: "missing or unknown refresh token" });
        return this.json(res, 200, this.issue(account));
      }
      const grant = this.codes.get(form.get("code") ?? "");
      this.codes.delete(form.get("code") ?? "");
      if (!grant || !secretOk || form.get("redirect_uri") !== grant.redirectUri) {
        // Slack answers failures with 200 and ok:false; HubSpot with 400.
        return this.kind === "slack" ? this.json(res, 200, { ok: false, error: "invalid_code" }) : this.json(res, 400, { status: "BAD_AUTH_CODE", message: "bad code" });
      }
      return this.json(res, 200, this.issue(grant.account));
    }
    if (this.kind === "hubspot" && url.pathname.startsWith("/oauth/v1/access-tokens/")) {
      const token = decodeURIComponent(url.pathname.slice("/oauth/v1/access-tokens/".length));
      const account = this.tokens.get(token);
      if (!account) return this.json(res, 404, { status: "error", message: "not found" });
      return this.json(res, 200, {
        token,
        user: account.email,
        hub_domain: "demo.hubspot.test",
        scopes: ["oauth", "crm.objects.contacts.read"],
        hub_id: Number(account.tenantId),
        app_id: 456,
        expires_in: this.accessTokenTtlSeconds,
        user_id: Number(account.userId),
        token_type: "access",
      });
    }
    if (this.kind === "slack" && url.pathname === "/api/users.identity") {
      const account = this.tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      if (!account) return this.json(res, 200, { ok: false, error: "invalid_auth" });
      return this.json(res, 200, {
        ok: true,
        user: { name: account.name, id: account.userId, email: account.email, image_512: `https://slack.example/${account.userId}.png` },
        team: { id: account.tenantId },
      });
    }
    this.json(res, 404, { ok: false, error: "unknown_method" });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
