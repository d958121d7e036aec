/**
 * @module `GET /openapi.json`, generated from the route table and the same JSON Schema
 * documents that validate requests (OpenAPI 3.1 speaks JSON Schema 2020-12).
 */
import type { RouteDefinition } from "./route.js";
import type { JsonSchema } from "./validation.js";

/** `common#/$defs/x` → `#/components/schemas/common/$defs/x`, so references resolve inside the document. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === "$ref" && typeof inner === "string") {
      const [documentId, pointer = ""] = inner.split("#");
      out[key] = `#/components/schemas/${documentId}${pointer}`;
    } else if (key !== "$id" && key !== "$schema") {
      out[key] = rewriteRefs(inner);
    }
  }
  return out;
}

export function buildOpenApi(routes: RouteDefinition[], documents: Map<string, JsonSchema>): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z_]+)/g, "{$1}");
    const pathParameters = [...route.url.matchAll(/:([A-Za-z_]+)/g)].map((match) => ({
      name: match[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const querySchema = route.querySchema ? documents.get(route.querySchema) : undefined;
    const queryRequired = new Set((querySchema?.required as string[] | undefined) ?? []);
    const queryParameters = Object.entries((querySchema?.properties as Record<string, unknown> | undefined) ?? {}).map(([name, schema]) => ({
      name,
      in: "query",
      required: queryRequired.has(name),
      schema: rewriteRefs(schema),
    }));
    const operation: Record<string, unknown> = {
      summary: route.summary,
      security: route.auth === "project" ? [{ basicAuth: [] }] : [],
      parameters: [...pathParameters, ...queryParameters],
      responses: {
        "200": { description: "Success: `status_code` 200 and `request_id` with the endpoint's fields." },
        default: { description: "A Stytch-shaped error.", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      },
    };
    if (route.bodySchema) {
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: { $ref: `#/components/schemas/${route.bodySchema}` } } },
      };
    }
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  const schemas: Record<string, unknown> = {
    Error: {
      type: "object",
      required: ["status_code", "request_id", "error_type", "error_message", "error_url"],
      properties: {
        status_code: { type: "integer" },
        request_id: { type: "string" },
        error_type: { type: "string" },
        error_message: { type: "string" },
        error_url: { type: "string" },
        error_details: { type: "object" },
      },
    },
  };
  for (const [id, document] of documents) schemas[id] = rewriteRefs(document);
  return {
    openapi: "3.1.0",
    info: { title: "Tessera — Stytch-compatible B2B API", version: "0.1.0" },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    components: { securitySchemes: { basicAuth: { type: "http", scheme: "basic" } }, schemas },
    paths,
  };
}
