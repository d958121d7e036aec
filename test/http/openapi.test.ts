import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectStytchError, startHarness, type Harness } from "../support/harness.js";

/** Routes the server core answers, in OpenAPI path syntax; later features add more. */
const EXPECTED_OPERATIONS = [
  "post /v1/b2b/organizations",
  "post /v1/b2b/organizations/search",
  "get /v1/b2b/organizations/{organization_id}",
  "put /v1/b2b/organizations/{organization_id}",
  "delete /v1/b2b/organizations/{organization_id}",
  "post /v1/b2b/organizations/{organization_id}/members",
  "get /v1/b2b/organizations/{organization_id}/member",
  "put /v1/b2b/organizations/{organization_id}/members/{member_id}",
  "delete /v1/b2b/organizations/{organization_id}/members/{member_id}",
  "post /v1/b2b/organizations/members/search",
  "get /v1/b2b/sessions",
  "post /v1/b2b/sessions/authenticate",
  "post /v1/b2b/sessions/revoke",
  "get /v1/b2b/sessions/jwks/{project_id}",
  "get /healthz",
  "get /readyz",
];

const SCIM_SERVER_PATH = /^\w+ \/v1\/b2b\/scim\/\{connection_id\}\//;
const PUBLIC_OPERATIONS = new Set(["get /v1/b2b/sessions/jwks/{project_id}", "get /healthz", "get /readyz", "post /v1/public/{project_id}/oauth2/token"]);
// OAuth's browser endpoints: the start takes the public token, the callback carries state and code.
for (const label of ["get /v1/b2b/public/oauth/{provider}/start", "get /v1/b2b/public/oauth/{provider}/discovery/start", "get /v1/b2b/oauth/callback/{provider}"]) PUBLIC_OPERATIONS.add(label);
// The SSO browser flow: a public token in the query (start) or the IdP's redirect (callback).
for (const operation of ["get /v1/public/sso/start", "get /v1/b2b/sso/callback/{connection_id}", "post /v1/b2b/sso/callback/{connection_id}"]) PUBLIC_OPERATIONS.add(operation);

/** Resolves a local `#/…` JSON pointer in `document`, or undefined. */
function resolvePointer(document: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof node !== "object" || node === null || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function collectRefs(value: unknown, refs: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => collectRefs(item, refs));
  else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "$ref" && typeof inner === "string") refs.push(inner);
      else collectRefs(inner, refs);
    }
  }
  return refs;
}

describe("service endpoints", () => {
  let h: Harness;
  let document: any;
  before(async () => {
    h = await startHarness();
    const response = await fetch(`${h.baseUrl}/openapi.json`);
    assert.equal(response.status, 200);
    document = await response.json();
  });
  after(async () => {
    await h.close();
  });

  describe("GET /openapi.json", () => {
    it("is an OpenAPI 3.1 document with info, paths and components", () => {
      assert.match(document.openapi, /^3\.1\.\d+$/);
      assert.equal(typeof document.info?.title, "string");
      assert.equal(typeof document.info?.version, "string");
      assert.equal(document.jsonSchemaDialect, "https://json-schema.org/draft/2020-12/schema");
      assert.equal(typeof document.paths, "object");
      assert.deepEqual(document.components?.securitySchemes?.basicAuth, { type: "http", scheme: "basic" });
    });

    it("has an operation for each core route, and each operation is a real route", () => {
      const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method} ${path}`),
      );
      for (const expected of EXPECTED_OPERATIONS) assert.ok(operations.includes(expected), `${expected} is documented`);
      for (const operation of operations) {
        const [method, path] = operation.split(" ") as [string, string];
        const url = path.replace(/\{([^}]+)\}/g, ":$1");
        assert.ok(h.app.http.hasRoute({ method: method.toUpperCase() as "GET", url }), `${operation} is routed`);
      }
    });

    it("describes each operation's summary, path parameters, security and responses", () => {
      for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
        for (const [method, operation] of Object.entries(item)) {
          const label = `${method} ${path}`;
          assert.equal(typeof operation.summary, "string", label);
          assert.ok(operation.responses?.["200"], `${label} documents 200`);
          const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
          const declared = (operation.parameters as any[]).filter((p) => p.in === "path").map((p) => p.name).sort();
          assert.deepEqual(declared, templated, `${label} path parameters`);
          for (const parameter of operation.parameters as any[]) {
            if (parameter.in === "path") assert.equal(parameter.required, true, `${label} ${parameter.name}`);
          }
          // The hosted SCIM server authenticates by the connection's bearer token, not the project's Basic credentials.
          const unauthenticatedByProject = PUBLIC_OPERATIONS.has(label) || SCIM_SERVER_PATH.test(label);
          assert.deepEqual(operation.security, unauthenticatedByProject ? [] : [{ basicAuth: [] }], `${label} security`);
        }
      }
    });

    it("gives every body-taking operation a JSON request body schema", () => {
      for (const label of EXPECTED_OPERATIONS.filter((op) => /^(post|put) /.test(op))) {
        const [method, path] = label.split(" ") as [string, string];
        const schema = document.paths[path][method].requestBody?.content?.["application/json"]?.schema;
        assert.ok(schema?.$ref, `${label} has a request body schema`);
        assert.ok(resolvePointer(document, schema.$ref), `${label}: ${schema.$ref} resolves`);
      }
    });

    it("documents the query parameters of the GET routes that take them", () => {
      const names = (path: string): string[] =>
        (document.paths[path].get.parameters as any[]).filter((p) => p.in === "query").map((p) => p.name).sort();
      assert.deepEqual(names("/v1/b2b/sessions"), ["member_id", "organization_id"]);
      assert.deepEqual(names("/v1/b2b/organizations/{organization_id}/member"), ["email_address", "member_id"]);
    });

    it("resolves every $ref inside the document", () => {
      const refs = collectRefs(document);
      assert.ok(refs.length > 0);
      for (const ref of refs) assert.notEqual(resolvePointer(document, ref), undefined, `${ref} resolves`);
    });

    it("lists only operations the server routes", async () => {
      for (const label of EXPECTED_OPERATIONS) {
        const [method, path] = label.split(" ") as [string, string];
        const concrete = path.replace(/\{[^}]+\}/g, "x");
        const response = await h.request(method.toUpperCase(), concrete, method === "get" ? undefined : {});
        assert.notEqual(response.body?.error_type, "route_not_found", label);
        assert.ok(response.status < 500, `${label} answered ${response.status}`);
      }
    });
  });

  describe("health probes", () => {
    it("answers GET /healthz with 200 without credentials", async () => {
      const response = await fetch(`${h.baseUrl}/healthz`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as any;
      assert.equal(body.status_code, 200);
      assert.equal(typeof body.request_id, "string");
      assert.equal(body.status, "ok");
    });

    it("answers GET /readyz with 200 without credentials while the database answers", async () => {
      const response = await fetch(`${h.baseUrl}/readyz`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as any;
      assert.equal(body.status, "ready");
    });

    it("answers GET /readyz with 503 service_unavailable once the database is gone", async () => {
      await h.app.store.close();
      const response = await fetch(`${h.baseUrl}/readyz`);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("retry-after"), "1");
      expectStytchError(await response.json(), 503, "service_unavailable");
      const healthz = await fetch(`${h.baseUrl}/healthz`);
      assert.equal(healthz.status, 200, "liveness does not depend on the database");
    });
  });
});
