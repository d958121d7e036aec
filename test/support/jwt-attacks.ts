/**
 * @module Forged and malformed session JWTs (RFC 8725 threats, ASVS V9): `alg: none`, HS256
 * keyed with the public key in every encoding a confused verifier might use, foreign and
 * attacker keys, header key injection (`jwk`, `jku`, `x5u`, `x5c`), tampered claims under the
 * original signature, validly signed tokens with wrong claims, and structural garbage.
 */
import { createHmac, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import type { World } from "./adversarial-world.js";

const b64 = (value: unknown): string => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

export function decodeSegment(jwt: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[index]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

function rs256(header: unknown, payload: unknown, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
}

function hmac(alg: "HS256" | "HS384" | "HS512", header: Record<string, unknown>, payload: unknown, secret: Buffer | string): string {
  const input = `${b64({ ...header, alg })}.${b64(payload)}`;
  const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg];
  return `${input}.${createHmac(hash, secret).update(input).digest("base64url")}`;
}

export interface JwtAttack {
  label: string;
  jwt: string;
}

let attacker: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
function attackerKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  attacker ??= generateKeyPairSync("rsa", { modulusLength: 2048 });
  return attacker;
}

/** Every attack JWT aimed at the world's live session. */
export function jwtAttacks(w: World): JwtAttack[] {
  const genuine = w.live.jwt;
  const [headerSegment, payloadSegment, signatureSegment] = genuine.split(".") as [string, string, string];
  const header = decodeSegment(genuine, 0);
  const payload = decodeSegment(genuine, 1);
  const session = payload["https://stytch.com/session"] as Record<string, unknown>;
  const publicKey = createPublicKey(w.signing.privateKey);
  const spkiPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const pkcs1Pem = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
  const spkiDer = publicKey.export({ type: "spki", format: "der" });
  const { n, e, x5c } = w.signing.jwk;
  const attacks: JwtAttack[] = [];
  const add = (label: string, jwt: string): void => void attacks.push({ label, jwt });

  // alg: none, in the spellings verifiers have been caught accepting.
  for (const alg of ["none", "None", "NONE", "nOnE", ""]) {
    add(`alg ${JSON.stringify(alg)}, no signature`, `${b64({ ...header, alg })}.${payloadSegment}.`);
    add(`alg ${JSON.stringify(alg)}, original signature`, `${b64({ ...header, alg })}.${payloadSegment}.${signatureSegment}`);
  }
  add("no alg at all", `${b64({ kid: header.kid, typ: "JWT" })}.${payloadSegment}.${signatureSegment}`);
  add("alg as an array", `${b64({ ...header, alg: ["RS256"] })}.${payloadSegment}.${signatureSegment}`);

  // HS/RS confusion: HMAC keyed with the public key as a verifier might hold it.
  const hmacKeys: [string, Buffer | string][] = [
    ["SPKI PEM", spkiPem],
    ["SPKI PEM without trailing newline", spkiPem.trimEnd()],
    ["PKCS#1 PEM", pkcs1Pem],
    ["SPKI DER", spkiDer],
    ["JWK JSON", JSON.stringify(w.signing.jwk)],
    ["JWK n", n],
    ["JWK n as bytes", Buffer.from(n, "base64url")],
    ["JWK n‖e", n + e],
    ["JWK e", e],
    ["x5c certificate", x5c[0] ?? ""],
    ["empty secret", ""],
    ["the project id", w.h.project.projectId],
    ["the project secret", w.h.secret],
  ];
  for (const [label, secret] of hmacKeys) add(`HS256 keyed with the ${label}`, hmac("HS256", header, payload, secret));
  add("HS384 keyed with the SPKI PEM", hmac("HS384", header, payload, spkiPem));
  add("HS512 keyed with the SPKI PEM", hmac("HS512", header, payload, spkiPem));

  // Keys that are not the project's.
  const mine = attackerKeys();
  const attackerJwk = mine.publicKey.export({ format: "jwk" });
  add("RS256 by an attacker's key under the project's kid", rs256(header, payload, mine.privateKey));
  add("RS256 by an attacker's key, its public JWK in the header", rs256({ ...header, kid: "attacker", jwk: attackerJwk }, payload, mine.privateKey));
  add("RS256 by an attacker's key, project kid and embedded jwk", rs256({ ...header, jwk: attackerJwk }, payload, mine.privateKey));
  add("RS256 by an attacker's key, jku pointing at 127.0.0.1", rs256({ ...header, kid: "attacker", jku: "http://127.0.0.1:9/jwks" }, payload, mine.privateKey));
  add("RS256 by an attacker's key, x5u pointing at 127.0.0.1", rs256({ ...header, kid: "attacker", x5u: "http://127.0.0.1:9/cert" }, payload, mine.privateKey));
  add("RS256 by an attacker's key, x5c with its certificate", rs256({ ...header, kid: "attacker", x5c: ["MIIB"] }, payload, mine.privateKey));
  add("RS256 by the other project's key under its own kid", rs256({ ...header, kid: w.other.kid }, payload, w.other.privateKey));
  add("RS256 by the other project's key under this project's kid", rs256(header, payload, w.other.privateKey));
  add("the other project's genuine JWT", w.other.session.jwt);
  add("the other project's JWT with this project's kid", `${b64({ ...decodeSegment(w.other.session.jwt, 0), kid: header.kid })}.${w.other.session.jwt.split(".").slice(1).join(".")}`);

  // kid games.
  for (const kid of ["", "jwk-test-00000000-0000-0000-0000-000000000000", "../../../../etc/passwd", "' OR '1'='1", "__proto__", "constructor", "toString", "\u0000", "a".repeat(10_000)]) {
    add(`kid ${JSON.stringify(kid.slice(0, 40))}`, `${b64({ ...header, kid })}.${payloadSegment}.${signatureSegment}`);
  }
  for (const kid of [null, 7, { $ne: "" }, [header.kid], true]) {
    add(`kid of type ${JSON.stringify(kid)}`, `${b64({ ...header, kid })}.${payloadSegment}.${signatureSegment}`);
  }
  add("no kid", `${b64({ alg: "RS256", typ: "JWT" })}.${payloadSegment}.${signatureSegment}`);

  // Tampered claims under the original signature.
  const tampered: [string, Record<string, unknown>][] = [
    ["sub", { ...payload, sub: w.memberB.memberId }],
    ["session id", { ...payload, "https://stytch.com/session": { ...session, id: w.spare.sessionId } }],
    ["aud", { ...payload, aud: [w.other.project.projectId] }],
    ["iss", { ...payload, iss: `stytch.com/${w.other.project.projectId}` }],
    ["exp", { ...payload, exp: Number(payload.exp) + 86_400 }],
    ["organization", { ...payload, "https://stytch.com/organization": { organization_id: w.orgB.organizationId, slug: "org-b" } }],
    ["roles", { ...payload, "https://stytch.com/session": { ...session, roles: ["stytch_admin"] } }],
  ];
  for (const [label, claims] of tampered) add(`tampered ${label}, original signature`, `${headerSegment}.${b64(claims)}.${signatureSegment}`);
  add("signature of another genuine JWT", `${headerSegment}.${payloadSegment}.${w.spare.jwt.split(".")[2]}`);
  add("signature bit-flipped", `${headerSegment}.${payloadSegment}.${signatureSegment.slice(0, -2)}${signatureSegment.endsWith("A") ? "B" : "A"}${signatureSegment.slice(-1)}`);
  // The same signature bytes spelled differently: a base64url character whose unused low bits are set.
  const lastIndex = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(signatureSegment.slice(-1));
  const sameBytes = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(lastIndex & ~0b1111) | (~lastIndex & 0b1111)]!;
  add("non-canonical base64url signature (same bytes)", `${headerSegment}.${payloadSegment}.${signatureSegment.slice(0, -1)}${sameBytes}`);
  add("signature truncated", `${headerSegment}.${payloadSegment}.${signatureSegment.slice(0, 100)}`);

  // Validly signed with the project's own key, but not a valid session JWT for this project.
  const signed = (label: string, claims: Record<string, unknown>, head: Record<string, unknown> = header): void =>
    add(`signed by the project key — ${label}`, rs256(head, claims, w.signing.privateKey));
  const { aud: _aud, ...withoutAud } = payload;
  const { iss: _iss, ...withoutIss } = payload;
  const { sub: _sub, ...withoutSub } = payload;
  const { "https://stytch.com/session": _session, ...withoutSession } = payload;
  signed("aud of another project", { ...payload, aud: [w.other.project.projectId] });
  signed("aud as a bare string of another project", { ...payload, aud: w.other.project.projectId });
  signed("no aud", withoutAud);
  signed("iss of another project", { ...payload, iss: `stytch.com/${w.other.project.projectId}` });
  signed("iss of another host", { ...payload, iss: "evil.example/stytch.com" });
  signed("no iss", withoutIss);
  signed("no sub", withoutSub);
  signed("sub of another member", { ...payload, sub: w.memberB.memberId });
  signed("sub as a number", { ...payload, sub: 1 });
  signed("no session claim (an M2M-shaped token)", withoutSession);
  signed("session claim without an id", { ...payload, "https://stytch.com/session": { ...session, id: undefined } });
  signed("session id as an object", { ...payload, "https://stytch.com/session": { ...session, id: { $ne: null } } });
  signed("session id of the revoked session", { ...payload, "https://stytch.com/session": { ...session, id: w.revoked.sessionId } });
  signed("session id of the expired session", { ...payload, "https://stytch.com/session": { ...session, id: w.expired.sessionId } });
  signed("session id of the other project's session", { ...payload, sub: w.other.member.memberId, "https://stytch.com/session": { ...session, id: w.other.session.sessionId } });
  signed("session id that does not exist", { ...payload, "https://stytch.com/session": { ...session, id: "member-session-test-00000000-0000-0000-0000-000000000000" } });
  signed("payload is an array", [payload] as unknown as Record<string, unknown>);
  signed("crit header with an unknown extension", payload, { ...header, crit: ["exp"] });
  signed("b64:false header (RFC 7797)", payload, { ...header, b64: false, crit: ["b64"] });
  signed("zip header", payload, { ...header, zip: "DEF" });
  signed("typ of an access token", payload, { ...header, typ: "at+jwt" });
  signed("typ of a JWE", payload, { ...header, typ: "JWE", enc: "A256GCM" });

  // Structure.
  const structural: [string, string][] = [
    ["empty", ""],
    ["one dot", "."],
    ["two dots", ".."],
    ["two segments", `${headerSegment}.${payloadSegment}`],
    ["four segments", `${genuine}.${signatureSegment}`],
    ["JWE-shaped five segments", `${headerSegment}.a.b.c.d`],
    ["JSON serialization", JSON.stringify({ payload: payloadSegment, signatures: [{ protected: headerSegment, signature: signatureSegment }] })],
    ["leading space", ` ${genuine}`],
    ["trailing newline", `${genuine}\n`],
    ["base64 padding", `${headerSegment}=.${payloadSegment}.${signatureSegment}`],
    ["standard-base64 characters", `${headerSegment}.${payloadSegment}.${signatureSegment.replace(/-/g, "+").replace(/_/g, "/")}+/`],
    ["header not base64", `%%%.${payloadSegment}.${signatureSegment}`],
    ["header not JSON", `${b64("not json")}.${payloadSegment}.${signatureSegment}`],
    ["header a JSON string", `${b64('"RS256"')}.${payloadSegment}.${signatureSegment}`],
    ["header a JSON array", `${b64("[]")}.${payloadSegment}.${signatureSegment}`],
    ["header JSON null", `${b64("null")}.${payloadSegment}.${signatureSegment}`],
    ["header with duplicate alg", `${b64('{"alg":"none","alg":"RS256","kid":"' + String(header.kid) + '","typ":"JWT"}')}.${payloadSegment}.${signatureSegment}`],
    ["payload not JSON", `${headerSegment}.${b64("{")}.${signatureSegment}`],
    ["payload JSON null", `${headerSegment}.${b64("null")}.${signatureSegment}`],
    ["huge header", `${b64({ ...header, pad: "a".repeat(40_000) })}.${payloadSegment}.${signatureSegment}`],
    ["the session token", w.live.token],
    ["the organization-bound intermediate session token", w.orgIst],
    ["the discovery intermediate session token", w.discoveryIst],
    ["the SMS passcode", w.otpCode],
    ["the project secret", w.h.secret],
    ["the public JWK", JSON.stringify(w.signing.jwk)],
    ["a session id", w.live.sessionId],
  ];
  for (const [label, jwt] of structural) add(`malformed: ${label}`, jwt);
  return attacks;
}
