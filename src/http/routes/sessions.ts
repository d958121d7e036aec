/** @module /v1/b2b/sessions: get, authenticate, revoke, and the public JWKS. */
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS, SESSION_AUTHENTICATE_LIMITS } from "../rate-limits.js";
import type { RouteDefinition } from "../route.js";
import { resolveLocale } from "../../messages/locales.js";
import { authenticationResultToWire, memberSessionToWire, memberToWire, organizationToWire } from "../wire.js";

export function sessionRoutes(services: Services): RouteDefinition[] {
  const { sessions, keys, projects, organizations, exchange, devices, authorization } = services;
  return [
    {
      method: "GET",
      url: "/v1/b2b/sessions",
      summary: "List a member's live sessions",
      auth: "project",
      querySchema: "sessions-get.query",
      handler: async ({ project, query }) => {
        const organization = await organizations.get(project, query.organization_id);
        const live = await sessions.list(project, organization.organizationId, query.member_id);
        return { member_sessions: live.map((session) => memberSessionToWire(session, organization)) };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/sessions/authenticate",
      summary: "Authenticate a session by token or JWT; optionally extend it and change its claims",
      auth: "project",
      bodySchema: "sessions-authenticate.request",
      rateLimits: SESSION_AUTHENTICATE_LIMITS,
      audit: "authentication",
      handler: async ({ project, body }) => {
        const result = await sessions.authenticate(project, body);
        const verdict = body.authorization_check ? await authorization.check(project, result.session, body.authorization_check) : undefined;
        return {
          ...(verdict ? { verdict } : {}),
          member_session: memberSessionToWire(result.session, result.organization),
          session_token: result.sessionToken,
          session_jwt: result.sessionJwt,
          member: memberToWire(result.member),
          organization: organizationToWire(result.organization),
        };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/sessions/revoke",
      summary: "Revoke a session (by id, token or JWT) or all sessions of a member",
      auth: "project",
      bodySchema: "sessions-revoke.request",
      audit: "revocation",
      handler: async ({ project, body }) => {
        await sessions.revoke(project, body);
        return {};
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/sessions/exchange",
      summary: "Switch a member's session into another organization, or step up when its policies are not yet met",
      auth: "project",
      bodySchema: "sessions-exchange.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "exchange",
      handler: async ({ project, body, clientIp, userAgent }) => {
        const result = await exchange.exchange(project, { ...body, locale: resolveLocale(body.locale)! });
        const memberDevice = await devices.observe(result.member, body.telemetry_id, clientIp, userAgent);
        return { ...authenticationResultToWire(result), ...(memberDevice ? { member_device: memberDevice } : {}) };
      },
    },
    {
      method: "GET",
      url: "/v1/b2b/sessions/jwks/:project_id",
      summary: "The project's public signing keys (no credentials needed)",
      auth: "public",
      handler: async ({ params }) => {
        // An unknown project has no keys; answering the same shape reveals nothing.
        const project = await projects.find(params.project_id!);
        return { keys: project ? await keys.jwks(project.projectId) : [] };
      },
    },
  ];
}
