/**
 * @module Each OAuth provider's protocol: the authorization URL, the code exchange and the profile
 * read after it, and refreshing an access token. Google and Microsoft are OpenID Connect: the ID
 * token is verified by `openid-client` (signature over the provider's JWKS, `iss`, `aud`, `exp`,
 * `nonce`). GitHub, Slack and HubSpot are plain OAuth 2.0 (code exchange through `openid-client`
 * too), then their REST APIs give the profile and tenant. Endpoints come from the project's
 * `oauth_providers` settings; plain http is allowed only to loopback hosts (local test providers).
 */
import * as oidc from "openid-client";
import type { OAuthProviderName, OAuthProviderSettings } from "../../domain/project-settings.js";
import { AppError } from "../../errors.js";

/** Default scopes per provider (Stytch documents Google's; the others are what the profile read needs). */
export const DEFAULT_SCOPES: Record<OAuthProviderName, string[]> = {
  google: ["openid", "email", "profile"],
  microsoft: ["openid", "email", "profile", "offline_access"],
  github: ["read:user", "user:email", "read:org"],
  slack: ["identity.basic", "identity.email", "identity.team", "identity.avatar"],
  hubspot: ["oauth"],
};

/** How Stytch names providers in `provider_type`. */
export const PROVIDER_TYPE: Record<OAuthProviderName, string> = {
  google: "Google",
  microsoft: "Microsoft",
  github: "GitHub",
  slack: "Slack",
  hubspot: "HubSpot",
};

const OIDC_PROVIDERS = new Set<OAuthProviderName>(["google", "microsoft"]);
/** Providers that take a PKCE challenge from Tessera (HubSpot and Slack's oauth.v2 do not). */
const PKCE_PROVIDERS = new Set<OAuthProviderName>(["google", "microsoft", "github"]);
/** Query parameters Tessera sets itself: `provider_*` pass-through may not override them. */
const RESERVED_PARAMETERS = new Set(["client_id", "redirect_uri", "response_type", "state", "nonce", "scope", "user_scope", "code_challenge", "code_challenge_method", "response_mode"]);

export interface ProviderTokens {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  /** Epoch ms, null when the provider gives no lifetime. */
  expiresAt: number | null;
  scopes: string[];
  /** Slack only: the bot token of the installation, if bot scopes were granted. */
  botAccessToken: string;
  botScopes: string[];
}

export interface ProviderProfile {
  subject: string;
  email: string;
  /** The provider vouches that the person owns `email` (Google `email_verified`, Microsoft `email_verified`/`xms_edov`). */
  emailVerified: boolean;
  name: string;
  pictureUrl: string;
  locale: string;
  /** GitHub organizations, the Slack workspace, the HubSpot hub; Google's `hd`, Microsoft's `tid`. */
  tenantIds: string[];
}

/** What the start step keeps to finish the exchange (sealed at rest). */
export interface ExchangeSecrets {
  codeVerifier: string;
  nonce: string;
}

function isLoopback(url: URL): boolean {
  return ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

function configurationOf(provider: OAuthProviderName, settings: OAuthProviderSettings): oidc.Configuration {
  const issuer = settings.issuer ?? new URL(settings.authorizationUrl).origin;
  if (issuer.includes("{tenantid}")) {
    // openid-client checks `iss` against one issuer; a multi-tenant template needs the tenant's own issuer configured.
    throw new AppError("oauth_config_not_found", "Configure the Microsoft tenant's own issuer (the {tenantid} template cannot be verified).");
  }
  const server: oidc.ServerMetadata = {
    issuer,
    authorization_endpoint: settings.authorizationUrl,
    token_endpoint: settings.tokenUrl,
    userinfo_endpoint: settings.userinfoUrl,
    ...(settings.jwksUrl ? { jwks_uri: settings.jwksUrl } : {}),
  };
  const config = new oidc.Configuration(server, settings.clientId, settings.clientSecret);
  const urls = [settings.authorizationUrl, settings.tokenUrl, settings.userinfoUrl, ...(settings.jwksUrl ? [settings.jwksUrl] : [])].map((url) => new URL(url));
  if (urls.some((url) => url.protocol === "http:")) {
    if (!urls.every((url) => url.protocol === "https:" || isLoopback(url))) throw new AppError("oauth_config_not_found", "Provider endpoints must use https.");
    oidc.allowInsecureRequests(config);
  }
  // openid-client skips the ID token's signature for tokens straight from the token endpoint
  // (OIDC Core §3.1.3.7 allows it over TLS); Tessera checks it against the provider's JWKS anyway.
  if (OIDC_PROVIDERS.has(provider) && settings.jwksUrl) oidc.enableNonRepudiationChecks(config);
  if (provider === "slack") config[oidc.customFetch] = slackTokenFetch;
  return config;
}

/**
 * Slack's oauth.v2.access answers `200 {ok:false, error}` for failures and puts the user token
 * under `authed_user` beside a `token_type: "bot"` bot token, which openid-client refuses.
 * The answer is reshaped into a standard token response before openid-client reads it; the bot
 * token travels in extra fields.
 */
const slackTokenFetch: oidc.CustomFetch = async (url, init) => {
  const response = await fetch(url, init as RequestInit);
  if (init.method !== "POST" || !response.headers.get("content-type")?.includes("json")) return response;
  const body = (await response.json().catch(() => null)) as Record<string, any> | null;
  if (!body || body.ok !== true) {
    return Response.json({ error: String(body?.error ?? "invalid_grant") }, { status: 400, headers: { "x-slack-url": url } });
  }
  const user = (body.authed_user ?? {}) as Record<string, any>;
  const userToken = typeof user.access_token === "string" ? user.access_token : "";
  return Response.json({
    access_token: userToken,
    token_type: "bearer",
    scope: String(user.scope ?? ""),
    ...(typeof user.refresh_token === "string" ? { refresh_token: user.refresh_token } : {}),
    ...(typeof user.expires_in === "number" ? { expires_in: user.expires_in } : {}),
    slack_bot_access_token: body.token_type === "bot" && typeof body.access_token === "string" ? body.access_token : "",
    slack_bot_scope: body.token_type === "bot" ? String(body.scope ?? "") : "",
    slack_team_id: String(body.team?.id ?? ""),
    slack_user_id: String(user.id ?? ""),
  });
};

/** The provider's authorization URL; `passThrough` holds `provider_*` parameters without the prefix. */
export async function authorizationUrl(
  provider: OAuthProviderName,
  settings: OAuthProviderSettings,
  options: { redirectUri: string; state: string; scopes: string[]; passThrough: Record<string, string> },
): Promise<{ url: string; secrets: ExchangeSecrets }> {
  const config = configurationOf(provider, settings);
  const secrets: ExchangeSecrets = { codeVerifier: oidc.randomPKCECodeVerifier(), nonce: OIDC_PROVIDERS.has(provider) ? oidc.randomNonce() : "" };
  const parameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.passThrough)) if (!RESERVED_PARAMETERS.has(name)) parameters[name] = value;
  Object.assign(parameters, {
    redirect_uri: options.redirectUri,
    response_type: "code",
    state: options.state,
    // Slack's oauth.v2 takes the user's scopes as `user_scope` (`scope` is for bot scopes).
    [provider === "slack" ? "user_scope" : "scope"]: options.scopes.join(provider === "slack" ? "," : " "),
    ...(secrets.nonce ? { nonce: secrets.nonce } : {}),
    ...(PKCE_PROVIDERS.has(provider)
      ? { code_challenge: await oidc.calculatePKCECodeChallenge(secrets.codeVerifier), code_challenge_method: "S256" }
      : {}),
  });
  return { url: oidc.buildAuthorizationUrl(config, parameters).href, secrets };
}

function scopesOf(value: unknown, fallback: string[]): string[] {
  if (typeof value !== "string") return fallback;
  return value.split(/[\s,]+/).filter((scope) => scope !== "");
}

function tokensOf(response: oidc.TokenEndpointResponse, now: number, requested: string[]): ProviderTokens {
  const extra = response as Record<string, unknown>;
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? "",
    idToken: response.id_token ?? "",
    expiresAt: typeof response.expires_in === "number" ? now + response.expires_in * 1000 : null,
    scopes: scopesOf(response.scope, requested),
    botAccessToken: typeof extra.slack_bot_access_token === "string" ? extra.slack_bot_access_token : "",
    botScopes: scopesOf(extra.slack_bot_scope, []),
  };
}

async function getJson(url: string, accessToken: string): Promise<Record<string, any>> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: "application/json", "user-agent": "tessera" } });
  if (!response.ok) throw new AppError("oauth_flow_callback_error", `The provider's API answered ${response.status}.`);
  const body = (await response.json()) as Record<string, any>;
  if (body === null || typeof body !== "object") throw new AppError("oauth_flow_callback_error", "The provider's API answered no JSON object.");
  return body;
}

/**
 * Exchanges the callback's code (state already checked by the caller against its record, and
 * again by openid-client) and reads the profile.
 */
export async function exchangeCode(
  provider: OAuthProviderName,
  settings: OAuthProviderSettings,
  callbackUrl: URL,
  options: { state: string; secrets: ExchangeSecrets; requestedScopes: string[]; now: number },
): Promise<{ tokens: ProviderTokens; profile: ProviderProfile }> {
  const config = configurationOf(provider, settings);
  let response;
  try {
    response = await oidc.authorizationCodeGrant(config, callbackUrl, {
      expectedState: options.state,
      ...(PKCE_PROVIDERS.has(provider) ? { pkceCodeVerifier: options.secrets.codeVerifier } : {}),
      ...(OIDC_PROVIDERS.has(provider) ? { expectedNonce: options.secrets.nonce, idTokenExpected: true } : {}),
    });
  } catch (error) {
    throw new AppError("oauth_auth_code_error", `The provider refused the authorization code or its ID token did not verify (${describe(error)}).`);
  }
  const tokens = tokensOf(response, options.now, options.requestedScopes);
  try {
    return { tokens, profile: await readProfile(provider, settings, response, tokens) };
  } catch (error) {
    // An unreachable or misbehaving provider API is the provider's failure, not a server error.
    if (error instanceof AppError) throw error;
    throw new AppError("oauth_flow_callback_error", `The provider's API could not be read (${describe(error)}).`);
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error instanceof Error ? error.name : "error";
}

async function readProfile(
  provider: OAuthProviderName,
  settings: OAuthProviderSettings,
  response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  tokens: ProviderTokens,
): Promise<ProviderProfile> {
  switch (provider) {
    case "google":
    case "microsoft": {
      const claims = response.claims();
      if (!claims) throw new AppError("oauth_auth_code_error", "The provider returned no ID token.");
      const email = typeof claims.email === "string" ? claims.email : typeof claims.preferred_username === "string" && provider === "microsoft" ? claims.preferred_username : "";
      const verified = claims.email_verified === true || (provider === "microsoft" && claims.xms_edov === true);
      const tenant = provider === "google" ? claims.hd : claims.tid;
      return {
        subject: claims.sub,
        email,
        emailVerified: verified,
        name: typeof claims.name === "string" ? claims.name : "",
        pictureUrl: typeof claims.picture === "string" ? claims.picture : "",
        locale: typeof claims.locale === "string" ? claims.locale : "",
        tenantIds: typeof tenant === "string" && tenant !== "" ? [tenant] : [],
      };
    }
    case "github": {
      // GitHub's REST API: /user, /user/emails (only a verified primary address is used), /user/orgs.
      const apiBase = settings.userinfoUrl.replace(/\/user\/?$/, "");
      const user = await getJson(settings.userinfoUrl, tokens.accessToken);
      const emails = await fetchList(`${apiBase}/user/emails`, tokens.accessToken);
      const primary = emails.find((entry) => entry.primary === true && entry.verified === true) ?? emails.find((entry) => entry.verified === true);
      const organizations = await fetchList(`${apiBase}/user/orgs`, tokens.accessToken);
      return {
        subject: String(user.id ?? ""),
        email: typeof primary?.email === "string" ? primary.email : "",
        emailVerified: false,
        name: typeof user.name === "string" ? user.name : typeof user.login === "string" ? user.login : "",
        pictureUrl: typeof user.avatar_url === "string" ? user.avatar_url : "",
        locale: "",
        tenantIds: organizations.map((organization) => String(organization.id)).filter((id) => id !== "" && id !== "undefined"),
      };
    }
    case "slack": {
      const identity = await getJson(settings.userinfoUrl, tokens.accessToken);
      if (identity.ok !== true) throw new AppError("oauth_flow_callback_error", "Slack refused the identity request.");
      const extra = response as Record<string, unknown>;
      return {
        subject: String(identity.user?.id ?? extra.slack_user_id ?? ""),
        email: String(identity.user?.email ?? ""),
        emailVerified: false,
        name: String(identity.user?.name ?? ""),
        pictureUrl: String(identity.user?.image_512 ?? identity.user?.image_192 ?? ""),
        locale: "",
        tenantIds: [String(identity.team?.id ?? extra.slack_team_id ?? "")].filter((id) => id !== ""),
      };
    }
    case "hubspot": {
      // HubSpot's token metadata: GET /oauth/v1/access-tokens/{token} → {user, user_id, hub_id, scopes}.
      const info = await getJson(`${settings.userinfoUrl.replace(/\/+$/, "")}/${encodeURIComponent(tokens.accessToken)}`, tokens.accessToken);
      if (Array.isArray(info.scopes)) tokens.scopes = info.scopes.map(String);
      return {
        subject: String(info.user_id ?? ""),
        email: String(info.user ?? ""),
        emailVerified: false,
        name: "",
        pictureUrl: "",
        locale: "",
        tenantIds: info.hub_id === undefined ? [] : [String(info.hub_id)],
      };
    }
  }
}

async function fetchList(url: string, accessToken: string): Promise<Record<string, any>[]> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: "application/json", "user-agent": "tessera" } });
  if (!response.ok) return [];
  const body = (await response.json().catch(() => [])) as unknown;
  return Array.isArray(body) ? (body as Record<string, any>[]) : [];
}

/** A new access token from the stored refresh token (Google, Microsoft, HubSpot). */
export async function refreshTokens(provider: OAuthProviderName, settings: OAuthProviderSettings, held: ProviderTokens, now: number): Promise<ProviderTokens> {
  const config = configurationOf(provider, settings);
  let response;
  try {
    response = await oidc.refreshTokenGrant(config, held.refreshToken);
  } catch {
    throw new AppError("unable_to_refresh_oauth_token");
  }
  const fresh = tokensOf(response, now, held.scopes);
  return {
    ...fresh,
    // Providers that do not rotate refresh tokens (Google) keep the old one; ID tokens are not renewed by every provider.
    refreshToken: fresh.refreshToken || held.refreshToken,
    idToken: fresh.idToken || held.idToken,
    botAccessToken: held.botAccessToken,
    botScopes: held.botScopes,
  };
}
