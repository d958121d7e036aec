/**
 * @module The SSO login's HTTP side: the browser's `GET /v1/public/sso/start` and the IdP's
 * callback `/v1/b2b/sso/callback/{connection_id}` (both 302s), and the backend's
 * `POST /v1/b2b/sso/authenticate`.
 */
import { AppError } from "../../errors.js";
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import { RawReply, type RouteDefinition } from "../route.js";
import { authenticationResultToWire } from "../wire.js";

/** One string per query parameter (a repeated parameter is refused rather than guessed at). */
function singleValues(query: Record<string, unknown>): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(query ?? {})) {
    if (typeof value !== "string") throw new AppError("bad_request", `${key} must be given once.`);
    values[key] = value;
  }
  return values;
}

export function ssoLoginRoutes(services: Services): RouteDefinition[] {
  const login = services.ssoLogin;
  return [
    {
      method: "GET",
      url: "/v1/public/sso/start",
      summary: "Start an SSO login in the browser (public token): 302 to the connection's identity provider",
      auth: "public",
      querySchema: "sso-start.query",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ query }) => {
        const { location, setCookie } = await login.start(singleValues(query));
        return RawReply.redirect(location, [setCookie]);
      },
    },
    {
      method: "GET",
      url: "/v1/b2b/sso/callback/:connection_id",
      summary: "The OIDC redirect URI of a connection: checks state and cookie, redeems the code, 302 to the app with an sso token",
      auth: "public",
      querySchema: "sso-callback.query",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ params, query, headers }) =>
        RawReply.redirect(await login.oidcCallback(params.connection_id!, singleValues(query), headers.cookie)),
    },
    {
      method: "POST",
      url: "/v1/b2b/sso/callback/:connection_id",
      summary: "The SAML ACS of a connection (HTTP-POST binding): verifies the response, 302 to the app with an sso token",
      auth: "public",
      bodySchema: "sso-saml-callback.request",
      bodyEncodings: ["form"],
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ params, body, headers }) => RawReply.redirect(await login.samlCallback(params.connection_id!, body, headers.cookie)),
    },
    {
      method: "POST",
      url: "/v1/b2b/sso/authenticate",
      summary: "Authenticate an SSO token (single use, optional PKCE): JIT provisioning, then a session or an intermediate session",
      auth: "project",
      bodySchema: "sso-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "authentication",
      handler: async ({ project, body }) => ({ ...authenticationResultToWire(await login.authenticate(project, body)), reset_session: false }),
    },
  ];
}
