/**
 * @module Hashing of high-entropy secrets (session tokens, API secrets) for storage and lookup.
 * They carry ≥ 256 random bits, so a fast hash is enough: there is nothing to brute-force.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Compares two digests in constant time; different lengths are simply unequal. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
