/**
 * @module SCIM 2.0 resources through `scimmy` (RFC 7643/7644): the User (with the enterprise
 * extension) and Group schemas that validate bodies, filters, PATCH semantics, and the discovery
 * documents. Before scimmy sees a body, IdP quirks are normalized (booleans sent as "True").
 * scimmy's refusals become catalogue errors, answered in SCIM's error shape by the routes.
 */
import SCIMMY from "scimmy";
import { scimBoolean } from "../../domain/scim.js";
import { AppError, type ErrorType } from "../../errors.js";

SCIMMY.Resources.declare(SCIMMY.Resources.User).extend(SCIMMY.Schemas.EnterpriseUser, false);
SCIMMY.Resources.declare(SCIMMY.Resources.Group);
SCIMMY.Config.set({ patch: true, filter: true, sort: false, bulk: false, changePassword: false, etag: false });

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

const SCIM_TYPE_ERRORS: Record<string, ErrorType> = {
  invalidSyntax: "scim_invalid_syntax",
  invalidValue: "scim_invalid_value",
  invalidFilter: "scim_invalid_filter",
  invalidPath: "scim_invalid_value",
  noTarget: "scim_no_target",
  mutability: "scim_mutability",
  uniqueness: "scim_uniqueness",
  tooMany: "scim_invalid_value",
};

/** scimType of a catalogue error, for the SCIM error body (undefined: none). */
export function scimTypeOf(errorType: string): string | undefined {
  for (const [scimType, mapped] of Object.entries(SCIM_TYPE_ERRORS)) if (mapped === errorType && scimType !== "invalidPath" && scimType !== "tooMany") return scimType;
  return errorType === "invalid_json" || errorType === "bad_request" ? "invalidSyntax" : undefined;
}

/** Runs a scimmy step; its SCIMError (or any TypeError it throws on odd input) becomes a 4xx. */
export async function viaScimmy<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof AppError) throw error;
    const scimError = error as { status?: number; scimType?: string; message?: string };
    if (error instanceof SCIMMY.Types.Error || (error instanceof Error && typeof scimError.status === "number")) {
      throw new AppError(SCIM_TYPE_ERRORS[scimError.scimType ?? ""] ?? (scimError.status === 404 ? "scim_not_found" : "scim_invalid_value"), scimError.message);
    }
    if (error instanceof TypeError || error instanceof RangeError) throw new AppError("scim_invalid_value", "The SCIM request could not be applied.");
    throw error;
  }
}

/** A resource as plain JSON (scimmy instances carry getters and meta). */
function plain(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `active` as a boolean wherever an IdP may have sent "True"/"False". */
function normalizeActive(resource: Record<string, unknown>): Record<string, unknown> {
  if (!("active" in resource)) return resource;
  const active = scimBoolean(resource.active);
  return active === null ? resource : { ...resource, active };
}

/** What the server keeps of a User body: scimmy-validated attributes, without id and meta. */
export async function validUser(body: unknown): Promise<Record<string, unknown>> {
  if (!isObject(body)) throw new AppError("scim_invalid_syntax", "The request body must be a SCIM User object.");
  const schemas = Array.isArray(body.schemas) && body.schemas.length > 0 ? body.schemas : [USER_SCHEMA];
  const resource = plain(await viaScimmy(() => new SCIMMY.Schemas.User(normalizeActive({ ...body, schemas }), "in")));
  delete resource.id;
  delete resource.meta;
  if (typeof resource.userName !== "string" || resource.userName.trim() === "") throw new AppError("scim_invalid_value", "userName is required.");
  return resource;
}

export async function validGroup(body: unknown): Promise<Record<string, unknown>> {
  if (!isObject(body)) throw new AppError("scim_invalid_syntax", "The request body must be a SCIM Group object.");
  const schemas = Array.isArray(body.schemas) && body.schemas.length > 0 ? body.schemas : [GROUP_SCHEMA];
  const resource = plain(await viaScimmy(() => new SCIMMY.Schemas.Group({ ...body, schemas }, "in")));
  delete resource.id;
  delete resource.meta;
  if (typeof resource.displayName !== "string" || resource.displayName.trim() === "") throw new AppError("scim_invalid_value", "displayName is required.");
  return resource;
}

/**
 * A PatchOp body with the IdP quirks scimmy does not take itself: `active` values as strings,
 * in a path or in a path-less value object. (`op` in any case scimmy already accepts.)
 */
function normalizedPatch(body: unknown): unknown {
  if (!isObject(body) || !Array.isArray(body.Operations)) return body;
  return {
    ...body,
    Operations: body.Operations.map((operation: unknown) => {
      if (!isObject(operation)) return operation;
      const path = typeof operation.path === "string" ? operation.path.trim().toLowerCase() : "";
      if (path === "active") {
        const active = scimBoolean(operation.value);
        return active === null ? operation : { ...operation, value: active };
      }
      if (path === "" && isObject(operation.value)) return { ...operation, value: normalizeActive(operation.value) };
      return operation;
    }),
  };
}

/** Applies a PatchOp body to a stored resource and returns the new attributes (without id and meta). */
export async function patched(kind: "User" | "Group", current: Record<string, unknown>, id: string, body: unknown): Promise<Record<string, unknown>> {
  const Schema = kind === "User" ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
  const result = await viaScimmy(async () => {
    const message = new SCIMMY.Messages.PatchOp(normalizedPatch(body) as ConstructorParameters<typeof SCIMMY.Messages.PatchOp>[0]);
    const instance = new Schema({ ...current, id, schemas: current.schemas ?? [kind === "User" ? USER_SCHEMA : GROUP_SCHEMA] }, "out");
    return (await message.apply(instance)) ?? instance;
  });
  const resource = plain(result);
  delete resource.id;
  delete resource.meta;
  return resource;
}

/** The resources that match a SCIM filter expression. */
export async function filtered<T extends Record<string, unknown>>(resources: T[], filter: string | undefined): Promise<T[]> {
  if (filter === undefined || filter.trim() === "") return resources;
  return viaScimmy(() => new SCIMMY.Types.Filter(filter).match(resources) as T[]);
}

/** /ServiceProviderConfig, /ResourceTypes and /Schemas as scimmy describes them, located under `baseUrl`. */
export async function discoveryDocument(kind: "ServiceProviderConfig" | "ResourceTypes" | "Schemas", baseUrl: string, id?: string): Promise<unknown> {
  const location = baseUrl.split("?")[0]!;
  return viaScimmy(async () => {
    if (kind === "ServiceProviderConfig") return plain(await new SCIMMY.Resources.ServiceProviderConfig().read());
    const Resource = kind === "ResourceTypes" ? SCIMMY.Resources.ResourceType : SCIMMY.Resources.Schema;
    const read = await new Resource(id).read();
    const value = plain(read);
    return rebase(value, location);
  });
}

/** scimmy writes relative `meta.location`s; the IdP gets absolute ones under the base URL. */
function rebase(value: unknown, location: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rebase(item, location));
  if (!isObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = key === "location" && typeof item === "string" && item.startsWith("/") ? `${location}${item}` : rebase(item, location);
  }
  return copy;
}
