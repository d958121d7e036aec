/** @module /v1/b2b/otps/email: login_or_signup and authenticate; the discovery send and authenticate. */
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import type { RouteDefinition } from "../route.js";
import { authenticationResultToWire, memberAnswerToWire } from "../wire.js";
import { discoveryStartToWire } from "./discovery.js";

export function emailOtpRoutes(services: Services): RouteDefinition[] {
  const { emailOtps } = services;
  return [
    {
      method: "POST",
      url: "/v1/b2b/otps/email/login_or_signup",
      summary: "Email a 6-digit passcode to a member (login) or to a pending, invited or new member (signup)",
      auth: "project",
      bodySchema: "otps-email-login-or-signup.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        const sent = await emailOtps.loginOrSignup(project, body);
        return {
          ...memberAnswerToWire(sent.member, sent.organization),
          member_created: sent.memberCreated,
        };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/otps/email/authenticate",
      summary: "Authenticate an email passcode: a session or an intermediate session",
      auth: "project",
      bodySchema: "otps-email-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "authentication",
      handler: async ({ project, body }) => {
        const { result, methodId } = await emailOtps.authenticate(project, body);
        return { ...authenticationResultToWire(result), method_id: methodId };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/otps/email/discovery/send",
      summary: "Email a 6-digit discovery passcode: it proves the address, and leads to choosing (or creating) an organization",
      auth: "project",
      bodySchema: "otps-email-discovery-send.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        await emailOtps.discoverySend(project, body);
        return {};
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/otps/email/discovery/authenticate",
      summary: "Authenticate a discovery email passcode: a discovery intermediate session and its organizations",
      auth: "project",
      bodySchema: "otps-email-discovery-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "discovery",
      handler: async ({ project, body }) => discoveryStartToWire(await emailOtps.discoveryAuthenticate(project, body)),
    },
  ];
}
