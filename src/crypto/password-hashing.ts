/**
 * @module Password hashes: our own (scrypt from node:crypto, memory-hard) and the imported
 * ones `passwords/migrate` accepts (bcrypt, scrypt, argon2i/argon2id, PBKDF2, MD-5, SHA-1,
 * SHA-512, phpass). Every stored hash is a self-describing string:
 *
 * - ours: `$scrypt$ln=15,r=8,p=1$<salt>$<key>` (PHC string format; salt and key in standard
 *   base64 without padding);
 * - imported: `$import$<hash_type>$<base64url of {"hash", "config"}>`, kept exactly as given
 *   and verified with its own algorithm until the member's next successful login replaces it
 *   with ours.
 *
 * Verification never throws for a bad stored value (it is simply "no match") and compares
 * digests in constant time.
 */
import { createHash, pbkdf2 as pbkdf2Callback, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";
import bcrypt from "bcryptjs";
import { hashRaw as argon2HashRaw, verify as argon2Verify } from "@node-rs/argon2";
import { AppError, type ErrorType } from "../errors.js";

/**
 * Cost of new hashes: N = 2^15, r = 8, p = 1 uses 32 MiB and ~50–100 ms of one core per hash,
 * the OWASP Password Storage Cheat Sheet's first scrypt setting; 16-byte salt, 64-byte key.
 */
export const SCRYPT_COST = { logN: 15, r: 8, p: 1, keyLength: 64, saltLength: 16 } as const;

/** Largest scrypt working set we compute for an imported hash (Stytch accepts N ≤ 262144). */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

function scrypt(password: Buffer, salt: Buffer, keyLength: number, options: { N: number; r: number; p: number }): Promise<Buffer> {
  const maxmem = 128 * options.N * options.r + 128 * options.r * options.p + 1024 * 1024;
  const scryptOptions: ScryptOptions = { N: options.N, r: options.r, p: options.p, maxmem };
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keyLength, scryptOptions, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function pbkdf2(password: Buffer, salt: Buffer, iterations: number, keyLength: number, digest: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pbkdf2Callback(password, salt, iterations, keyLength, digest, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** Constant-time equality; different lengths are unequal (length is not secret). */
function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

const b64 = (bytes: Buffer): string => bytes.toString("base64").replace(/=+$/, "");
const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^[0-9a-fA-F]*$/;

function fromBase64(text: string): Buffer | null {
  // Accept standard and URL-safe alphabets, and passlib's "adapted" one ('.' for '+').
  const normalized = text.trim().replace(/-/g, "+").replace(/_/g, "/").replace(/\./g, "+");
  if (normalized === "" || !STANDARD_BASE64.test(normalized)) return null;
  const bytes = Buffer.from(normalized, "base64");
  return bytes.length > 0 ? bytes : null;
}

// ---------------------------------------------------------------------------------------------
// Our hashes
// ---------------------------------------------------------------------------------------------

/** A new scrypt hash of `password` at the current cost. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT_COST.saltLength);
  const key = await scrypt(Buffer.from(password, "utf8"), salt, SCRYPT_COST.keyLength, {
    N: 2 ** SCRYPT_COST.logN,
    r: SCRYPT_COST.r,
    p: SCRYPT_COST.p,
  });
  return `$scrypt$ln=${SCRYPT_COST.logN},r=${SCRYPT_COST.r},p=${SCRYPT_COST.p}$${b64(salt)}$${b64(key)}`;
}

interface ScryptPhc {
  logN: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

const SCRYPT_PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([^$]+)\$([^$]+)$/;

function parseScryptPhc(text: string): ScryptPhc | null {
  const match = SCRYPT_PHC.exec(text.trim());
  if (!match) return null;
  const salt = fromBase64(match[4]!);
  const key = fromBase64(match[5]!);
  if (!salt || !key) return null;
  return { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]), salt, key };
}

function scryptParametersUsable(logN: number, r: number, p: number): boolean {
  return logN >= 1 && logN <= 18 && r >= 1 && r <= 32 && p >= 1 && p <= 16 && 128 * 2 ** logN * r <= MAX_SCRYPT_MEMORY;
}

async function verifyScrypt(phc: ScryptPhc, password: string): Promise<boolean> {
  if (!scryptParametersUsable(phc.logN, phc.r, phc.p) || phc.key.length > 1024) return false;
  const key = await scrypt(Buffer.from(password, "utf8"), phc.salt, phc.key.length, { N: 2 ** phc.logN, r: phc.r, p: phc.p });
  return equal(key, phc.key);
}

// A fixed hash of nothing anyone can type: verifying against it costs exactly what a real
// verification costs, so an unknown member takes as long as a wrong password.
const DUMMY_PHC: ScryptPhc = {
  logN: SCRYPT_COST.logN,
  r: SCRYPT_COST.r,
  p: SCRYPT_COST.p,
  salt: Buffer.alloc(SCRYPT_COST.saltLength, 0x5a),
  key: Buffer.alloc(SCRYPT_COST.keyLength, 0),
};

/** Spends the work of one verification and answers "no match" (for members without a password). */
export async function verifyAgainstNothing(password: string): Promise<false> {
  await verifyScrypt(DUMMY_PHC, password);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Imported hashes
// ---------------------------------------------------------------------------------------------

export const IMPORTED_HASH_TYPES = ["bcrypt", "scrypt", "argon_2i", "argon_2id", "pbkdf_2", "md_5", "sha_1", "sha_512", "phpass"] as const;
export type ImportedHashType = (typeof IMPORTED_HASH_TYPES)[number];

/** The request fields of `passwords/migrate` that describe a hash (Stytch's names). */
export interface HashImport {
  hash: string;
  hash_type: string;
  md_5_config?: { prepend_salt?: string; append_salt?: string };
  sha_1_config?: { prepend_salt?: string; append_salt?: string };
  sha_512_config?: { prepend_salt?: string; append_salt?: string };
  scrypt_config?: { salt?: string; n_parameter?: number; r_parameter?: number; p_parameter?: number; key_length?: number };
  pbkdf_2_config?: { salt?: string; iteration_amount?: number; key_length?: number; algorithm?: string };
  argon_2_config?: { salt?: string; iteration_amount?: number; memory?: number; threads?: number; key_length?: number };
}

/** What we keep of an imported hash: normalised, validated, with only the config it needs. */
interface ImportedRecord {
  hash: string;
  config: Record<string, unknown>;
}

function refuse(errorType: ErrorType, message?: string): never {
  throw new AppError(errorType, message);
}

function saltConfig(config: { prepend_salt?: string; append_salt?: string } | undefined): Record<string, unknown> {
  return { prepend_salt: config?.prepend_salt ?? "", append_salt: config?.append_salt ?? "" };
}

const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const PHPASS = /^\$[PH]\$[./0-9A-Za-z]{31}$/;
const ARGON2_PHC = /^\$argon2(i|id)\$(v=\d+\$)?m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+$/;

/**
 * Cost ceilings for imported hashes: every login attempt pays the imported cost until the
 * hash is upgraded, so a hash that would take seconds per verification is refused at import.
 */
export const IMPORT_LIMITS = { bcryptCost: 16, argon2MemoryKib: 262144, argon2Iterations: 64, argon2Threads: 16, phpassLog2: 18 } as const;

const ARGON2_LIMITS_MESSAGE =
  `argon2 hashes need memory (KiB, at most ${IMPORT_LIMITS.argon2MemoryKib}), iterations (at most ` +
  `${IMPORT_LIMITS.argon2Iterations}) and threads (at most ${IMPORT_LIMITS.argon2Threads}).`;

function argon2CostUsable(memory: number, iterations: number, threads: number): boolean {
  return (
    [memory, iterations, threads].every((value) => Number.isInteger(value) && value >= 1) &&
    memory <= IMPORT_LIMITS.argon2MemoryKib &&
    iterations <= IMPORT_LIMITS.argon2Iterations &&
    threads <= IMPORT_LIMITS.argon2Threads
  );
}

/**
 * Validates an import request and returns the stored form of the hash, or throws the Stytch
 * error for what is wrong with it. Nothing is computed against a password here.
 */
export function prepareImportedHash(input: HashImport): string {
  const type = input.hash_type as ImportedHashType;
  if (!(IMPORTED_HASH_TYPES as readonly string[]).includes(type)) refuse("invalid_hash_type");
  const hash = input.hash.trim();
  if (hash === "") refuse("invalid_hash");
  let record: ImportedRecord;
  switch (type) {
    case "bcrypt": {
      const match = BCRYPT.exec(hash);
      if (!match) refuse("invalid_bcrypt_hash");
      if (Number(match[1]) < 4 || Number(match[1]) > IMPORT_LIMITS.bcryptCost) refuse("invalid_bcrypt_cost");
      record = { hash, config: {} };
      break;
    }
    case "md_5":
    case "sha_1":
    case "sha_512": {
      const hexLength = { md_5: 32, sha_1: 40, sha_512: 128 }[type];
      const errorType: ErrorType = type === "md_5" ? "invalid_md_5_hash" : type === "sha_1" ? "invalid_sha_1_hash" : "invalid_hash";
      if (!HEX.test(hash) || hash.length !== hexLength) refuse(errorType);
      const config = type === "md_5" ? input.md_5_config : type === "sha_1" ? input.sha_1_config : input.sha_512_config;
      record = { hash: hash.toLowerCase(), config: saltConfig(config) };
      break;
    }
    case "scrypt": {
      const phc = parseScryptPhc(hash);
      if (phc) {
        if (!scryptParametersUsable(phc.logN, phc.r, phc.p)) refuse("invalid_scrypt_parameters");
        record = { hash: `$scrypt$ln=${phc.logN},r=${phc.r},p=${phc.p}$${b64(phc.salt)}$${b64(phc.key)}`, config: {} };
        break;
      }
      const config = input.scrypt_config;
      if (!config) refuse("invalid_scrypt_parameters");
      const key = fromBase64(hash);
      if (!key) refuse("invalid_base64_scrypt_hash");
      const salt = config.salt === undefined ? null : fromBase64(config.salt);
      if (!salt) refuse("invalid_base64_scrypt_salt");
      const n = config.n_parameter ?? 0;
      if (!Number.isInteger(n) || n <= 1 || n > 262144 || (n & (n - 1)) !== 0) refuse("invalid_scrypt_n_parameter");
      const logN = Math.log2(n);
      const r = config.r_parameter ?? 0;
      const p = config.p_parameter ?? 0;
      if (!scryptParametersUsable(logN, r, p)) refuse("invalid_scrypt_parameters");
      if (config.key_length !== undefined && config.key_length !== key.length) refuse("scrypt_key_length_mismatch");
      record = { hash: `$scrypt$ln=${logN},r=${r},p=${p}$${b64(salt)}$${b64(key)}`, config: {} };
      break;
    }
    case "pbkdf_2": {
      const config = input.pbkdf_2_config;
      const key = fromBase64(hash);
      if (!key) refuse("invalid_pbkdf_2_hash");
      const salt = config?.salt === undefined ? null : fromBase64(config.salt);
      if (!salt) refuse("invalid_pbkdf_2_salt");
      const algorithm = (config?.algorithm ?? "sha256").toLowerCase();
      if (algorithm !== "sha256" && algorithm !== "sha512") refuse("invalid_pbkdf_2_algorithm");
      const iterations = config?.iteration_amount ?? 0;
      if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) refuse("invalid_pbkdf_2_iteration_amount");
      if (config?.key_length !== undefined && config.key_length !== key.length) refuse("pbkdf_2_key_length_mismatch");
      record = { hash: key.toString("base64"), config: { salt: salt.toString("base64"), iterations, algorithm } };
      break;
    }
    case "argon_2i":
    case "argon_2id": {
      const variant = type === "argon_2i" ? "i" : "id";
      const phc = ARGON2_PHC.exec(hash);
      if (phc) {
        if (phc[1] !== variant) refuse("invalid_hash", `The hash is argon2${phc[1]}, not argon2${variant}.`);
        if (!argon2CostUsable(Number(phc[3]), Number(phc[4]), Number(phc[5]))) {
          refuse("invalid_hash", ARGON2_LIMITS_MESSAGE);
        }
        record = { hash, config: {} };
        break;
      }
      // The "hex form": a hex digest plus argon_2_config.
      const config = input.argon_2_config;
      if (!config || !HEX.test(hash) || hash.length % 2 !== 0) refuse("invalid_hash");
      const salt = config.salt ?? "";
      if (Buffer.byteLength(salt, "utf8") < 8) refuse("invalid_argon_2_salt");
      const keyLength = hash.length / 2;
      if (config.key_length !== undefined && config.key_length !== keyLength) refuse("argon_2_key_length_mismatch");
      const memory = config.memory ?? 0;
      const iterations = config.iteration_amount ?? 0;
      const threads = config.threads ?? 0;
      if (!argon2CostUsable(memory, iterations, threads)) {
        refuse("invalid_hash", ARGON2_LIMITS_MESSAGE);
      }
      record = { hash: hash.toLowerCase(), config: { salt, memory, iterations, threads } };
      break;
    }
    case "phpass": {
      if (!hash.startsWith("$P$") && !hash.startsWith("$H$")) refuse("invalid_phpass_hash_prefix");
      if (!PHPASS.test(hash) || phpassIterationsLog2(hash) === null) refuse("invalid_phpass_hash_format");
      record = { hash, config: {} };
      break;
    }
  }
  return `$import$${type}$${Buffer.from(JSON.stringify(record), "utf8").toString("base64url")}`;
}

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function phpassIterationsLog2(setting: string): number | null {
  const log2 = ITOA64.indexOf(setting[3] ?? "");
  // phpass allows 2^7..2^30 rounds; beyond 2^18 the (synchronous) MD-5 loop would stall the server.
  return log2 >= 7 && log2 <= IMPORT_LIMITS.phpassLog2 ? log2 : null;
}

/** phpass's own base64 variant (little-endian groups of three bytes). */
function phpassEncode(input: Buffer, count: number): string {
  let output = "";
  let i = 0;
  do {
    let value = input[i++]!;
    output += ITOA64[value & 0x3f];
    if (i < count) value |= input[i]! << 8;
    output += ITOA64[(value >> 6) & 0x3f];
    if (i++ >= count) break;
    if (i < count) value |= input[i]! << 16;
    output += ITOA64[(value >> 12) & 0x3f];
    if (i++ >= count) break;
    output += ITOA64[(value >> 18) & 0x3f];
  } while (i < count);
  return output;
}

/** The phpass portable hash of `password` with the setting (prefix, cost, salt) of `stored`. */
export function phpassHash(password: string, stored: string): string | null {
  const log2 = phpassIterationsLog2(stored);
  if (log2 === null) return null;
  const salt = stored.slice(4, 12);
  const secret = Buffer.from(password, "utf8");
  let digest = createHash("md5").update(Buffer.concat([Buffer.from(salt, "binary"), secret])).digest();
  for (let count = 2 ** log2; count > 0; count--) digest = createHash("md5").update(Buffer.concat([digest, secret])).digest();
  return stored.slice(0, 12) + phpassEncode(digest, 16);
}

async function verifyImported(type: string, record: ImportedRecord, password: string): Promise<boolean> {
  const secret = Buffer.from(password, "utf8");
  const salted = (): Buffer =>
    Buffer.concat([
      Buffer.from(String(record.config.prepend_salt ?? ""), "utf8"),
      secret,
      Buffer.from(String(record.config.append_salt ?? ""), "utf8"),
    ]);
  switch (type) {
    case "bcrypt":
      // bcryptjs speaks $2a$/$2b$; $2y$ is the same algorithm under PHP's name.
      return bcrypt.compare(password, record.hash.replace(/^\$2y\$/, "$2b$"));
    case "md_5":
      return equal(createHash("md5").update(salted()).digest(), Buffer.from(record.hash, "hex"));
    case "sha_1":
      return equal(createHash("sha1").update(salted()).digest(), Buffer.from(record.hash, "hex"));
    case "sha_512":
      return equal(createHash("sha512").update(salted()).digest(), Buffer.from(record.hash, "hex"));
    case "scrypt": {
      const phc = parseScryptPhc(record.hash);
      return phc ? verifyScrypt(phc, password) : false;
    }
    case "pbkdf_2": {
      const expected = Buffer.from(record.hash, "base64");
      const key = await pbkdf2(
        secret,
        Buffer.from(String(record.config.salt), "base64"),
        Number(record.config.iterations),
        expected.length,
        String(record.config.algorithm),
      );
      return equal(key, expected);
    }
    case "argon_2i":
    case "argon_2id": {
      if (record.hash.startsWith("$argon2")) return argon2Verify(record.hash, secret);
      const expected = Buffer.from(record.hash, "hex");
      const key = await argon2HashRaw(secret, {
        salt: Buffer.from(String(record.config.salt), "utf8"),
        memoryCost: Number(record.config.memory),
        timeCost: Number(record.config.iterations),
        parallelism: Number(record.config.threads),
        outputLen: expected.length,
        // Algorithm is a const enum in the typings: Argon2i = 1, Argon2id = 2.
        algorithm: (type === "argon_2i" ? 1 : 2) as never,
      });
      return equal(key, expected);
    }
    case "phpass": {
      const computed = phpassHash(password, record.hash);
      return computed !== null && equal(Buffer.from(computed, "utf8"), Buffer.from(record.hash, "utf8"));
    }
    default:
      return false;
  }
}

export interface PasswordVerification {
  ok: boolean;
  /** The stored hash is not ours at the current cost: replace it now that we know the password. */
  upgrade: boolean;
}

/** Checks `password` against a stored hash of either kind. A malformed stored value never matches. */
export async function verifyPassword(stored: string, password: string): Promise<PasswordVerification> {
  try {
    if (stored.startsWith("$scrypt$")) {
      const phc = parseScryptPhc(stored);
      if (!phc) return { ok: false, upgrade: false };
      const ok = await verifyScrypt(phc, password);
      const current =
        phc.logN === SCRYPT_COST.logN && phc.r === SCRYPT_COST.r && phc.p === SCRYPT_COST.p && phc.key.length === SCRYPT_COST.keyLength;
      return { ok, upgrade: ok && !current };
    }
    const imported = /^\$import\$([a-z_0-9]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
    if (imported) {
      const record = JSON.parse(Buffer.from(imported[2]!, "base64url").toString("utf8")) as ImportedRecord;
      const ok = await verifyImported(imported[1]!, record, password);
      return { ok, upgrade: ok };
    }
  } catch {
    // A stored value we cannot evaluate is a non-match, never a server error.
  }
  return { ok: false, upgrade: false };
}

/** The algorithm a stored hash uses (for docs, logs and tests): `scrypt` or `import:<hash_type>`. */
export function hashAlgorithmOf(stored: string): string {
  if (stored.startsWith("$scrypt$")) return "scrypt";
  const imported = /^\$import\$([a-z_0-9]+)\$/.exec(stored);
  return imported ? `import:${imported[1]}` : "unknown";
}
