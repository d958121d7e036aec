/**
 * @module The hosted SCIM 2.0 service provider (RFC 7643/7644) under each connection's base URL,
 * `/v1/b2b/scim/{connection_id}/…`: discovery documents, Users and Groups. Bearer-authenticated
 * with the connection's token; every answer and refusal is in SCIM's own shape.
 */
import { AppError } from "../../errors.js";
import type { Services } from "../../services/services.js";
import type { ScimCaller } from "../../services/scim/provisioning.js";
import { discoveryDocument, ERROR_SCHEMA, scimTypeOf } from "../../services/scim/resources.js";
import { RawReply, type RouteDefinition, type RouteRequest } from "../route.js";

const SCIM_CONTENT_TYPE = "application/scim+json";

function scimReply(body: unknown, status = 200, location?: string): RawReply {
  return new RawReply({ status, body, contentType: SCIM_CONTENT_TYPE, ...(location ? { headers: { location } } : {}) });
}

/** RFC 7644 §3.12: `{schemas, status (a string), scimType?, detail}`. */
function scimError(error: { status: number; errorType: string; message: string }): RawReply {
  const scimType = scimTypeOf(error.errorType);
  // Stytch-shaped validation refusals (a non-object body, bad JSON) are SCIM syntax errors here.
  const status = error.status === 415 ? 400 : error.status;
  return new RawReply({
    status,
    contentType: SCIM_CONTENT_TYPE,
    headers: status === 401 ? { "www-authenticate": 'Bearer realm="SCIM"' } : {},
    body: { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail: error.status >= 500 ? "The server could not answer." : error.message },
  });
}

export function scimServerRoutes(services: Services): RouteDefinition[] {
  const { scimConnections, scimProvisioning: provisioning } = services;

  const caller = async (request: RouteRequest): Promise<ScimCaller> => {
    const authorization = request.headers.authorization;
    const connection = await scimConnections.authenticateBearer(request.params.connection_id!, typeof authorization === "string" ? authorization : undefined);
    const project = await services.projects.find(connection.projectId);
    if (!project) throw new AppError("scim_unauthorized");
    return {
      project,
      connection,
      baseUrl: scimConnections.baseUrl(connection).split("?")[0]!,
      requestId: request.requestId,
      route: "",
      ipAddress: request.clientIp,
      userAgent: request.userAgent,
    };
  };

  const base = "/v1/b2b/scim/:connection_id";
  const route = (
    method: RouteDefinition["method"],
    path: string,
    summary: string,
    handle: (scim: ScimCaller, request: RouteRequest) => Promise<RawReply>,
    withBody = false,
  ): RouteDefinition => ({
    method,
    url: `${base}${path}`,
    summary,
    auth: "public",
    ...(withBody ? { bodySchema: "scim-resource.request", bodyEncodings: ["scim"] as ("scim")[] } : {}),
    ...(method === "GET" && (path === "/Users" || path === "/Groups") ? { querySchema: "scim-list.query" } : {}),
    errorReply: (error) => scimError(error),
    handler: async (request) => {
      const scim = await caller(request);
      return handle({ ...scim, route: `${base}${path}` }, request);
    },
  });

  const discovery = (kind: "ServiceProviderConfig" | "ResourceTypes" | "Schemas") => async (scim: ScimCaller, request: RouteRequest) =>
    scimReply(await discoveryDocument(kind, scim.baseUrl, request.params.id));

  return [
    route("GET", "/ServiceProviderConfig", "SCIM: what this service provider supports", discovery("ServiceProviderConfig")),
    route("GET", "/ResourceTypes", "SCIM: resource types (User, Group)", discovery("ResourceTypes")),
    route("GET", "/ResourceTypes/:id", "SCIM: one resource type", discovery("ResourceTypes")),
    route("GET", "/Schemas", "SCIM: schemas (User, enterprise User extension, Group)", discovery("Schemas")),
    route("GET", "/Schemas/:id", "SCIM: one schema", discovery("Schemas")),
    route("POST", "/Users", "SCIM: provision a user (creates or adopts a member)", async (scim, request) => {
      const user = await provisioning.createUser(scim, request.body);
      return scimReply(user, 201, String((user.meta as { location: string }).location));
    }, true),
    route("GET", "/Users", "SCIM: list users (filter, startIndex, count)", async (scim, request) => scimReply(await provisioning.listUsers(scim, request.query ?? {}))),
    route("GET", "/Users/:id", "SCIM: get a user", async (scim, request) => scimReply(await provisioning.getUser(scim, request.params.id!))),
    route("PUT", "/Users/:id", "SCIM: replace a user", async (scim, request) => scimReply(await provisioning.replaceUser(scim, request.params.id!, request.body)), true),
    route("PATCH", "/Users/:id", "SCIM: patch a user (active:false deprovisions)", async (scim, request) => scimReply(await provisioning.patchUser(scim, request.params.id!, request.body)), true),
    route("DELETE", "/Users/:id", "SCIM: deprovision and forget a user", async (scim, request) => {
      await provisioning.deleteUser(scim, request.params.id!);
      return new RawReply({ status: 204 });
    }),
    route("POST", "/Groups", "SCIM: create a group", async (scim, request) => {
      const group = await provisioning.createGroup(scim, request.body);
      return scimReply(group, 201, String((group.meta as { location: string }).location));
    }, true),
    route("GET", "/Groups", "SCIM: list groups (filter, startIndex, count)", async (scim, request) => scimReply(await provisioning.listGroups(scim, request.query ?? {}))),
    route("GET", "/Groups/:id", "SCIM: get a group", async (scim, request) => scimReply(await provisioning.getGroup(scim, request.params.id!))),
    route("PUT", "/Groups/:id", "SCIM: replace a group", async (scim, request) => scimReply(await provisioning.replaceGroup(scim, request.params.id!, request.body)), true),
    route("PATCH", "/Groups/:id", "SCIM: patch a group (members add/remove, rename)", async (scim, request) => scimReply(await provisioning.patchGroup(scim, request.params.id!, request.body)), true),
    route("DELETE", "/Groups/:id", "SCIM: delete a group (its role grants end)", async (scim, request) => {
      await provisioning.deleteGroup(scim, request.params.id!);
      return new RawReply({ status: 204 });
    }),
  ];
}
