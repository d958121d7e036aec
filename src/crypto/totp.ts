/**
 * @module HOTP (RFC 4226) and TOTP (RFC 6238), plus the base32 (RFC 4648) the secrets travel in.
 * Pure functions over bytes and instants; which steps are acceptable and whether a step was
 * already used is the caller's business (see `services/totp.ts`).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type TotpAlgorithm = "sha1" | "sha256" | "sha512";

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, upper case, without padding (what authenticator apps expect in `secret=`). */
export function base32Encode(bytes: Uint8Array): string {
  let output = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) output += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return output;
}

/** Decodes base32 (case-insensitive; spaces, dashes and `=` padding ignored). Throws on other characters. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=-]/g, "").toUpperCase();
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) throw new TypeError("not base32");
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return Buffer.from(bytes);
}

/** RFC 4226 §5.3: HMAC over the 8-byte big-endian counter, dynamic truncation, `digits` decimal digits. */
export function hotp(secret: Uint8Array, counter: number, digits = 6, algorithm: TotpAlgorithm = "sha1"): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary =
    ((mac[offset]! & 0x7f) << 24) | ((mac[offset + 1]! & 0xff) << 16) | ((mac[offset + 2]! & 0xff) << 8) | (mac[offset + 3]! & 0xff);
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** RFC 6238 §4: the time step containing `unixSeconds` (T0 = 0). */
export function totpStep(unixSeconds: number, periodSeconds = 30): number {
  return Math.floor(unixSeconds / periodSeconds);
}

/** The TOTP code at `unixSeconds`. */
export function totp(
  secret: Uint8Array,
  unixSeconds: number,
  options: { digits?: number; periodSeconds?: number; algorithm?: TotpAlgorithm } = {},
): string {
  return hotp(secret, totpStep(unixSeconds, options.periodSeconds ?? 30), options.digits ?? 6, options.algorithm ?? "sha1");
}

/** Constant-time comparison of two codes of the same length (different lengths are unequal). */
export function codesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The step in `[step - drift, step + drift]` whose code equals `code`, or null. Every candidate is
 * computed and compared (no early exit), so timing does not say which step matched.
 */
export function matchTotpStep(secret: Uint8Array, code: string, unixSeconds: number, drift = 1, digits = 6): number | null {
  const current = totpStep(unixSeconds);
  let matched: number | null = null;
  for (let step = current - drift; step <= current + drift; step++) {
    if (step < 0) continue;
    if (codesEqual(hotp(secret, step, digits), code) && matched === null) matched = step;
  }
  return matched;
}

/** The `otpauth://` URI authenticator apps import (Key Uri Format, as Google Authenticator defines it). */
export function otpauthUri(options: { issuer: string; accountName: string; secretBase32: string }): string {
  const label = `${encodeURIComponent(options.issuer)}:${encodeURIComponent(options.accountName)}`;
  const query = new URLSearchParams({
    secret: options.secretBase32,
    issuer: options.issuer,
    algorithm: "SHA1",
    digits: "6",
    period: "30",
  });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, "%20")}`;
}
