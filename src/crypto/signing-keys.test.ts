import assert from "node:assert/strict";
import { X509Certificate, createHash, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { describe, it } from "node:test";
import { selfSignedCertificate } from "./certificate.js";
import { newProjectSecret, newSessionToken, newStytchId, systemRandom, uuidV4, type RandomSource } from "./random.js";
import { signJwt } from "./session-jwt.js";
import { generateSigningKey, loadSigningKey } from "./signing-keys.js";

const NOW = Date.parse("2026-01-15T10:00:00Z");

describe("selfSignedCertificate", () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

  function certificateAt(notBefore: Date, validityYears = 10, serialNumber = Buffer.from([0x01, 0x02])): X509Certificate {
    const der = selfSignedCertificate({ publicKey, privateKey, commonName: "jwk-test-x", serialNumber, notBefore, validityYears });
    return new X509Certificate(der);
  }

  it("is a certificate node:crypto parses, self-signed, for the given key and name", () => {
    const certificate = certificateAt(new Date(NOW));
    assert.ok(certificate.verify(publicKey));
    assert.ok(certificate.checkIssued(certificate));
    assert.equal(certificate.publicKey.export({ format: "jwk" }).n, publicKey.export({ format: "jwk" }).n);
    assert.match(certificate.subject, /CN=jwk-test-x/);
    assert.match(certificate.subject, /O=Tessera/);
    assert.equal(certificate.subject, certificate.issuer);
  });

  it("is valid from notBefore for the given number of years", () => {
    const certificate = certificateAt(new Date(NOW), 10);
    assert.equal(Date.parse(certificate.validFrom), NOW);
    assert.equal(Date.parse(certificate.validTo), Date.parse("2036-01-15T10:00:00Z"));
  });

  it("encodes validity across 2050 with GeneralizedTime", () => {
    const certificate = certificateAt(new Date("2045-06-01T00:00:00Z"), 10);
    assert.equal(Date.parse(certificate.validFrom), Date.parse("2045-06-01T00:00:00Z"));
    assert.equal(Date.parse(certificate.validTo), Date.parse("2055-06-01T00:00:00Z"));
  });

  for (const serial of [[0x00, 0x01, 0x02], [0x00, 0x00, 0x7f], [0x00, 0x80, 0x01], [0x00]]) {
    it(`encodes the random serial ${Buffer.from(serial).toString("hex")} as a minimal DER integer that parses`, () => {
      const certificate = certificateAt(new Date(NOW), 10, Buffer.from(serial));
      assert.equal(BigInt(`0x${certificate.serialNumber}`), BigInt(`0x${Buffer.from(serial).toString("hex")}`));
    });
  }

  it("keeps a serial number with the high bit set positive", () => {
    const certificate = certificateAt(new Date(NOW), 10, Buffer.from([0xff, 0x00, 0x01]));
    assert.equal(certificate.serialNumber.replace(/^0+/, "").toUpperCase(), "FF0001");
  });
});

describe("generateSigningKey and loadSigningKey", () => {
  it("make an RSA-2048 key whose JWK, certificate and x5tS256 agree and which verifies what it signs", async () => {
    const key = await generateSigningKey({ projectId: "project-test-1", environment: "test", state: "next", now: NOW, random: systemRandom });
    assert.match(key.kid, /^jwk-test-[0-9a-f-]{36}$/);
    assert.equal(key.state, "next");
    assert.equal(key.activatedAt, null);
    const loaded = loadSigningKey(key);
    const { jwk } = loaded;
    assert.deepEqual(Object.keys(jwk).sort(), ["alg", "e", "key_ops", "kid", "kty", "n", "use", "x5c", "x5tS256"]);
    assert.equal(Buffer.from(jwk.n, "base64url").length * 8, 2048);
    const der = Buffer.from(jwk.x5c[0]!, "base64");
    assert.equal(jwk.x5tS256, createHash("sha256").update(der).digest("base64url"));
    assert.equal(new X509Certificate(der).publicKey.export({ format: "jwk" }).n, jwk.n);

    const token = signJwt({ sub: "x" }, key.kid, loaded.privateKey);
    const [header, payload, signature] = token.split(".");
    const fromJwk = createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" });
    assert.ok(verify("sha256", Buffer.from(`${header}.${payload}`), fromJwk, Buffer.from(signature!, "base64url")));
  });

  it("marks a current key active from creation", async () => {
    const key = await generateSigningKey({ projectId: "project-test-1", environment: "live", state: "current", now: NOW, random: systemRandom });
    assert.match(key.kid, /^jwk-live-/);
    assert.equal(key.activatedAt, NOW);
  });
});

describe("random identifiers", () => {
  const fixed: RandomSource = { bytes: (length) => Buffer.alloc(length, 0xff) };

  it("makes RFC 4122 version-4 UUIDs", () => {
    assert.equal(uuidV4(fixed), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    for (let i = 0; i < 20; i++) assert.match(uuidV4(systemRandom), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("makes Stytch-shaped ids", () => {
    assert.match(newStytchId("member", "test", systemRandom), /^member-test-[0-9a-f-]{36}$/);
    assert.match(newStytchId("organization", "live", systemRandom), /^organization-live-[0-9a-f-]{36}$/);
  });

  it("makes 44-character URL-safe session tokens", () => {
    for (let i = 0; i < 20; i++) assert.match(newSessionToken(systemRandom), /^[A-Za-z0-9_-]{44}$/);
  });

  it("makes project secrets with the environment prefix", () => {
    assert.match(newProjectSecret("test", systemRandom), /^secret-test-[A-Za-z0-9_-]{48}$/);
    assert.match(newProjectSecret("live", systemRandom), /^secret-live-/);
  });
});
