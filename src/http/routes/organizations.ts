/** @module /v1/b2b/organizations: create, get, update, delete, search. */
import type { Services } from "../../services/services.js";
import type { RouteDefinition } from "../route.js";
import { organizationToWire } from "../wire.js";

export function organizationRoutes(services: Services): RouteDefinition[] {
  const { organizations } = services;
  return [
    {
      method: "POST",
      url: "/v1/b2b/organizations",
      summary: "Create an organization",
      auth: "project",
      bodySchema: "organizations-create.request",
      handler: async ({ project, body }) => ({ organization: organizationToWire(await organizations.create(project, body)) }),
    },
    {
      method: "POST",
      url: "/v1/b2b/organizations/search",
      summary: "Search organizations",
      auth: "project",
      bodySchema: "organizations-search.request",
      handler: async ({ project, body }) => {
        const page = await organizations.search(project, body);
        return {
          organizations: page.items.map(organizationToWire),
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
        organization: organizationToWire(await organizations.get(project, params.organization_id!)),
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
        organization: organizationToWire(await organizations.update(project, params.organization_id!, body)),
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
