/**
 * @module The randomness the server uses, behind an injectable source so tests can fix it,
 * plus the id and token shapes built from it.
 */
import { randomBytes } from "node:crypto";
import type { Environment } from "../domain/types.js";

export interface RandomSource {
  /** `length` bytes from a CSPRNG (or a deterministic stand-in in tests). */
  bytes(length: number): Buffer;
}

export const systemRandom: RandomSource = { bytes: (length) => randomBytes(length) };

/** An RFC 4122 version-4 UUID drawn from `random`. */
export function uuidV4(random: RandomSource): string {
  const b = random.bytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Stytch-shaped id: `<kind>-<environment>-<uuid>`, e.g. `member-test-…`. */
export function newStytchId(kind: string, environment: Environment, random: RandomSource): string {
  return `${kind}-${environment}-${uuidV4(random)}`;
}

/** Opaque session token: 33 random bytes (264 bits) as 44 URL-safe base64 characters. */
export function newSessionToken(random: RandomSource): string {
  return random.bytes(33).toString("base64url");
}

/** Project API secret: `secret-<environment>-` and 36 random bytes in URL-safe base64. */
export function newProjectSecret(environment: Environment, random: RandomSource): string {
  return `secret-${environment}-${random.bytes(36).toString("base64url")}`;
}
