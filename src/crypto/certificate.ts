/**
 * @module A minimal DER writer for the one certificate the JWKS needs: a self-signed X.509 v3
 * certificate around a signing key, published in `x5c` (Stytch publishes one too).
 */
import { createSign, type KeyObject } from "node:crypto";

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, "utf8"));
const bitString = (bytes: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));

function integer(bytes: Buffer): Buffer {
  // DER integers are minimal and signed: drop leading zero bytes, then prefix one zero byte when the high bit is set.
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const minimal = bytes.subarray(start);
  const body = minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal;
  return tlv(0x02, body);
}

function objectIdentifier(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const bytes: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let rest = part;
    do {
      chunk.unshift(rest & 0x7f);
      rest >>= 7;
    } while (rest > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), "ascii")) : tlv(0x18, Buffer.from(iso, "ascii"));
}

const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
const ORGANIZATION_NAME = "2.5.4.10";
const COMMON_NAME = "2.5.4.3";

/**
 * A self-signed certificate for `publicKey`, signed by `privateKey` (RSA, SHA-256), valid for
 * `validityYears` from `notBefore`. Returns the DER bytes.
 */
export function selfSignedCertificate(options: {
  publicKey: KeyObject;
  privateKey: KeyObject;
  commonName: string;
  serialNumber: Buffer;
  notBefore: Date;
  validityYears: number;
}): Buffer {
  const algorithm = sequence(objectIdentifier(SHA256_WITH_RSA), nullValue());
  const name = sequence(
    set(sequence(objectIdentifier(ORGANIZATION_NAME), utf8String("Tessera"))),
    set(sequence(objectIdentifier(COMMON_NAME), utf8String(options.commonName))),
  );
  const notAfter = new Date(options.notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + options.validityYears);
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))), // [0] EXPLICIT version v3
    integer(options.serialNumber),
    algorithm,
    name,
    sequence(time(options.notBefore), time(notAfter)),
    name,
    options.publicKey.export({ type: "spki", format: "der" }),
  );
  const signature = createSign("sha256").update(tbs).sign(options.privateKey);
  return sequence(tbs, algorithm, bitString(signature));
}
