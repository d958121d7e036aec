/**
 * @module /v1/b2b/rbac: the project's RBAC policy (Stytch's built-ins merged with the project's
 * custom policy) and organizations' own custom roles.
 */
import type { PolicyRole } from "../../domain/rbac.js";
import type { Services } from "../../services/services.js";
import type { RouteDefinition } from "../route.js";

export function rbacRoutes(services: Services): RouteDefinition[] {
  return [
    {
      method: "GET",
      url: "/v1/b2b/rbac/policy",
      summary: "The project's RBAC policy: the built-in roles and resources with the project's custom ones",
      auth: "project",
      handler: async ({ project }) => ({ policy: await services.rbacPolicies.projectPolicy(project.projectId) }),
    },
    {
      method: "GET",
      url: "/v1/b2b/rbac/organizations/:organization_id",
      summary: "An organization's own custom RBAC roles",
      auth: "project",
      handler: async ({ project, params }) => {
        const organization = await services.organizations.get(project, params.organization_id!);
        return { org_policy: { roles: await services.rbacPolicies.organizationRoles(project.projectId, organization.organizationId) } };
      },
    },
    {
      method: "PUT",
      url: "/v1/b2b/rbac/organizations/:organization_id",
      summary: "Replace an organization's own custom RBAC roles (permissions on the project's custom resources)",
      auth: "project",
      bodySchema: "rbac-organization-policy.request",
      handler: async ({ project, params, body }) => {
        const organization = await services.organizations.get(project, params.organization_id!);
        const { org_policy } = body as { org_policy: { roles: PolicyRole[] } };
        return { org_policy: { roles: await services.rbacPolicies.setOrganizationRoles(project, organization.organizationId, org_policy.roles) } };
      },
    },
  ];
}
