/**
 * Property-based fuzzing of every endpoint that takes a JSON body (discovered from
 * /openapi.json, so endpoints added later are fuzzed too; SEC-IN-1, SEC-IN-2, SEC-JWT-11,
 * SEC-AV-3): random bodies built from the schema's own field names with values of any type
 * (including real tokens of the right and wrong class), arbitrary JSON, arbitrary text, and
 * mutated session JWTs. The server must never answer 5xx, must always answer a JSON object, and
 * every error must be Stytch-shaped. Seed: FUZZ_SEED; runs per property: FUZZ_RUNS.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { loadSchemas, resolveRef, send } from "../support/adversarial.js";
import { buildWorld, type World } from "../support/adversarial-world.js";
import { FUZZ_RUNS, FUZZ_SEED, fuzzParameters, fuzzTally } from "../support/fuzz-config.js";

interface Operation {
  method: string;
  path: string;
  schemaId: string;
}

const schemas = loadSchemas();

/** Endpoints whose errors are OAuth 2.0-shaped (`error`, `error_description`) instead of Stytch's. */
const OAUTH2_ERROR_PATHS = /\/oauth2\/token$/;
/** The hosted SCIM server: its answers are SCIM resources and RFC 7644 error objects. */
const SCIM_SERVER_PATHS = /^\/v1\/b2b\/scim\/[^/]+\/(Users|Groups|ServiceProviderConfig|ResourceTypes|Schemas)/;

/** A SCIM server answer: < 500, a JSON object, and if an error, SCIM's error shape with the status as a string. */
function checkScimResponse(result: { status: number; text: string }, label: string): void {
  if (result.status >= 500) fuzzTally.serverErrors++;
  assert.ok(result.status < 500, `${label}: HTTP ${result.status}: ${result.text.slice(0, 300)}`);
  if (result.status === 204) return;
  const body = JSON.parse(result.text) as Record<string, unknown>;
  assert.ok(typeof body === "object" && body !== null && !Array.isArray(body), `${label}: body is not a JSON object`);
  if (result.status >= 400) {
    assert.ok(Array.isArray(body.schemas) && body.schemas.includes("urn:ietf:params:scim:api:messages:2.0:Error"), `${label}: SCIM error schema`);
    assert.equal(String(body.status), String(result.status), `${label}: SCIM error status`);
    assert.doesNotMatch(result.text, /\n\s+at |SQLITE|node_modules|TypeError|RangeError/, `${label}: leaks internals`);
  }
}

/** Checks one response: < 500, a JSON object, and if an error, Stytch's shape (or OAuth 2.0's where the endpoint speaks it). */
function checkResponse(result: { status: number; text: string }, label: string, path = ""): void {
  if (SCIM_SERVER_PATHS.test(path)) return checkScimResponse(result, label);
  if (result.status >= 500) fuzzTally.serverErrors++;
  assert.ok(result.status < 500, `${label}: HTTP ${result.status}: ${result.text.slice(0, 300)}`);
  const body = JSON.parse(result.text) as unknown;
  assert.ok(typeof body === "object" && body !== null && !Array.isArray(body), `${label}: body is not a JSON object`);
  const record = body as Record<string, unknown>;
  assert.equal(record.status_code, result.status, `${label}: status_code`);
  assert.equal(typeof record.request_id, "string", `${label}: request_id`);
  if (result.status >= 400) {
    const oauth = OAUTH2_ERROR_PATHS.test(path);
    for (const field of oauth ? ["error", "error_description"] : ["error_type", "error_message", "error_url"]) assert.equal(typeof record[field], "string", `${label}: ${field}`);
    assert.equal(oauth ? "error_type" in record : "error" in record, false, `${label}: ${oauth ? "Stytch" : "OAuth"}-style error key`);
    assert.doesNotMatch(result.text, /\n\s+at |SQLITE|node_modules|TypeError|RangeError/, `${label}: leaks internals`);
  }
}

/** Strings an attacker would try: the world's real tokens and ids, plus hostile text. */
function stringPool(w: World): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        w.live.token,
        w.live.jwt,
        w.revoked.token,
        w.expired.jwt,
        w.orgIst,
        w.discoveryIst,
        w.consumedIst,
        w.otpCode,
        w.other.session.token,
        w.other.session.jwt,
        w.other.ist,
        w.orgA.organizationId,
        w.orgB.organizationId,
        "org-b",
        "ext-b",
        w.memberA.memberId,
        w.live.sessionId,
        "en",
        "pt-br",
        "RESTRICTED",
        "magic_link",
        "ada@example.com",
        "+14155550123",
      ),
    },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "\u0000", "\ud800", "%00", "' OR 1=1 --", "../../etc/passwd", "__proto__", "constructor", "null", "a".repeat(70_000)) },
  );
}

function valueArbitrary(w: World): fc.Arbitrary<unknown> {
  const strings = stringPool(w);
  return fc.oneof(
    { weight: 4, arbitrary: strings },
    { weight: 1, arbitrary: fc.integer({ min: -10, max: 600_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, 5, 60, 527_040, 527_041, 2 ** 53, 1e308, -1e-308, 4.5) },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.array(strings, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("sub", "iss", "https://stytch.com/x", "constructor")), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  );
}

/** A body made of the schema's field names (any subset) with values of any type, plus stray keys. */
function bodyArbitrary(w: World, schemaId: string): fc.Arbitrary<Record<string, unknown>> {
  const root = resolveRef(schemas, schemas.get(schemaId)!);
  const fields = Object.keys((root.properties ?? {}) as Record<string, unknown>);
  const value = valueArbitrary(w);
  const model = Object.fromEntries(fields.map((field) => [field, value]));
  return fc
    .tuple(fc.record(model, { requiredKeys: [] }), fc.dictionary(fc.string({ unit: "binary", maxLength: 10 }), value, { maxKeys: 2 }))
    .map(([known, stray]) => ({ ...stray, ...known }));
}

/** JWT-shaped strings: three base64url segments of random JSON or bytes, or a genuine JWT with one byte changed. */
function jwtArbitrary(w: World): fc.Arbitrary<string> {
  const segment = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value)).toString("base64url")),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString("base64url")),
    fc.constantFrom(...w.live.jwt.split(".")),
    fc.string({ maxLength: 20 }),
  );
  const header = fc
    .record({ alg: fc.constantFrom("RS256", "none", "HS256", "ES256", "PS256", ""), kid: fc.oneof(fc.constant(w.signing.kid), fc.string(), fc.constant(w.other.kid)), typ: fc.constantFrom("JWT", "at+jwt") }, { requiredKeys: [] })
    .map((value) => Buffer.from(JSON.stringify(value)).toString("base64url"));
  const mutated = fc.tuple(fc.nat(), fc.constantFrom(..."ABCabc-_.=+/0")).map(([position, char]) => {
    const index = position % w.live.jwt.length;
    return w.live.jwt.slice(0, index) + char + w.live.jwt.slice(index + 1);
  });
  return fc.oneof(
    fc.tuple(fc.oneof(header, segment), segment, segment).map((parts) => parts.join(".")),
    fc.array(segment, { minLength: 0, maxLength: 6 }).map((parts) => parts.join(".")),
    mutated,
  );
}

describe(`fuzz: request bodies (seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs per property)`, () => {
  let w: World;
  let operations: Operation[] = [];

  before(async () => {
    w = await buildWorld();
    const openApi = (await (await fetch(`${w.h.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> } }>> };
    const params: Record<string, string> = {
      organization_id: w.orgB.organizationId,
      member_id: w.memberB.memberId,
      project_id: w.h.project.projectId,
    };
    for (const [template, methods] of Object.entries(openApi.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const ref = operation.requestBody?.content["application/json"]?.schema.$ref;
        if (!ref) continue;
        const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? "x"));
        operations.push({ method: method.toUpperCase(), path, schemaId: ref.split("/").pop()! });
      }
    }
  });
  after(async () => {
    await w.close();
    console.log(`# fuzz request-bodies: ${operations.length} endpoints, ${fuzzTally.properties} properties, ${fuzzTally.runs} requests, ${fuzzTally.serverErrors} 5xx, seed ${FUZZ_SEED}`);
  });

  it("finds the exchange, sessions and discovery endpoints in /openapi.json", () => {
    const paths = operations.map((operation) => operation.path);
    for (const expected of ["/v1/b2b/sessions/exchange", "/v1/b2b/sessions/authenticate", "/v1/b2b/sessions/revoke", "/v1/b2b/discovery/organizations", "/v1/b2b/discovery/intermediate_sessions/exchange", "/v1/b2b/discovery/organizations/create"]) {
      assert.ok(paths.includes(expected), `${expected} is not in /openapi.json`);
    }
  });

  it("finds the M2M client and token endpoints in /openapi.json", () => {
    const paths = operations.map((operation) => operation.path);
    for (const expected of ["/v1/m2m/clients", "/v1/m2m/clients/search", `/v1/public/${w.h.project.projectId}/oauth2/token`]) {
      assert.ok(paths.includes(expected), `${expected} is not in /openapi.json`);
    }
  });

  it("form-encoded token requests of any fields and values: never 5xx, always an OAuth 2.0-shaped answer", async () => {
    fuzzTally.properties++;
    const path = `/v1/public/${w.h.project.projectId}/oauth2/token`;
    const names = fc.oneof(fc.constantFrom("grant_type", "client_id", "client_secret", "scope", "__proto__", "constructor"), fc.string({ maxLength: 8 }));
    const values = fc.oneof(fc.constantFrom("client_credentials", "password", "", "%00", "m2m-client-test-x", "read:users"), fc.string({ unit: "binary", maxLength: 40 }));
    const raw = fc.oneof(
      fc.array(fc.tuple(names, values), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()),
      fc.string({ unit: "binary", maxLength: 120 }),
    );
    await fc.assert(
      fc.asyncProperty(raw, async (text) => {
        fuzzTally.runs++;
        checkResponse(await send(w.target, "POST", path, text, { "content-type": "application/x-www-form-urlencoded" }), `form ${JSON.stringify(text).slice(0, 200)}`, path);
      }),
      fuzzParameters(),
    );
  });

  it("schema-shaped bodies with values of any type: never 5xx, always a JSON object", async () => {
    for (const operation of operations) {
      fuzzTally.properties++;
      await fc.assert(
        fc.asyncProperty(bodyArbitrary(w, operation.schemaId), async (body) => {
          fuzzTally.runs++;
          checkResponse(await send(w.target, operation.method, operation.path, body), `${operation.method} ${operation.path} ${JSON.stringify(body).slice(0, 200)}`, operation.path);
        }),
        fuzzParameters(),
      );
    }
  });

  it("arbitrary JSON and arbitrary text as the body of every endpoint", async () => {
    fuzzTally.properties++;
    const raw = fc.oneof(
      fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.json({ maxDepth: 4 }).chain((text) => fc.nat({ max: Math.max(0, text.length) }).map((cut) => text.slice(0, cut))),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...operations), raw, async (operation, text) => {
        fuzzTally.runs++;
        checkResponse(await send(w.target, operation.method, operation.path, text), `${operation.method} ${operation.path} ${JSON.stringify(text).slice(0, 200)}`, operation.path);
      }),
      fuzzParameters(),
    );
  });

  it("random and mutated JWTs on every endpoint that takes session_jwt (SEC-JWT-11)", async () => {
    fuzzTally.properties++;
    const targets: [string, (jwt: string) => Record<string, unknown>][] = [
      ["/v1/b2b/sessions/authenticate", (jwt) => ({ session_jwt: jwt })],
      ["/v1/b2b/sessions/exchange", (jwt) => ({ organization_id: w.orgB.organizationId, session_jwt: jwt })],
      ["/v1/b2b/discovery/organizations", (jwt) => ({ session_jwt: jwt })],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), jwtArbitrary(w), async ([path, body], jwt) => {
        fuzzTally.runs++;
        const result = await send(w.target, "POST", path, body(jwt));
        checkResponse(result, `${path} ${jwt.slice(0, 120)}`);
        // Only the genuine JWT itself may succeed; no mutation of it authenticates.
        if (jwt !== w.live.jwt) assert.ok(result.status >= 400, `${path}: a forged JWT was accepted: ${jwt}`);
      }),
      fuzzParameters(),
    );
  });
});
