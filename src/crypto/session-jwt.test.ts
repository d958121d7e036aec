import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { describe, it } from "node:test";
import { signJwt, verifyJwt } from "./session-jwt.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const KID = "jwk-test-11111111-1111-4111-8111-111111111111";
const ISSUER = "stytch.com/project-test-1";
const AUDIENCE = "project-test-1";
const claims = { iss: ISSUER, aud: [AUDIENCE], sub: "member-test-1", iat: 1, nbf: 1, exp: 301 };

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

function rs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject = privateKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
}

function verify(token: string, resolveKey: (kid: string) => KeyObject | null = (kid) => (kid === KID ? publicKey : null)) {
  return verifyJwt(token, { resolveKey, issuer: ISSUER, audience: AUDIENCE });
}

describe("signJwt", () => {
  it("writes the header {alg: RS256, kid, typ: JWT} and the payload as given", () => {
    const token = signJwt(claims, KID, privateKey);
    const [header, payload] = token.split(".");
    assert.deepEqual(JSON.parse(Buffer.from(header!, "base64url").toString()), { alg: "RS256", kid: KID, typ: "JWT" });
    assert.deepEqual(JSON.parse(Buffer.from(payload!, "base64url").toString()), claims);
  });

  it("uses unpadded base64url in every segment", () => {
    const token = signJwt({ ...claims, odd: "??>>" }, KID, privateKey);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });
});

describe("verifyJwt", () => {
  it("accepts a token it signed and returns its kid and payload", () => {
    assert.deepEqual(verify(signJwt(claims, KID, privateKey)), { ok: true, kid: KID, payload: claims });
  });

  it("accepts aud given as a string", () => {
    assert.equal(verify(signJwt({ ...claims, aud: AUDIENCE }, KID, privateKey)).ok, true);
  });

  it("leaves exp to the caller, accepting a token long past it", () => {
    assert.equal(verify(signJwt({ ...claims, exp: 1 }, KID, privateKey)).ok, true);
  });

  const malformed: [string, string][] = [
    ["an empty string", ""],
    ["two segments", "a.b"],
    ["four segments", "a.b.c.d"],
    ["a header that is not JSON", `${Buffer.from("nope").toString("base64url")}.${b64(claims)}.sig`],
    ["a JSON array payload", `${b64({ alg: "RS256", kid: KID, typ: "JWT" })}.${b64([1])}.sig`],
    ["standard base64 characters", `${b64({ alg: "RS256", kid: KID })}.${b64(claims)}.ab+/`],
  ];
  for (const [label, token] of malformed) {
    it(`calls ${label} malformed`, () => {
      assert.deepEqual(verify(token), { ok: false, reason: "malformed" });
    });
  }

  it("refuses alg none", () => {
    assert.deepEqual(verify(`${b64({ alg: "none", kid: KID, typ: "JWT" })}.${b64(claims)}.`), { ok: false, reason: "unsupported_algorithm" });
  });

  it("refuses HS256 signed with the public key as the secret", () => {
    const input = `${b64({ alg: "HS256", kid: KID, typ: "JWT" })}.${b64(claims)}`;
    const secret = publicKey.export({ type: "spki", format: "pem" });
    const token = `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
    assert.deepEqual(verify(token), { ok: false, reason: "unsupported_algorithm" });
  });

  it("refuses RS512 even with a valid key", () => {
    const input = `${b64({ alg: "RS512", kid: KID, typ: "JWT" })}.${b64(claims)}`;
    const token = `${input}.${sign("sha512", Buffer.from(input), privateKey).toString("base64url")}`;
    assert.deepEqual(verify(token), { ok: false, reason: "unsupported_algorithm" });
  });

  it("refuses a token without a kid or with an unknown kid", () => {
    assert.deepEqual(verify(rs256({ alg: "RS256", typ: "JWT" }, claims)), { ok: false, reason: "unknown_key" });
    assert.deepEqual(verify(rs256({ alg: "RS256", typ: "JWT", kid: 7 }, claims)), { ok: false, reason: "unknown_key" });
    assert.deepEqual(verify(signJwt(claims, "jwk-test-unknown", privateKey)), { ok: false, reason: "unknown_key" });
  });

  it("refuses a token signed by another key under a known kid", () => {
    assert.deepEqual(verify(signJwt(claims, KID, other.privateKey)), { ok: false, reason: "bad_signature" });
  });

  it("refuses a token whose payload changed after signing", () => {
    const [header, , signature] = signJwt(claims, KID, privateKey).split(".");
    assert.deepEqual(verify(`${header}.${b64({ ...claims, sub: "member-test-2" })}.${signature}`), { ok: false, reason: "bad_signature" });
  });

  it("refuses a token with an empty signature", () => {
    const [header, payload] = signJwt(claims, KID, privateKey).split(".");
    assert.deepEqual(verify(`${header}.${payload}.`), { ok: false, reason: "bad_signature" });
  });

  const badClaims: [string, Record<string, unknown>][] = [
    ["another issuer", { ...claims, iss: "stytch.com/project-test-2" }],
    ["no issuer", { ...claims, iss: undefined }],
    ["another audience", { ...claims, aud: ["project-test-2"] }],
    ["an audience that only contains the project id as a substring", { ...claims, aud: "project-test-10" }],
    ["no audience", { ...claims, aud: undefined }],
    ["a numeric sub", { ...claims, sub: 5 }],
    ["no sub", { ...claims, sub: undefined }],
  ];
  for (const [label, payload] of badClaims) {
    it(`refuses ${label}`, () => {
      assert.deepEqual(verify(signJwt(payload, KID, privateKey)), { ok: false, reason: "bad_claims" });
    });
  }
});
