/**
 * @module Authenticated encryption (AES-256-GCM) for secrets the server must read back later:
 * TOTP shared secrets and queued messages that carry codes. Format `v1.<iv>.<ciphertext+tag>`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString("base64url")}.${ciphertext.toString("base64url")}`;
}

/** The plaintext, or throws if the box was tampered with or sealed under another key. */
export function open(key: Buffer, sealed: string): string {
  const [version, ivText, bodyText] = sealed.split(".");
  if (version !== "v1" || !ivText || bodyText === undefined) throw new TypeError("not a sealed box");
  const body = Buffer.from(bodyText, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(ivText, "base64url"));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
}
