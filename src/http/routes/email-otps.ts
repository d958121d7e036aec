/** @module /v1/b2b/otps/email: login_or_signup and authenticate. */
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import type { RouteDefinition } from "../route.js";
import { authenticationResultToWire, memberToWire, organizationToWire } from "../wire.js";

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
          member_id: sent.member.memberId,
          member_created: sent.memberCreated,
          member: memberToWire(sent.member),
          organization: organizationToWire(sent.organization),
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
  ];
}
