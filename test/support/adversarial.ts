/**
 * @module Tools for the adversarial suite: wrong-typed variants of a request generated from the
 * endpoint's JSON Schema in src/schemas/, and the one check every refused request must pass —
 * a 4xx (never a 5xx) in Stytch's error shape, nothing leaked in the body, nothing written to
 * the database, and the process still answering /healthz.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type Database from "better-sqlite3";
import { changedTables, snapshot } from "./db-snapshot.js";

const SCHEMAS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../src/schemas");

type Schema = Record<string, unknown>;

/** Every schema document in src/schemas, by `$id`. */
export function loadSchemas(): Map<string, Schema> {
  const documents = new Map<string, Schema>();
  for (const file of readdirSync(SCHEMAS_DIR).filter((name) => name.endsWith(".json"))) {
    const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, file), "utf8")) as Schema;
    documents.set(String(schema.$id), schema);
  }
  return documents;
}

/** Follows `$ref`s of the form `common#/$defs/name` (the only kind the documents use). */
export function resolveRef(schemas: Map<string, Schema>, schema: Schema): Schema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === "string" && hops < 10; hops++) {
    const [documentId, pointer = ""] = (current.$ref as string).split("#");
    let target: unknown = schemas.get(documentId!);
    for (const part of pointer.split("/").filter(Boolean)) target = (target as Record<string, unknown>)[part];
    if (!target) throw new Error(`unresolved $ref ${String(current.$ref)}`);
    const { $ref: _ref, ...rest } = current;
    current = { ...(target as Schema), ...rest };
  }
  return current;
}

export type JsonType = "string" | "integer" | "number" | "boolean" | "null" | "array" | "object";

/** The JSON types a (resolved) property schema accepts; an enum accepts its members' types. */
export function acceptedTypes(schema: Schema): Set<JsonType> {
  const types = new Set<JsonType>();
  const declared = schema.type;
  if (typeof declared === "string") types.add(declared as JsonType);
  if (Array.isArray(declared)) declared.forEach((type) => types.add(type as JsonType));
  if (Array.isArray(schema.enum)) {
    for (const value of schema.enum) {
      types.add(value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "number" ? "number" : (typeof value as JsonType));
    }
  }
  if (types.has("number")) types.add("integer");
  // No type constraint at all (e.g. `filter_value: {}`): everything is accepted.
  if (types.size === 0 && !("enum" in schema)) for (const type of ["string", "integer", "number", "boolean", "null", "array", "object"] as const) types.add(type);
  return types;
}

/** Representative values of each JSON type, including the ones lenient parsers coerce. */
const SAMPLES: Record<JsonType, unknown[]> = {
  string: ["60", ""],
  integer: [60, -1],
  number: [60.5],
  boolean: [true],
  null: [null],
  array: [[], ["x"]],
  object: [{}, { "0": "x" }],
};

/** Fields that carry credentials, targets or claims get every sample; the others one per wrong type. */
const KEY_FIELDS = new Set([
  "organization_id",
  "session_token",
  "session_jwt",
  "intermediate_session_token",
  "member_session_id",
  "member_id",
  "session_duration_minutes",
  "session_custom_claims",
]);

export interface Variant {
  label: string;
  body: Record<string, unknown>;
}

/**
 * For each property of the schema (and one level into nested objects and array items): the
 * base body with that property replaced by every sample of every JSON type it does not accept.
 */
export function wrongTypeVariants(schemas: Map<string, Schema>, schemaId: string, base: Record<string, unknown>): Variant[] {
  const root = resolveRef(schemas, schemas.get(schemaId)!);
  const variants: Variant[] = [];
  const properties = (root.properties ?? {}) as Record<string, Schema>;
  for (const [name, raw] of Object.entries(properties)) {
    const property = resolveRef(schemas, raw);
    const accepted = acceptedTypes(property);
    for (const type of Object.keys(SAMPLES) as JsonType[]) {
      if (accepted.has(type)) continue;
      // An integer field accepts integer-valued numbers: only fractional ones are wrong.
      const samples = type === "number" && accepted.has("integer") ? SAMPLES.number : type === "integer" && accepted.has("number") ? [] : SAMPLES[type];
      (KEY_FIELDS.has(name) ? samples : samples.slice(0, 1)).forEach((sample, index) => variants.push({ label: `${name}: ${type} #${index} ${JSON.stringify(sample)}`, body: { ...base, [name]: sample } }));
    }
    // One level down: wrong types inside a nested object's properties and an array's items.
    if (accepted.has("object") && property.properties) {
      for (const [inner, innerRaw] of Object.entries(property.properties as Record<string, Schema>)) {
        const innerAccepted = acceptedTypes(resolveRef(schemas, innerRaw));
        const validInner = Object.fromEntries(
          ((property.required as string[] | undefined) ?? []).map((key) => [key, "x"]),
        );
        for (const type of ["integer", "boolean", "null", "array", "object"] as const) {
          if (innerAccepted.has(type)) continue;
          variants.push({ label: `${name}.${inner}: ${type}`, body: { ...base, [name]: { ...validInner, [inner]: SAMPLES[type][0] } } });
        }
      }
    }
    if (accepted.has("array") && property.items) {
      const itemAccepted = acceptedTypes(resolveRef(schemas, property.items as Schema));
      for (const type of ["string", "integer", "boolean", "null", "array", "object"] as const) {
        if (itemAccepted.has(type)) continue;
        variants.push({ label: `${name}[]: ${type}`, body: { ...base, [name]: [SAMPLES[type][0]] } });
      }
    }
    if (accepted.has("object") && property.additionalProperties && typeof property.additionalProperties === "object") {
      const valueAccepted = acceptedTypes(resolveRef(schemas, property.additionalProperties as Schema));
      for (const type of ["string", "integer", "boolean", "null", "object"] as const) {
        if (valueAccepted.has(type)) continue;
        variants.push({ label: `${name}{}: ${type}`, body: { ...base, [name]: { key: SAMPLES[type][0] } } });
      }
    }
  }
  return variants;
}

/** Values of the right type but outside the schema's bounds: enums, lengths, integer ranges. */
export function outOfRangeVariants(schemas: Map<string, Schema>, schemaId: string): Variant[] {
  const root = resolveRef(schemas, schemas.get(schemaId)!);
  const variants: Variant[] = [];
  for (const [name, raw] of Object.entries((root.properties ?? {}) as Record<string, Schema>)) {
    const property = resolveRef(schemas, raw);
    if (Array.isArray(property.enum)) {
      for (const value of ["NOT_IN_ENUM", "", " en", "EN"]) {
        if (!property.enum.includes(value)) variants.push({ label: `${name}: not in enum ${JSON.stringify(value)}`, body: { [name]: value } });
      }
    }
    if (typeof property.maxLength === "number") {
      variants.push({ label: `${name}: maxLength + 1`, body: { [name]: "a".repeat(property.maxLength + 1) } });
    }
    if (typeof property.minLength === "number" && property.minLength > 0) {
      variants.push({ label: `${name}: shorter than minLength`, body: { [name]: "a".repeat(property.minLength - 1) } });
    }
    if (typeof property.minimum === "number") variants.push({ label: `${name}: minimum - 1`, body: { [name]: property.minimum - 1 } });
    if (typeof property.maximum === "number") variants.push({ label: `${name}: maximum + 1`, body: { [name]: property.maximum + 1 } });
    if (typeof property.maxItems === "number") {
      variants.push({ label: `${name}: maxItems + 1`, body: { [name]: Array.from({ length: property.maxItems + 1 }, (_, i) => `item${i}`) } });
    }
  }
  return variants;
}

/** The string-typed top-level properties of a schema. */
export function stringProperties(schemas: Map<string, Schema>, schemaId: string): string[] {
  const root = resolveRef(schemas, schemas.get(schemaId)!);
  return Object.entries((root.properties ?? {}) as Record<string, Schema>)
    .filter(([, raw]) => {
      const resolved = resolveRef(schemas, raw);
      return resolved.type === "string" || (Array.isArray(resolved.enum) && resolved.enum.every((value) => typeof value === "string"));
    })
    .map(([name]) => name);
}

/** Things that must never appear in an error body: stack frames, driver and SQL text, paths, secrets. */
const LEAK_PATTERNS: [string, RegExp][] = [
  ["stack frame", /\bat [\w$.<>]+ \(|\n\s+at /],
  ["source location", /\.(?:ts|js|mjs|cjs):\d+/],
  ["file path", /\/(?:work|home|tmp|usr|dist|src)\//],
  ["node_modules", /node_modules/],
  ["sqlite", /sqlite|SQLITE_/i],
  ["SQL", /\b(?:SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|WHERE \w+ =)\b/],
  ["JS error name", /\b(?:TypeError|RangeError|ReferenceError|SyntaxError|Maximum call stack|Cannot read propert|is not a function|undefined is not)\b/],
  ["private key", /PRIVATE KEY/],
  ["project secret", /secret-(?:test|live)-/],
  ["JWT", /eyJ[A-Za-z0-9_-]{10,}/],
];

export interface RefusalExpectation {
  /** The exact HTTP status, or any 4xx when omitted. */
  status?: number;
  /** The exact `error_type`, when it is pinned. */
  errorType?: string;
  /** Values the body must not echo (tokens, JWTs, codes the request carried). */
  secrets?: string[];
}

export interface HttpResult {
  status: number;
  text: string;
  headers: Headers;
}

/** Counters over a whole file, for the figures in docs/security-testing.md. */
export const tally = { cases: 0, serverErrors: 0 };

/** Checks the body of a refusal: 4xx, Stytch shape, `status_code` = HTTP status, no leak. */
export function assertRefusalBody(result: HttpResult, expectation: RefusalExpectation, label: string): Record<string, unknown> {
  if (result.status >= 500) tally.serverErrors++;
  assert.ok(result.status >= 400 && result.status < 500, `${label}: HTTP ${result.status}, want a 4xx\n${result.text.slice(0, 500)}`);
  if (expectation.status !== undefined) assert.equal(result.status, expectation.status, `${label}: ${result.text.slice(0, 500)}`);
  assert.match(result.headers.get("content-type") ?? "", /^application\/json/, `${label}: content-type`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(result.text) as Record<string, unknown>;
  } catch {
    assert.fail(`${label}: error body is not JSON: ${result.text.slice(0, 200)}`);
  }
  assert.equal(typeof body, "object", `${label}: body is not an object`);
  assert.ok(body !== null && !Array.isArray(body), `${label}: body is not an object`);
  assert.equal(body.status_code, result.status, `${label}: status_code ≠ HTTP status`);
  for (const field of ["request_id", "error_type", "error_message", "error_url"]) {
    assert.equal(typeof body[field], "string", `${label}: ${field} missing`);
    assert.notEqual(body[field], "", `${label}: ${field} empty`);
  }
  assert.match(String(body.request_id), /^request-id-(test|live)-[0-9a-f-]{36}$/, `${label}: request_id shape`);
  assert.equal("error" in body, false, `${label}: has an OAuth-style error key`);
  if (expectation.errorType !== undefined) assert.equal(body.error_type, expectation.errorType, `${label}: ${result.text.slice(0, 300)}`);
  for (const [name, pattern] of LEAK_PATTERNS) assert.doesNotMatch(result.text, pattern, `${label}: body leaks ${name}: ${result.text.slice(0, 300)}`);
  for (const secret of expectation.secrets ?? []) {
    if (secret.length >= 12) assert.equal(result.text.includes(secret), false, `${label}: body echoes a presented secret`);
  }
  return body;
}

export interface Target {
  baseUrl: string;
  authorization: string;
  db: Database.Database;
}

/** Sends one request; `body` is JSON-encoded unless it is already a string or a Buffer. */
export async function send(
  target: Target,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const payload = body === undefined ? undefined : typeof body === "string" ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
  const response = await fetch(`${target.baseUrl}${path}`, {
    method,
    headers: {
      authorization: target.authorization,
      ...(payload !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(payload !== undefined ? { body: payload } : {}),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/**
 * Sends a request that must be refused, and checks everything a refusal promises: the body
 * (see `assertRefusalBody`), no change in any watched table, and a healthy process afterwards.
 */
export async function expectRefused(
  target: Target,
  request: { method?: string; path: string; body?: unknown; headers?: Record<string, string> },
  expectation: RefusalExpectation,
  label: string,
): Promise<Record<string, unknown>> {
  tally.cases++;
  const before = snapshot(target.db);
  const result = await send(target, request.method ?? "POST", request.path, request.body, request.headers);
  const body = assertRefusalBody(result, expectation, label);
  const changed = changedTables(before, snapshot(target.db));
  assert.deepEqual(changed, [], `${label}: the refused request changed ${changed.join(", ")}`);
  const health = await fetch(`${target.baseUrl}/healthz`);
  assert.equal(health.status, 200, `${label}: /healthz answered ${health.status} afterwards`);
  await health.arrayBuffer();
  return body;
}

/** `Basic` credentials for a project. */
export function basicAuth(projectId: string, secret: string): string {
  return `Basic ${Buffer.from(`${projectId}:${secret}`).toString("base64")}`;
}
