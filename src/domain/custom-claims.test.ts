import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_CUSTOM_CLAIMS_BYTES, RESERVED_JWT_CLAIMS, applyCustomClaims, mergeClaims, type ClaimsObject } from "./custom-claims.js";

/** A claims object whose JSON is exactly `bytes` bytes long. */
function claimsOfSize(bytes: number): ClaimsObject {
  const overhead = JSON.stringify({ k: "" }).length;
  return { k: "x".repeat(bytes - overhead) };
}

describe("mergeClaims", () => {
  const cases: { name: string; existing: ClaimsObject; update: ClaimsObject; expected: ClaimsObject }[] = [
    { name: "adds new keys", existing: { a: 1 }, update: { b: 2 }, expected: { a: 1, b: 2 } },
    { name: "overwrites a key", existing: { a: 1 }, update: { a: "two" }, expected: { a: "two" } },
    { name: "deletes a key whose value is null", existing: { a: 1, b: 2 }, update: { a: null }, expected: { b: 2 } },
    { name: "ignores null for a key that is not there", existing: { a: 1 }, update: { z: null }, expected: { a: 1 } },
    { name: "merges nested objects", existing: { o: { x: 1, y: 2 } }, update: { o: { y: 3, z: 4 } }, expected: { o: { x: 1, y: 3, z: 4 } } },
    { name: "deletes a nested key whose value is null", existing: { o: { x: 1, y: 2 } }, update: { o: { x: null } }, expected: { o: { y: 2 } } },
    {
      name: "merges several levels deep",
      existing: { o: { p: { q: 1, r: 2 } } },
      update: { o: { p: { r: null, s: 3 } } },
      expected: { o: { p: { q: 1, s: 3 } } },
    },
    { name: "replaces a scalar with an object", existing: { o: 1 }, update: { o: { x: 1 } }, expected: { o: { x: 1 } } },
    { name: "replaces an object with a scalar", existing: { o: { x: 1 } }, update: { o: 5 }, expected: { o: 5 } },
    { name: "replaces arrays rather than merging them", existing: { l: [1, 2] }, update: { l: [3] }, expected: { l: [3] } },
    { name: "drops nulls inside an object that is new", existing: {}, update: { o: { x: null, y: 1 } }, expected: { o: { y: 1 } } },
    { name: "drops nulls inside an object that replaces a scalar", existing: { o: 1 }, update: { o: { x: null, y: 1 } }, expected: { o: { y: 1 } } },
    { name: "keeps false, 0 and empty strings", existing: {}, update: { f: false, z: 0, s: "" }, expected: { f: false, z: 0, s: "" } },
  ];
  for (const { name, existing, update, expected } of cases) {
    it(name, () => {
      const before = structuredClone(existing);
      assert.deepEqual(mergeClaims(existing, update), expected);
      assert.deepEqual(existing, before, "the existing claims are not mutated");
    });
  }

  it("returns an ordinary object", () => {
    const merged = mergeClaims({ a: 1 }, { b: 2 });
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  });

  it("does not pollute prototypes through a __proto__ key", () => {
    const update = JSON.parse('{"__proto__": {"polluted": true}}') as ClaimsObject;
    mergeClaims({}, update);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("applyCustomClaims", () => {
  it("leaves the claims alone when no update is given", () => {
    const existing = { a: 1 };
    assert.deepEqual(applyCustomClaims(existing, undefined), { ok: true, claims: existing });
  });

  it("merges an update into the existing claims", () => {
    assert.deepEqual(applyCustomClaims({ a: 1, o: { x: 1 } }, { a: null, o: { y: 2 }, b: true }), {
      ok: true,
      claims: { o: { x: 1, y: 2 }, b: true },
    });
  });

  for (const name of ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope"]) {
    it(`refuses the reserved claim ${name}`, () => {
      assert.ok(RESERVED_JWT_CLAIMS.has(name));
      assert.deepEqual(applyCustomClaims({}, { ok: 1, [name]: "x" }), { ok: false, reason: "reserved_claims_in_custom_claims" });
    });
  }

  it("refuses a reserved claim even when the value is null", () => {
    assert.deepEqual(applyCustomClaims({}, { exp: null }), { ok: false, reason: "reserved_claims_in_custom_claims" });
  });

  for (const name of ["https://stytch.com/session", "https://stytch.com/organization", "https://stytch.com/anything"]) {
    it(`refuses the Stytch-namespaced claim ${name}`, () => {
      assert.deepEqual(applyCustomClaims({}, { [name]: {} }), { ok: false, reason: "stytch_claims_in_custom_claims" });
    });
  }

  for (const name of ["issuer", "ISS", "https://example.com/claim", "http://stytch.com/x", "https://stytch.community/x", "stytch"]) {
    it(`accepts the unreserved name ${name}`, () => {
      assert.equal(applyCustomClaims({}, { [name]: 1 }).ok, true);
    });
  }

  it("accepts claims of exactly 4096 bytes and refuses 4097", () => {
    assert.equal(MAX_CUSTOM_CLAIMS_BYTES, 4096);
    assert.equal(applyCustomClaims({}, claimsOfSize(4096)).ok, true);
    assert.deepEqual(applyCustomClaims({}, claimsOfSize(4097)), { ok: false, reason: "custom_claims_too_large" });
  });

  it("counts UTF-8 bytes, not characters", () => {
    const overhead = JSON.stringify({ k: "" }).length;
    const threeByteChars = Math.ceil((4096 - overhead) / 3) + 1;
    assert.deepEqual(applyCustomClaims({}, { k: "€".repeat(threeByteChars) }), { ok: false, reason: "custom_claims_too_large" });
  });

  it("measures the merged result, so small updates on large claims can exceed the cap", () => {
    const existing = claimsOfSize(4090);
    assert.deepEqual(applyCustomClaims(existing, { extra: "12345" }), { ok: false, reason: "custom_claims_too_large" });
  });

  it("lets a deletion bring large claims back under the cap", () => {
    const existing = { ...claimsOfSize(4000), big: "y".repeat(500) };
    assert.deepEqual(applyCustomClaims(existing, { big: null }), { ok: true, claims: claimsOfSize(4000) });
  });
});
