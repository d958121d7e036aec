/** @module /v1/b2b/scim/{organization_id}/connection…: the SDK's `scim.connection` management calls. */
import { rfc3339 } from "../../domain/time.js";
import type { Services } from "../../services/services.js";
import type { ScimConnection, ScimGroup } from "../../store/scim.js";
import type { RouteDefinition } from "../route.js";

/** `SCIMConnection` with every field the Python SDK requires. */
export function scimConnectionToWire(connection: ScimConnection, baseUrl: string): Record<string, unknown> {
  return {
    organization_id: connection.organizationId,
    connection_id: connection.connectionId,
    status: "active",
    display_name: connection.displayName,
    identity_provider: connection.identityProvider,
    base_url: baseUrl,
    bearer_token_last_four: connection.tokenLastFour,
    bearer_token_expires_at: null,
    next_bearer_token_last_four: connection.nextTokenLastFour,
    next_bearer_token_expires_at: null,
    scim_group_implicit_role_assignments: connection.groupRoleAssignments,
    created_at: rfc3339(connection.createdAt),
    updated_at: rfc3339(connection.updatedAt),
  };
}

function groupToWire(group: ScimGroup, organizationId: string): Record<string, unknown> {
  return { group_id: group.groupId, group_name: group.displayName, organization_id: organizationId, connection_id: group.connectionId };
}

export function scimConnectionRoutes(services: Services): RouteDefinition[] {
  const connections = services.scimConnections;
  const wire = (connection: ScimConnection) => scimConnectionToWire(connection, connections.baseUrl(connection));
  const check = (action: string) => ({ params }: { params: Record<string, string> }) => ({
    organizationRef: params.organization_id!,
    resource: "stytch.scim",
    action,
  });
  const base = "/v1/b2b/scim/:organization_id/connection";
  return [
    {
      method: "POST",
      url: base,
      summary: "Create the organization's SCIM connection (the bearer token is shown only here)",
      auth: "project",
      bodySchema: "scim-connection-create.request",
      memberAuthorization: check("create"),
      handler: async ({ project, params, body }) => {
        const { connection, token } = await connections.create(project, params.organization_id!, body);
        const { bearer_token_last_four: _last, next_bearer_token_last_four: _next, ...rest } = wire(connection);
        return { connection: { ...rest, bearer_token: token } };
      },
    },
    {
      method: "GET",
      url: base,
      summary: "Get the organization's SCIM connection",
      auth: "project",
      memberAuthorization: check("get"),
      handler: async ({ project, params }) => ({ connection: wire(await connections.get(project, params.organization_id!)) }),
    },
    {
      method: "PUT",
      url: `${base}/:connection_id`,
      summary: "Update a SCIM connection (display name, identity provider, group implicit roles)",
      auth: "project",
      bodySchema: "scim-connection-update.request",
      memberAuthorization: check("update"),
      handler: async ({ project, params, body }) => ({
        connection: wire(await connections.update(project, params.organization_id!, params.connection_id!, body)),
      }),
    },
    {
      method: "DELETE",
      url: `${base}/:connection_id`,
      summary: "Delete a SCIM connection (its users and groups are forgotten; members stay)",
      auth: "project",
      memberAuthorization: check("delete"),
      handler: async ({ project, params }) => ({ connection_id: await connections.delete(project, params.organization_id!, params.connection_id!) }),
    },
    {
      method: "GET",
      url: `${base}/:connection_id`,
      summary: "Page through the groups the identity provider pushed",
      auth: "project",
      querySchema: "scim-connection-groups.query",
      memberAuthorization: check("get"),
      handler: async ({ project, params, query }) => {
        const page = await connections.groups(project, params.organization_id!, params.connection_id!, {
          ...(query.cursor ? { cursor: query.cursor } : {}),
          ...(query.limit !== undefined ? { limit: Number(query.limit) } : {}),
        });
        const organizationId = (await connections.find(project, params.organization_id!, params.connection_id!)).organizationId;
        return { scim_groups: page.groups.map((group) => groupToWire(group, organizationId)), next_cursor: page.nextCursor };
      },
    },
    {
      method: "POST",
      url: `${base}/:connection_id/rotate/start`,
      summary: "Start a bearer token rotation (the next token is shown only here; both work until complete)",
      auth: "project",
      memberAuthorization: check("update"),
      handler: async ({ project, params }) => {
        const { connection, nextToken } = await connections.rotateStart(project, params.organization_id!, params.connection_id!);
        const { next_bearer_token_last_four: _next, ...rest } = wire(connection);
        return { connection: { ...rest, next_bearer_token: nextToken } };
      },
    },
    {
      method: "POST",
      url: `${base}/:connection_id/rotate/complete`,
      summary: "Complete a bearer token rotation: the next token becomes the only one",
      auth: "project",
      memberAuthorization: check("update"),
      handler: async ({ project, params }) => ({ connection: wire(await connections.rotateComplete(project, params.organization_id!, params.connection_id!)) }),
    },
    {
      method: "POST",
      url: `${base}/:connection_id/rotate/cancel`,
      summary: "Cancel a bearer token rotation: the next token stops working",
      auth: "project",
      memberAuthorization: check("update"),
      handler: async ({ project, params }) => ({ connection: wire(await connections.rotateCancel(project, params.organization_id!, params.connection_id!)) }),
    },
  ];
}
