/** @module /v1/b2b/totp: create a member's TOTP registration, and authenticate a code. */
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import type { RouteDefinition } from "../route.js";
import { authenticationResultToWire, memberToWire, organizationToWire } from "../wire.js";

export function totpRoutes(services: Services): RouteDefinition[] {
  const { totp } = services;
  return [
    {
      method: "POST",
      url: "/v1/b2b/totp",
      summary: "Create a TOTP registration: secret, otpauth QR code and ten recovery codes (shown once)",
      auth: "project",
      bodySchema: "totp-create.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        const created = await totp.create(project, body);
        return {
          member_id: created.member.memberId,
          totp_registration_id: created.totpRegistrationId,
          secret: created.secret,
          qr_code: created.qrCode,
          recovery_codes: created.recoveryCodes,
          member: memberToWire(created.member),
          organization: organizationToWire(created.organization),
        };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/totp/authenticate",
      summary: "Authenticate a TOTP code with an intermediate session token (consumed) or a session",
      auth: "project",
      bodySchema: "totp-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "step_up",
      handler: async ({ project, body }) => authenticationResultToWire(await totp.authenticate(project, body)),
    },
  ];
}
