/** @module /v1/b2b/rbac: the project's RBAC policy (Stytch's built-in roles; see domain/rbac.ts). */
import { BUILT_IN_POLICY } from "../../domain/rbac.js";
import type { Services } from "../../services/services.js";
import type { RouteDefinition } from "../route.js";

export function rbacRoutes(services: Services): RouteDefinition[] {
  return [
    {
      method: "GET",
      url: "/v1/b2b/rbac/policy",
      summary: "The project's RBAC policy: the built-in stytch_member and stytch_admin roles",
      auth: "project",
      handler: async () => ({ policy: BUILT_IN_POLICY }),
    },
    {
      method: "GET",
      url: "/v1/b2b/rbac/organizations/:organization_id",
      summary: "An organization's own RBAC policy (none: organizations cannot define roles yet)",
      auth: "project",
      handler: async ({ project, params }) => {
        await services.organizations.get(project, params.organization_id!);
        return { org_policy: { roles: [] } };
      },
    },
  ];
}
