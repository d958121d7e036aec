/**
 * Property-based tests of the custom-claims merge (src/domain/custom-claims.ts; SEC-IN-4,
 * SEC-JWT-6): null deletes at every depth, the update wins, merging is idempotent and (for
 * updates without deletions) associative, reserved and Stytch names are always refused, the
 * 4 KiB cap is exact, and no key can reach Object.prototype. Seed: FUZZ_SEED; runs: FUZZ_RUNS.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import {
  applyCustomClaims,
  MAX_CUSTOM_CLAIMS_BYTES,
  mergeClaims,
  RESERVED_JWT_CLAIMS,
  STYTCH_CLAIM_PREFIX,
  type ClaimsObject,
} from "../../src/domain/custom-claims.js";
import { FUZZ_RUNS, FUZZ_SEED, fuzzParameters, fuzzTally } from "../support/fuzz-config.js";

/** Keys that collide often, plus the ones prototype pollution uses, plus arbitrary text. */
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "b", "c", "team", "nested", "roles") },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf") },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
);
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }));

/** Claims objects whose values may be null (a deletion) at any depth. */
const { update } = fc.letrec<{ update: ClaimsObject; value: unknown }>((tie) => ({
  update: fc.dictionary(key, tie("value"), { maxKeys: 5 }).map(reparse),
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, fc.constant(null), fc.array(scalar, { maxLength: 3 }), tie("update")),
}));
/** The same without nulls anywhere (a stored claims object, or an update that deletes nothing). */
const { stored } = fc.letrec<{ stored: ClaimsObject; value: unknown }>((tie) => ({
  stored: fc.dictionary(key, tie("value"), { maxKeys: 5 }).map(reparse),
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, fc.array(scalar, { maxLength: 3 }), tie("stored")),
}));

/**
 * Claims of a fixed shape — `a`, `b`, `list` always scalars or arrays, `nested`, `team` always
 * objects — for associativity, which cannot hold when a key changes between object and scalar
 * (a scalar in the middle update replaces the object that an outer merge would have combined).
 */
const { shaped } = fc.letrec<{ shaped: ClaimsObject }>((tie) => ({
  shaped: fc.record(
    { a: scalar, b: scalar, list: fc.array(scalar, { maxLength: 3 }), nested: tie("shaped"), team: tie("shaped") },
    { requiredKeys: [] },
  ),
}));

/** As the HTTP layer hands claims over: through JSON, so `__proto__` is an own data property. */
function reparse(value: ClaimsObject): ClaimsObject {
  return JSON.parse(JSON.stringify(value)) as ClaimsObject;
}

function isPlainObject(value: unknown): value is ClaimsObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON-level equality (what the JWT and the database see). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
}

/** True when an object reachable through objects (not arrays) holds a null. */
function holdsNull(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  return Object.values(value).some((inner) => inner === null || holdsNull(inner));
}

function check(name: string, property: fc.IPropertyWithHooks<unknown[]> | fc.IProperty<unknown[]>): void {
  it(name, () => {
    fuzzTally.properties++;
    fuzzTally.runs += FUZZ_RUNS;
    fc.assert(property, fuzzParameters());
  });
}

describe(`fuzz: custom claims merge (seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs per property)`, () => {
  after(() => console.log(`# fuzz custom-claims: ${fuzzTally.properties} properties, ${fuzzTally.runs} runs, seed ${FUZZ_SEED}`));

  check(
    "an empty update changes nothing",
    fc.property(stored, (existing) => same(mergeClaims(existing, {}), existing)),
  );
  check(
    "a null-free update into nothing is the update itself",
    fc.property(stored, (update) => same(mergeClaims({}, update), update)),
  );
  check(
    "null deletes its key, and only its key",
    fc.property(stored, key, (existing, name) => {
      const merged = mergeClaims(existing, reparse({ [name]: null } as ClaimsObject));
      const expected = Object.fromEntries(Object.entries(existing).filter(([k]) => k !== name));
      return !Object.prototype.hasOwnProperty.call(merged, name) && same(merged, expected);
    }),
  );
  check(
    "a scalar or array in the update replaces whatever was there",
    fc.property(stored, update, (existing, changes) => {
      const merged = mergeClaims(existing, changes);
      return Object.entries(changes).every(([k, v]) => v === null || isPlainObject(v) || same(merged[k], v));
    }),
  );
  check(
    "keys not named by the update are kept as they were",
    fc.property(stored, update, (existing, changes) => {
      const merged = mergeClaims(existing, changes);
      return Object.keys(existing).filter((k) => !Object.prototype.hasOwnProperty.call(changes, k)).every((k) => same(merged[k], existing[k]));
    }),
  );
  check(
    "merging never stores a null inside an object, at any depth",
    fc.property(stored, update, (existing, changes) => !holdsNull(mergeClaims(existing, changes))),
  );
  check(
    "applying the same update twice is the same as once (idempotence)",
    fc.property(stored, update, (existing, changes) => {
      const once = mergeClaims(existing, changes);
      return same(mergeClaims(once, changes), once);
    }),
  );
  check(
    "for updates that delete nothing and keep every key's kind, merging is associative",
    fc.property(shaped, shaped, shaped, (a, b, c) => same(mergeClaims(mergeClaims(a, b), c), mergeClaims(a, mergeClaims(b, c)))),
  );
  check(
    "merging mutates neither input",
    fc.property(stored, update, (existing, changes) => {
      const before = [JSON.stringify(existing), JSON.stringify(changes)];
      mergeClaims(existing, changes);
      return JSON.stringify(existing) === before[0] && JSON.stringify(changes) === before[1];
    }),
  );
  check(
    "no key reaches Object.prototype, and the result is an ordinary object",
    fc.property(stored, update, (existing, changes) => {
      const merged = mergeClaims(existing, changes);
      const probe = {} as Record<string, unknown>;
      return Object.getPrototypeOf(merged) === Object.prototype && Object.keys(probe).length === 0 && !("polluted" in probe) && typeof probe.toString === "function";
    }),
  );
  check(
    "a reserved or Stytch-namespaced top-level name is always refused, whatever else the update holds",
    fc.property(
      stored,
      update,
      fc.oneof(fc.constantFrom(...RESERVED_JWT_CLAIMS), fc.string({ maxLength: 10 }).map((suffix) => `${STYTCH_CLAIM_PREFIX}${suffix}`)),
      fc.oneof(scalar, fc.constant(null), stored),
      (existing, changes, name, value) => {
        const result = applyCustomClaims(existing, reparse({ ...changes, [name]: value } as ClaimsObject));
        const expected = RESERVED_JWT_CLAIMS.has(name) ? "reserved_claims_in_custom_claims" : "stytch_claims_in_custom_claims";
        return !result.ok && result.reason === expected;
      },
    ),
  );
  check(
    "reserved names nested below the top level are ordinary data",
    fc.property(fc.constantFrom(...RESERVED_JWT_CLAIMS), scalar, (name, value) => applyCustomClaims({}, { outer: { [name]: value } }).ok),
  );
  check(
    "the size cap is exact: accepted ⇔ the merged claims serialize to at most 4096 UTF-8 bytes",
    fc.property(stored, fc.integer({ min: 4000, max: 4200 }), fc.constantFrom("x", "é", "€", "𝄞"), (existing, target, unit) => {
      const small = Object.fromEntries(Object.entries(existing).filter(([k]) => !RESERVED_JWT_CLAIMS.has(k) && !k.startsWith(STYTCH_CLAIM_PREFIX)));
      const base = Buffer.byteLength(JSON.stringify({ ...small, pad: "" }), "utf8");
      const padding = unit.repeat(Math.max(0, Math.floor((target - base) / Buffer.byteLength(unit, "utf8"))));
      const update = { pad: padding };
      const merged = mergeClaims(small, update);
      const size = Buffer.byteLength(JSON.stringify(merged), "utf8");
      const result = applyCustomClaims(small, update);
      if (result.ok) return size <= MAX_CUSTOM_CLAIMS_BYTES && Buffer.byteLength(JSON.stringify(result.claims), "utf8") <= MAX_CUSTOM_CLAIMS_BYTES;
      return result.reason === "custom_claims_too_large" && size > MAX_CUSTOM_CLAIMS_BYTES;
    }),
  );

  it("the boundary itself: 4096 bytes pass, 4097 fail", () => {
    const exactly = (bytes: number): ClaimsObject => ({ k: "x".repeat(bytes - '{"k":""}'.length) });
    assert.equal(applyCustomClaims({}, exactly(4096)).ok, true);
    assert.deepEqual(applyCustomClaims({}, exactly(4097)), { ok: false, reason: "custom_claims_too_large" });
  });
});
