/**
 * @module Case families shared by every endpoint of the adversarial suite. An `EndpointSpec`
 * names the route, its request schema and a valid request; each family registers one
 * `node:test` case per mutation of that valid request, and every case must be refused with no
 * side effect (see `expectRefused`).
 */
import { describe, it } from "node:test";
import { expectRefused, loadSchemas, outOfRangeVariants, stringProperties, wrongTypeVariants } from "./adversarial.js";
import { worldSecrets, type World } from "./adversarial-world.js";

export interface EndpointSpec {
  name: string;
  path: string;
  schema: string;
  /** A valid value for every field the cases mutate. */
  valid(w: World): Record<string, unknown>;
  /** The fields of `valid` that make up the valid base request. */
  baseFields: string[];
  /** Fields of which a request carries exactly one: setting one drops the others from the base. */
  exclusive?: string[];
  /** Identifier and token fields: C0 control characters in them are refused as well. */
  identifiers: string[];
}

const schemas = loadSchemas();

export function bodyWith(spec: EndpointSpec, w: World, field: string | null, value?: unknown): Record<string, unknown> {
  const valid = spec.valid(w);
  const body: Record<string, unknown> = {};
  for (const name of spec.baseFields) body[name] = valid[name];
  if (field === null) return body;
  if (spec.exclusive?.includes(field)) for (const name of spec.exclusive) delete body[name];
  body[field] = value;
  return body;
}

/** Wrong JSON types, out-of-range values, NUL, lone surrogates and control characters, per field. */
export function registerSchemaCases(spec: EndpointSpec, world: () => World): void {
  describe(`${spec.name}: schema-generated cases`, () => {
    for (const variant of wrongTypeVariants(schemas, spec.schema, {})) {
      it(`wrong type — ${variant.label}`, async () => {
        const w = world();
        const [field, value] = Object.entries(variant.body)[0]!;
        await expectRefused(w.target, { path: spec.path, body: bodyWith(spec, w, field, value) }, { status: 400, secrets: worldSecrets(w) }, `${spec.name} ${variant.label}`);
      });
    }
    for (const variant of outOfRangeVariants(schemas, spec.schema)) {
      it(`out of range — ${variant.label}`, async () => {
        const w = world();
        const [field, value] = Object.entries(variant.body)[0]!;
        await expectRefused(w.target, { path: spec.path, body: bodyWith(spec, w, field, value) }, { status: 400, secrets: worldSecrets(w) }, `${spec.name} ${variant.label}`);
      });
    }
    for (const field of stringProperties(schemas, spec.schema)) {
      const mutations: [string, (valid: string) => string][] = [
        ["NUL appended", (valid) => `${valid}\u0000`],
        ["NUL inside", (valid) => `${valid.slice(0, 3)}\u0000${valid.slice(3)}`],
        ["only NUL", () => "\u0000"],
        ["lone high surrogate", (valid) => `${valid}\ud800`],
        ["lone low surrogate", (valid) => `\udc00${valid}`],
      ];
      if (spec.identifiers.includes(field)) {
        mutations.push(
          ["C0 control", (valid) => `${valid}\u0001`],
          ["escape sequence", (valid) => `\u001b[31m${valid}`],
          ["newline", (valid) => `${valid}\n`],
          ["DEL", (valid) => `${valid}\u007f`],
        );
      }
      for (const [label, mutate] of mutations) {
        it(`${field}: ${label}`, async () => {
          const w = world();
          const valid = spec.valid(w)[field];
          const value = mutate(typeof valid === "string" && valid !== "" ? valid : "en");
          await expectRefused(w.target, { path: spec.path, body: bodyWith(spec, w, field, value) }, { status: 400, secrets: worldSecrets(w) }, `${spec.name} ${field} ${label}`);
        });
      }
    }
    it("a NUL in an (unknown) key", async () => {
      const w = world();
      await expectRefused(w.target, { path: spec.path, body: { ...bodyWith(spec, w, null), "note\u0000": "x" } }, { status: 400 }, `${spec.name} NUL key`);
    });
    it("a lone surrogate in an (unknown) key", async () => {
      const w = world();
      await expectRefused(w.target, { path: spec.path, body: { ...bodyWith(spec, w, null), "note\ud83d": "x" } }, { status: 400 }, `${spec.name} surrogate key`);
    });
  });
}

/** `text` with its "@@" replaced by raw bytes. */
function withBytes(text: string, bytes: number[]): Buffer {
  const [before, after] = text.split("@@") as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
}

const nestedArrays = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);
const nestedObjects = (depth: number): string => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

/** Encoding, size, depth, duplicate-key and prototype-pollution attacks on the body as a whole. */
export function registerBodyCases(spec: EndpointSpec, world: () => World): void {
  describe(`${spec.name}: body-level cases`, () => {
    const raw = (w: World, extra: string): string => {
      const base = JSON.stringify(bodyWith(spec, w, null));
      return `${base.slice(0, -1)}${base.length > 2 ? "," : ""}${extra}}`;
    };
    const cases: [string, (w: World) => string | Buffer, number | undefined, Record<string, string>?][] = [
      ["a body over 512 KiB", (w) => raw(w, `"padding":"${"a".repeat(600 * 1024)}"`), 413],
      ["a body of 5 MiB", (w) => raw(w, `"padding":"${"a".repeat(5 * 1024 * 1024)}"`), 413],
      ["100,000 nested arrays at the top level", () => nestedArrays(100_000), 400],
      ["100,000 nested arrays in session_custom_claims", (w) => raw(w, `"session_custom_claims":{"deep":${nestedArrays(100_000)}}`), 400],
      ["80,000 nested objects as session_custom_claims", (w) => raw(w, `"session_custom_claims":${nestedObjects(80_000)}`), 400],
      ["5,000 nested objects as session_custom_claims", (w) => raw(w, `"session_custom_claims":${nestedObjects(5_000)}`), 400],
      ["33 nested objects in an unknown field", (w) => raw(w, `"extra":${nestedObjects(33)}`), 400],
      ["100,000 nested arrays in an unknown field", (w) => raw(w, `"extra":${nestedArrays(100_000)}`), 400],
      ["__proto__ at the top level", (w) => raw(w, `"__proto__":{"polluted":"yes"}`), 400],
      ["__proto__ in session_custom_claims", (w) => raw(w, `"session_custom_claims":{"__proto__":{"polluted":"yes"}}`), 400],
      ["constructor.prototype in session_custom_claims", (w) => raw(w, `"session_custom_claims":{"constructor":{"prototype":{"polluted":"yes"}}}`), 400],
      ["constructor.prototype at the top level", (w) => raw(w, `"constructor":{"prototype":{"polluted":"yes"}}`), 400],
      ["escaped __proto__ key", (w) => raw(w, `"\\u005f_proto__":{"polluted":"yes"}`), 400],
      ["truncated JSON", (w) => raw(w, "").slice(0, -1), 400],
      ["a trailing comma", (w) => raw(w, `"x":1,`), 400],
      ["single-quoted JSON", () => "{'session_token':'x'}", 400],
      ["a JSON array", () => "[]", 400],
      ["a JSON string", () => '"session_token"', 400],
      ["a JSON number", () => "42", 400],
      ["JSON null", () => "null", 400],
      ["invalid UTF-8 bytes in a string", (w) => withBytes(raw(w, '"note":"@@"'), [0xc3, 0x28, 0xff]), 400],
      ["an overlong UTF-8 encoding of '/'", (w) => withBytes(raw(w, '"note":"@@"'), [0xc0, 0xaf]), 400],
      ["a UTF-8-encoded lone surrogate", (w) => withBytes(raw(w, '"note":"@@"'), [0xed, 0xa0, 0x80]), 400],
      ["a UTF-16 body", (w) => Buffer.from(JSON.stringify(bodyWith(spec, w, null)), "utf16le"), 400],
      ["a NUL byte between tokens", (w) => `${JSON.stringify(bodyWith(spec, w, null))}\u0000`, 400],
      ["text/plain content type", (w) => JSON.stringify(bodyWith(spec, w, null)), 415, { "content-type": "text/plain" }],
      ["form-encoded content type", () => "session_token=x", 415, { "content-type": "application/x-www-form-urlencoded" }],
      ["no content type", (w) => JSON.stringify(bodyWith(spec, w, null)), undefined, { "content-type": "" }],
    ];
    for (const [label, body, status, headers] of cases) {
      it(label, async () => {
        const w = world();
        await expectRefused(w.target, { path: spec.path, body: body(w), ...(headers ? { headers } : {}) }, { ...(status ? { status } : {}), secrets: worldSecrets(w) }, `${spec.name} ${label}`);
        const probe = {} as Record<string, unknown>;
        if (probe.polluted !== undefined || (Object.prototype as Record<string, unknown>).polluted !== undefined) {
          throw new Error(`${spec.name} ${label}: Object.prototype was polluted`);
        }
      });
    }
  });
}
