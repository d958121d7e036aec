/** @module /v1/b2b/discovery: list enterable organizations, enter one with an intermediate session, create one. */
import { rfc3339 } from "../../domain/time.js";
import { resolveLocale } from "../../messages/locales.js";
import type { DiscoveredOrganization, DiscoveryStart } from "../../services/discovery.js";
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import type { RouteDefinition } from "../route.js";
import { authenticationResultToWire, memberToWire, organizationToWire } from "../wire.js";

/** Discovered organizations on the wire (wire-spec §2.7): the one shape of the list and of the discovery email authenticates. */
export function discoveredOrganizationsToWire(discovered: DiscoveredOrganization[]): Record<string, unknown>[] {
  return discovered.map((entry) => ({
    member_authenticated: entry.memberAuthenticated,
    organization: organizationToWire(entry.organization),
    membership: {
      type: entry.membershipType,
      details: entry.domain === null ? null : { domain: entry.domain },
      member: entry.member ? memberToWire(entry.member) : null,
    },
    primary_required: entry.primaryRequired,
    mfa_required: entry.mfaRequired,
  }));
}

/** The answer of `magic_links/discovery/authenticate` and `otps/email/discovery/authenticate`. */
export function discoveryStartToWire(start: DiscoveryStart): Record<string, unknown> {
  return {
    intermediate_session_token: start.intermediateSessionToken,
    intermediate_session_token_expires_at: rfc3339(start.intermediateSessionExpiresAt),
    email_address: start.emailAddress,
    discovered_organizations: discoveredOrganizationsToWire(start.discovered),
  };
}

export function discoveryRoutes(services: Services): RouteDefinition[] {
  const { discovery, devices } = services;
  return [
    {
      method: "POST",
      url: "/v1/b2b/discovery/organizations",
      summary: "The organizations a session or intermediate session can enter, and what entering each would take",
      auth: "project",
      bodySchema: "discovery-organizations.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "discovery",
      handler: async ({ project, body }) => {
        const result = await discovery.listOrganizations(project, body);
        return {
          email_address: result.emailAddress,
          organization_id_hint: result.organizationIdHint,
          discovered_organizations: discoveredOrganizationsToWire(result.discovered),
        };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/discovery/intermediate_sessions/exchange",
      summary: "Enter an organization with an intermediate session (accepting an invite or joining by email domain)",
      auth: "project",
      bodySchema: "discovery-intermediate-sessions-exchange.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "discovery",
      handler: async ({ project, body, clientIp, userAgent }) => {
        const result = await discovery.exchangeIntermediateSession(project, { ...body, locale: resolveLocale(body.locale)! });
        const memberDevice = await devices.observe(result.member, body.telemetry_id, clientIp, userAgent);
        return { ...authenticationResultToWire(result), ...(memberDevice ? { member_device: memberDevice } : {}) };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/discovery/organizations/create",
      summary: "Create an organization whose first member, an admin, is the intermediate session's person",
      auth: "project",
      bodySchema: "discovery-organizations-create.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "discovery",
      handler: async ({ project, body, clientIp, userAgent }) => {
        const { telemetry_id: telemetryId, ...rest } = body;
        const result = await discovery.createOrganization(project, { ...rest, locale: resolveLocale(body.locale)! });
        const memberDevice = await devices.observe(result.member, telemetryId, clientIp, userAgent);
        return { ...authenticationResultToWire(result), ...(memberDevice ? { member_device: memberDevice } : {}) };
      },
    },
  ];
}
