/** @module /v1/b2b/magic_links: email login_or_signup, invite, and authenticate; the discovery send and authenticate. */
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import type { RouteDefinition } from "../route.js";
import { authenticationResultToWire, memberAnswerToWire } from "../wire.js";
import { discoveryStartToWire } from "./discovery.js";

export function magicLinkRoutes(services: Services): RouteDefinition[] {
  const { magicLinks } = services;
  return [
    {
      method: "POST",
      url: "/v1/b2b/magic_links/email/login_or_signup",
      summary: "Email a login link to an active member, or a signup link to a pending, invited or new member",
      auth: "project",
      bodySchema: "magic-links-email-login-or-signup.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        const sent = await magicLinks.loginOrSignup(project, body);
        return {
          ...memberAnswerToWire(sent.member, sent.organization),
          member_created: sent.memberCreated,
        };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/magic_links/email/invite",
      summary: "Invite a member: creates it as invited (or re-invites) and emails an invite link",
      auth: "project",
      bodySchema: "magic-links-email-invite.request",
      memberAuthorization: ({ body }) => ({ organizationRef: body.organization_id, resource: "stytch.member", action: "create" }),
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        const sent = await magicLinks.invite(project, body);
        return {
          ...memberAnswerToWire(sent.member, sent.organization),
        };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/magic_links/authenticate",
      summary: "Authenticate a magic link token (single use, optional PKCE): a session or an intermediate session",
      auth: "project",
      bodySchema: "magic-links-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "authentication",
      handler: async ({ project, body }) => {
        const { result, methodId } = await magicLinks.authenticate(project, body);
        return { ...authenticationResultToWire(result), method_id: methodId, reset_sessions: false };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/magic_links/email/discovery/send",
      summary: "Email a discovery link: it proves the address, and leads to choosing (or creating) an organization",
      auth: "project",
      bodySchema: "magic-links-email-discovery-send.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        await magicLinks.discoverySend(project, body);
        return {};
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/magic_links/discovery/authenticate",
      summary: "Authenticate a discovery link token (single use, optional PKCE): a discovery intermediate session and its organizations",
      auth: "project",
      bodySchema: "magic-links-discovery-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "discovery",
      handler: async ({ project, body }) => discoveryStartToWire(await magicLinks.discoveryAuthenticate(project, body)),
    },
  ];
}
