import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import fc from "fast-check";
import { base32Decode, base32Encode, hotp, matchTotpStep, otpauthUri, totp, totpStep, type TotpAlgorithm } from "./totp.js";

// Compiled to dist/src/crypto; the vectors stay in the source tree.
const VECTORS = join(dirname(fileURLToPath(import.meta.url)), "../../../test/vectors");
const readVectors = <T>(name: string): T => JSON.parse(readFileSync(join(VECTORS, name), "utf8")) as T;

interface Rfc6238 {
  seeds: Record<TotpAlgorithm, string>;
  vectors: ({ time: number; step: number } & Record<TotpAlgorithm, string>)[];
}

describe("RFC 6238 Appendix B test vectors", () => {
  const { seeds, vectors } = readVectors<Rfc6238>("rfc6238.json");
  for (const algorithm of ["sha1", "sha256", "sha512"] as const) {
    for (const vector of vectors) {
      it(`${algorithm} at T=${vector.time} is ${vector[algorithm]}`, () => {
        const secret = Buffer.from(seeds[algorithm], "ascii");
        assert.equal(totpStep(vector.time), vector.step);
        assert.equal(totp(secret, vector.time, { digits: 8, algorithm }), vector[algorithm]);
      });
    }
  }
});

describe("RFC 4226 Appendix D test vectors", () => {
  const { secret, codes } = readVectors<{ secret: string; codes: string[] }>("rfc4226.json");
  codes.forEach((code, counter) => {
    it(`HOTP counter ${counter} is ${code}`, () => assert.equal(hotp(Buffer.from(secret, "ascii"), counter), code));
  });
});

describe("base32", () => {
  const { vectors } = readVectors<{ vectors: { text: string; base32: string }[] }>("rfc4648-base32.json");
  for (const vector of vectors) {
    it(`encodes "${vector.text}" as "${vector.base32}" and back`, () => {
      assert.equal(base32Encode(Buffer.from(vector.text, "ascii")), vector.base32);
      assert.equal(base32Decode(vector.base32).toString("ascii"), vector.text);
    });
  }

  it("round-trips any bytes, and decoding ignores case, spaces and padding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const encoded = base32Encode(bytes);
        assert.match(encoded, /^[A-Z2-7]*$/);
        assert.deepEqual(base32Decode(encoded), Buffer.from(bytes));
        assert.deepEqual(base32Decode(`${encoded.toLowerCase()} ==`), Buffer.from(bytes));
      }),
    );
  });

  it("a 160-bit secret is 32 characters", () => {
    assert.equal(base32Encode(Buffer.alloc(20, 0xab)).length, 32);
  });

  it("rejects characters outside the alphabet", () => {
    assert.throws(() => base32Decode("MZXW1"), /not base32/);
  });
});

describe("matchTotpStep", () => {
  const secret = Buffer.from("12345678901234567890", "ascii");
  const now = 1_700_000_015; // middle of a step
  const step = totpStep(now);

  it("accepts the current step and one step either side, and nothing further", () => {
    for (const offset of [-1, 0, 1]) assert.equal(matchTotpStep(secret, hotp(secret, step + offset), now), step + offset);
    for (const offset of [-3, -2, 2, 3]) assert.equal(matchTotpStep(secret, hotp(secret, step + offset), now), null);
  });

  it("rejects codes of the wrong length or content", () => {
    assert.equal(matchTotpStep(secret, hotp(secret, step).slice(1), now), null);
    assert.equal(matchTotpStep(secret, "abcdef", now), null);
  });

  it("any 6-digit code other than the three valid ones is refused", () => {
    const valid = new Set([-1, 0, 1].map((offset) => hotp(secret, step + offset)));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), (n) => {
        const code = String(n).padStart(6, "0");
        assert.equal(matchTotpStep(secret, code, now) !== null, valid.has(code));
      }),
    );
  });
});

describe("otpauthUri", () => {
  it("has the label issuer:account and the parameters authenticator apps read", () => {
    const uri = otpauthUri({ issuer: "Acme Corp", accountName: "ada+mfa@example.com", secretBase32: "JBSWY3DPEHPK3PXP" });
    assert.equal(
      uri,
      "otpauth://totp/Acme%20Corp:ada%2Bmfa%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30",
    );
    const parsed = new URL(uri);
    assert.equal(parsed.protocol, "otpauth:");
    assert.equal(parsed.searchParams.get("issuer"), "Acme Corp");
  });
});
