/** @module /v1/b2b/recovery_codes: recover (complete MFA with a code), rotate, get. */
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import type { RouteDefinition } from "../route.js";
import { authenticationResultToWire, memberAnswerToWire } from "../wire.js";

export function recoveryCodeRoutes(services: Services): RouteDefinition[] {
  const { recoveryCodes } = services;
  return [
    {
      method: "POST",
      url: "/v1/b2b/recovery_codes/recover",
      summary: "Complete MFA with one of the member's TOTP recovery codes (consumed)",
      auth: "project",
      bodySchema: "recovery-codes-recover.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "step_up",
      handler: async ({ project, body }) => {
        const { result, remaining } = await recoveryCodes.recover(project, body);
        return { ...authenticationResultToWire(result), recovery_codes_remaining: remaining };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/recovery_codes/rotate",
      summary: "Replace the member's recovery codes with ten new ones (shown once)",
      auth: "project",
      bodySchema: "recovery-codes-rotate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        const { codes, member, organization } = await recoveryCodes.rotate(project, body.organization_id, body.member_id);
        return {
          ...memberAnswerToWire(member, organization),
          recovery_codes: codes,
        };
      },
    },
    {
      method: "GET",
      url: "/v1/b2b/recovery_codes/:organization_id/:member_id",
      summary: "A member's unused recovery codes",
      auth: "project",
      handler: async ({ project, params }) => {
        const { codes, member, organization } = await recoveryCodes.get(project, params.organization_id!, params.member_id!);
        return {
          ...memberAnswerToWire(member, organization),
          recovery_codes: codes,
        };
      },
    },
  ];
}
