/** @module /v1/b2b/organizations: create, get, update, delete, search. */
import type { Organization } from "../../domain/types.js";
import type { Services } from "../../services/services.js";
import type { RouteDefinition } from "../route.js";
import { organizationToWire } from "../wire.js";

export function organizationRoutes(services: Services): RouteDefinition[] {
  const { organizations } = services;
  // The organization object as these routes answer it: with its active SSO connections.
  const wire = async (organization: Organization) =>
    organizationToWire(organization, (await services.ssoConnections.activeSummaries(organization.projectId, [organization.organizationId])).get(organization.organizationId));
  return [
    {
      method: "POST",
      url: "/v1/b2b/organizations",
      summary: "Create an organization",
      auth: "project",
      bodySchema: "organizations-create.request",
      handler: async ({ project, body }) => ({ organization: await wire(await organizations.create(project, body)) }),
    },
    {
      method: "POST",
      url: "/v1/b2b/organizations/search",
      summary: "Search organizations",
      auth: "project",
      bodySchema: "organizations-search.request",
      handler: async ({ project, body }) => {
        const page = await organizations.search(project, body);
        const active = await services.ssoConnections.activeSummaries(project.projectId, page.items.map((o) => o.organizationId));
        return {
          organizations: page.items.map((organization) => organizationToWire(organization, active.get(organization.organizationId))),
          results_metadata: { total: page.total, next_cursor: page.nextCursor },
        };
      },
    },
    {
      method: "GET",
      url: "/v1/b2b/organizations/:organization_id",
      summary: "Get an organization by id, slug or external id",
      auth: "project",
      handler: async ({ project, params }) => ({
        organization: await wire(await organizations.get(project, params.organization_id!)),
      }),
    },
    {
      method: "PUT",
      url: "/v1/b2b/organizations/:organization_id",
      summary: "Update an organization (only the fields given change)",
      auth: "project",
      bodySchema: "organizations-update.request",
      memberAuthorization: ({ params }) => ({ organizationRef: params.organization_id!, resource: "stytch.organization", action: "update" }),
      handler: async ({ project, params, body }) => ({
        organization: await wire(await organizations.update(project, params.organization_id!, body)),
      }),
    },
    {
      method: "DELETE",
      url: "/v1/b2b/organizations/:organization_id",
      summary: "Delete an organization, its members and their sessions",
      auth: "project",
      memberAuthorization: ({ params }) => ({ organizationRef: params.organization_id!, resource: "stytch.organization", action: "delete" }),
      handler: async ({ project, params }) => ({ organization_id: await organizations.delete(project, params.organization_id!) }),
    },
  ];
}
