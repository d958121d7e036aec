/** @module /v1/b2b/otps/sms: send a passcode to a member's phone, and authenticate it. */
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import type { RouteDefinition } from "../route.js";
import { authenticationResultToWire, memberAnswerToWire } from "../wire.js";

export function smsOtpRoutes(services: Services): RouteDefinition[] {
  const { smsOtpFlows } = services;
  return [
    {
      method: "POST",
      url: "/v1/b2b/otps/sms/send",
      summary: "Send an SMS one-time passcode (valid 2 minutes) to a member's MFA phone, linking mfa_phone_number if it has none",
      auth: "project",
      bodySchema: "otps-sms-send.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        const { member, organization } = await smsOtpFlows.send(project, body);
        return { ...memberAnswerToWire(member, organization) };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/otps/sms/authenticate",
      summary: "Authenticate an SMS one-time passcode with an intermediate session token (consumed) or a session",
      auth: "project",
      bodySchema: "otps-sms-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "step_up",
      handler: async ({ project, body }) => authenticationResultToWire(await smsOtpFlows.authenticate(project, body)),
    },
  ];
}
