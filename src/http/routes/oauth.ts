/**
 * @module OAuth logins: the browser's start redirects (public token), the providers' callback,
 * `oauth/authenticate`, `oauth/discovery/authenticate`, and the backend's provider-token reads
 * (`organizations/{org}/members/{member}/oauth_providers/{provider}`).
 */
import { rfc3339 } from "../../domain/time.js";
import type { OAuthProviderName } from "../../domain/project-settings.js";
import type { OAuthRegistrationRecord } from "../../store/oauth-registrations.js";
import { requireProvider, type OAuthLoginService, type StartReply } from "../../services/oauth/oauth-logins.js";
import type { HeldProviderTokens, ProviderTokenService } from "../../services/oauth/provider-tokens.js";
import { PROVIDER_TYPE } from "../../services/oauth/providers.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import { RawReply, type RouteDefinition } from "../route.js";
import { authenticationResultToWire } from "../wire.js";
import { discoveryStartToWire } from "./discovery.js";

function cookiesOf(header: string | string[] | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (Array.isArray(header) ? header.join(";") : (header ?? "")).split(";")) {
    const mark = part.indexOf("=");
    if (mark > 0) cookies[part.slice(0, mark).trim()] = part.slice(mark + 1).trim();
  }
  return cookies;
}

function startRedirect(reply: StartReply): RawReply {
  const { cookie } = reply;
  return RawReply.redirect(reply.location, [
    `${cookie.name}=${cookie.value}; Max-Age=${cookie.maxAgeSeconds}; Path=${cookie.path}; HttpOnly; SameSite=Lax${cookie.secure ? "; Secure" : ""}`,
  ]);
}

export function registrationsToWire(registrations: OAuthRegistrationRecord[]): Record<string, unknown>[] {
  return registrations.map((registration) => ({
    provider_type: PROVIDER_TYPE[registration.provider],
    provider_subject: registration.providerSubject,
    member_oauth_registration_id: registration.registrationId,
    profile_picture_url: registration.profilePictureUrl,
    locale: registration.locale,
  }));
}

function expiresInSeconds(expiresAt: number | null, now: number): number {
  return expiresAt === null ? 0 : Math.max(0, Math.floor((expiresAt - now) / 1000));
}

function providerTokensToWire(provider: OAuthProviderName, held: HeldProviderTokens[], includeRefresh: boolean, now: number): Record<string, unknown> {
  const providerType = PROVIDER_TYPE[provider];
  const refresh = (token: string) => (includeRefresh && token !== "" ? { refresh_token: token } : {});
  switch (provider) {
    case "google":
    case "microsoft": {
      const { registration, tokens } = held[0]!;
      return {
        provider_type: providerType,
        provider_subject: registration.providerSubject,
        id_token: tokens.idToken,
        scopes: tokens.scopes,
        access_token: tokens.accessToken,
        access_token_expires_in: expiresInSeconds(tokens.expiresAt, now),
        ...refresh(tokens.refreshToken),
      };
    }
    case "github":
      return {
        provider_type: providerType,
        registrations: held.map(({ registration, tokens }) => ({
          provider_subject: registration.providerSubject,
          provider_tenant_ids: registration.providerTenantIds,
          access_token: tokens.accessToken,
          scopes: tokens.scopes,
        })),
      };
    case "hubspot":
      return {
        provider_type: providerType,
        registrations: held.map(({ registration, tokens }) => ({
          provider_subject: registration.providerSubject,
          provider_tenant_id: registration.providerTenantIds[0] ?? "",
          access_token: tokens.accessToken,
          access_token_expires_in: expiresInSeconds(tokens.expiresAt, now),
          scopes: tokens.scopes,
          ...refresh(tokens.refreshToken),
        })),
      };
    case "slack":
      return {
        provider_type: providerType,
        registrations: held.map(({ registration, tokens }) => ({
          provider_subject: registration.providerSubject,
          provider_tenant_id: registration.providerTenantIds[0] ?? "",
          access_token: tokens.accessToken,
          scopes: tokens.scopes,
          bot_access_token: tokens.botAccessToken,
          bot_scopes: tokens.botScopes,
        })),
      };
  }
}

export function oauthRoutes(services: { oauthLogins: OAuthLoginService; providerTokens: ProviderTokenService; context: { clock: { now(): number } } }): RouteDefinition[] {
  const { oauthLogins, providerTokens } = services;
  return [
    {
      method: "GET",
      url: "/v1/b2b/public/oauth/:provider/start",
      summary: "Start an organization-scoped OAuth login: a 302 to the provider with a state bound to this browser by a cookie",
      auth: "public",
      querySchema: "oauth-start.query",
      handler: async ({ params, query }) => startRedirect(await oauthLogins.start(requireProvider(params.provider!), query, false)),
    },
    {
      method: "GET",
      url: "/v1/b2b/public/oauth/:provider/discovery/start",
      summary: "Start a discovery OAuth login: a 302 to the provider with a state bound to this browser by a cookie",
      auth: "public",
      querySchema: "oauth-start.query",
      handler: async ({ params, query }) => startRedirect(await oauthLogins.start(requireProvider(params.provider!), query, true)),
    },
    {
      method: "GET",
      url: "/v1/b2b/oauth/callback/:provider",
      summary: "The providers' redirect URI: checks state and cookie, exchanges the code, then a 302 to the app with a single-use token",
      auth: "public",
      querySchema: "oauth-callback.query",
      handler: async ({ params, query, headers }) => {
        const provider = requireProvider(params.provider!);
        const url = new URL(`${oauthLogins.redirectUri(provider)}?${new URLSearchParams(query as Record<string, string>).toString()}`);
        const done = await oauthLogins.callback(provider, { ...query, cookies: cookiesOf(headers.cookie), url });
        return RawReply.redirect(done.location, [`${done.clearCookie}=; Max-Age=0; Path=/v1/b2b/oauth/callback; HttpOnly; SameSite=Lax`]);
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/oauth/authenticate",
      summary: "Authenticate an OAuth token (single use, optional PKCE): a session or an intermediate session, and the provider's tokens",
      auth: "project",
      bodySchema: "oauth-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "authentication",
      handler: async ({ project, body }) => {
        const login = await oauthLogins.authenticate(project, body);
        const wire = authenticationResultToWire(login.result);
        return {
          ...wire,
          member: { ...(wire.member as Record<string, unknown>), oauth_registrations: registrationsToWire(login.registrations) },
          provider_subject: login.profile.subject,
          provider_type: PROVIDER_TYPE[login.provider],
          reset_sessions: false,
          provider_values: login.tokens
            ? {
                access_token: login.tokens.accessToken,
                refresh_token: login.tokens.refreshToken,
                id_token: login.tokens.idToken,
                expires_at: login.tokens.expiresAt === null ? null : rfc3339(login.tokens.expiresAt),
                scopes: login.tokens.scopes,
              }
            : { access_token: "", refresh_token: "", id_token: "", expires_at: null, scopes: [] },
        };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/oauth/discovery/authenticate",
      summary: "Authenticate a discovery OAuth token (single use, optional PKCE): a discovery intermediate session and its organizations",
      auth: "project",
      bodySchema: "oauth-discovery-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "discovery",
      handler: async ({ project, body }) => {
        const discovered = await oauthLogins.discoveryAuthenticate(project, body);
        const tenants = discovered.profile.tenantIds;
        return {
          ...discoveryStartToWire(discovered.start),
          provider_type: PROVIDER_TYPE[discovered.provider],
          provider_tenant_id: tenants.length === 1 ? tenants[0] : "",
          provider_tenant_ids: tenants,
          full_name: discovered.profile.name,
        };
      },
    },
    {
      method: "GET",
      url: "/v1/b2b/organizations/:organization_id/members/:member_id/oauth_providers/:provider",
      summary: "A member's access token (and optionally refresh token) from an OAuth provider, refreshed when it has expired",
      auth: "project",
      querySchema: "oauth-provider-tokens.query",
      handler: async ({ project, params, query }) => {
        const provider = requireProvider(params.provider!);
        const held = await providerTokens.read(project, params.organization_id!, params.member_id!, provider);
        return providerTokensToWire(provider, held, query.include_refresh_token === "true", services.context.clock.now());
      },
    },
  ];
}
