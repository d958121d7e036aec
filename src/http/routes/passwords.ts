/** @module /v1/b2b/passwords: authenticate, migrate, strength_check, and the email reset flow. */
import type { Services } from "../../services/services.js";
import { AUTH_ENDPOINT_LIMITS } from "../rate-limits.js";
import type { RouteDefinition } from "../route.js";
import { authenticationResultToWire, memberToWire, memberAnswerToWire } from "../wire.js";

export function passwordRoutes(services: Services): RouteDefinition[] {
  const { passwords } = services;
  return [
    {
      method: "POST",
      url: "/v1/b2b/passwords/authenticate",
      summary: "Authenticate a member's email and password: a session or an intermediate session",
      auth: "project",
      bodySchema: "passwords-authenticate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "authentication",
      handler: async ({ project, body }) => authenticationResultToWire(await passwords.authenticate(project, body)),
    },
    {
      method: "POST",
      url: "/v1/b2b/passwords/migrate",
      summary: "Import a password hash (bcrypt, scrypt, argon2, PBKDF2, MD-5, SHA-1, SHA-512, phpass); creates the member if missing",
      auth: "project",
      bodySchema: "passwords-migrate.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        const imported = await passwords.migrate(project, body);
        return {
          ...memberAnswerToWire(imported.member, imported.organization),
          member_created: imported.memberCreated,
        };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/passwords/strength_check",
      summary: "Check a password against the LUDS policy (offline; no breach lookup)",
      auth: "project",
      bodySchema: "passwords-strength-check.request",
      handler: async ({ body }) => ({ ...passwords.strengthCheck(body) }),
    },
    {
      method: "POST",
      url: "/v1/b2b/passwords/email/reset/start",
      summary: "Email a member a single-use password reset link",
      auth: "project",
      bodySchema: "passwords-email-reset-start.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      handler: async ({ project, body }) => {
        const started = await passwords.resetStart(project, body);
        return {
          member_id: started.member.memberId,
          member_email_id: started.member.emailId,
          member: memberToWire(started.member),
        };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/passwords/email/reset",
      summary: "Set a new password with a reset token; verifies the email and logs the member in",
      auth: "project",
      bodySchema: "passwords-email-reset.request",
      rateLimits: AUTH_ENDPOINT_LIMITS,
      audit: "authentication",
      handler: async ({ project, body }) => {
        const result = await passwords.reset(project, body);
        return { ...authenticationResultToWire(result), member_email_id: result.member.emailId };
      },
    },
  ];
}
