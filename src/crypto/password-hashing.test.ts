import assert from "node:assert/strict";
import { createHash, pbkdf2Sync, scryptSync } from "node:crypto";
import { describe, it } from "node:test";
import bcrypt from "bcryptjs";
import { hash as argon2Hash, hashRawSync as argon2HashRawSync } from "@node-rs/argon2";
import { AppError } from "../errors.js";
import {
  hashAlgorithmOf,
  hashPassword,
  phpassHash,
  prepareImportedHash,
  SCRYPT_COST,
  verifyAgainstNothing,
  verifyPassword,
  type HashImport,
} from "./password-hashing.js";

const PASSWORD = "correct horse battery staple ✓";

async function importedVerifies(input: HashImport, password = PASSWORD): Promise<{ right: boolean; wrong: boolean; upgrade: boolean }> {
  const stored = prepareImportedHash(input);
  assert.match(stored, /^\$import\$[a-z_0-9]+\$[A-Za-z0-9_-]+$/);
  const right = await verifyPassword(stored, password);
  const wrong = await verifyPassword(stored, password + "x");
  return { right: right.ok, wrong: wrong.ok, upgrade: right.upgrade };
}

function refusedWith(input: HashImport, errorType: string): void {
  assert.throws(
    () => prepareImportedHash(input),
    (error: unknown) => error instanceof AppError && error.errorType === errorType,
    `expected ${errorType}`,
  );
}

describe("our scrypt hashes", () => {
  it("are self-describing PHC strings at the stated cost, with a fresh salt each time", async () => {
    const first = await hashPassword(PASSWORD);
    const second = await hashPassword(PASSWORD);
    assert.match(first, new RegExp(`^\\$scrypt\\$ln=${SCRYPT_COST.logN},r=${SCRYPT_COST.r},p=${SCRYPT_COST.p}\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{86}$`));
    assert.notEqual(first, second);
    assert.equal(hashAlgorithmOf(first), "scrypt");
    assert.deepEqual(await verifyPassword(first, PASSWORD), { ok: true, upgrade: false });
    assert.deepEqual(await verifyPassword(first, "correct horse battery staple"), { ok: false, upgrade: false });
  });

  it("ask for an upgrade when stored at another cost", async () => {
    const salt = Buffer.alloc(16, 7);
    const key = scryptSync(PASSWORD, salt, 32, { N: 2 ** 10, r: 8, p: 1 });
    const weaker = `$scrypt$ln=10,r=8,p=1$${salt.toString("base64").replace(/=+$/, "")}$${key.toString("base64").replace(/=+$/, "")}`;
    assert.deepEqual(await verifyPassword(weaker, PASSWORD), { ok: true, upgrade: true });
  });

  it("never match a malformed stored value, and never throw", async () => {
    for (const stored of ["", "$scrypt$", "$scrypt$ln=99,r=8,p=1$AAAA$AAAA", "$import$bcrypt$!!!", "$import$bcrypt$e30", "plain", "$import$nope$e30"]) {
      assert.deepEqual(await verifyPassword(stored, PASSWORD), { ok: false, upgrade: false }, stored);
    }
    assert.equal(await verifyAgainstNothing(PASSWORD), false);
  });
});

describe("imported hashes", () => {
  it("bcrypt ($2a$, $2b$, $2y$)", async () => {
    const hash = bcrypt.hashSync(PASSWORD, 4);
    assert.deepEqual(await importedVerifies({ hash, hash_type: "bcrypt" }), { right: true, wrong: false, upgrade: true });
    assert.deepEqual(await importedVerifies({ hash: hash.replace(/^\$2[ab]\$/, "$2y$"), hash_type: "bcrypt" }), { right: true, wrong: false, upgrade: true });
    refusedWith({ hash: "$2a$04$short", hash_type: "bcrypt" }, "invalid_bcrypt_hash");
    refusedWith({ hash: hash.replace(/^\$2([ab])\$04\$/, "$2$1$20$"), hash_type: "bcrypt" }, "invalid_bcrypt_cost");
  });

  it("MD-5, SHA-1 and SHA-512, hex, with prepend and append salts", async () => {
    const salted = (algorithm: string, prepend: string, append: string) => createHash(algorithm).update(prepend + PASSWORD + append).digest("hex");
    assert.deepEqual(await importedVerifies({ hash: salted("md5", "", ""), hash_type: "md_5" }), { right: true, wrong: false, upgrade: true });
    assert.deepEqual(
      await importedVerifies({ hash: salted("md5", "pre", "post"), hash_type: "md_5", md_5_config: { prepend_salt: "pre", append_salt: "post" } }),
      { right: true, wrong: false, upgrade: true },
    );
    assert.deepEqual(
      await importedVerifies({ hash: salted("sha1", "s@lt", ""), hash_type: "sha_1", sha_1_config: { prepend_salt: "s@lt" } }),
      { right: true, wrong: false, upgrade: true },
    );
    assert.deepEqual(
      await importedVerifies({ hash: salted("sha512", "", "pepper").toUpperCase(), hash_type: "sha_512", sha_512_config: { append_salt: "pepper" } }),
      { right: true, wrong: false, upgrade: true },
    );
    refusedWith({ hash: "abc", hash_type: "md_5" }, "invalid_md_5_hash");
    refusedWith({ hash: salted("md5", "", ""), hash_type: "sha_1" }, "invalid_sha_1_hash");
    refusedWith({ hash: "zz".repeat(64), hash_type: "sha_512" }, "invalid_hash");
  });

  it("scrypt with scrypt_config, or PHC encoded", async () => {
    const salt = Buffer.from("NaCl-salt-bytes!");
    const key = scryptSync(PASSWORD, salt, 32, { N: 1024, r: 8, p: 2 });
    const config = { salt: salt.toString("base64"), n_parameter: 1024, r_parameter: 8, p_parameter: 2, key_length: 32 };
    assert.deepEqual(await importedVerifies({ hash: key.toString("base64"), hash_type: "scrypt", scrypt_config: config }), {
      right: true,
      wrong: false,
      upgrade: true,
    });
    const phc = `$scrypt$ln=10,r=8,p=2$${salt.toString("base64")}$${key.toString("base64")}`;
    assert.deepEqual(await importedVerifies({ hash: phc, hash_type: "scrypt" }), { right: true, wrong: false, upgrade: true });
    refusedWith({ hash: key.toString("base64"), hash_type: "scrypt" }, "invalid_scrypt_parameters");
    refusedWith({ hash: key.toString("base64"), hash_type: "scrypt", scrypt_config: { ...config, n_parameter: 1000 } }, "invalid_scrypt_n_parameter");
    refusedWith({ hash: key.toString("base64"), hash_type: "scrypt", scrypt_config: { ...config, key_length: 64 } }, "scrypt_key_length_mismatch");
    refusedWith({ hash: "%%%", hash_type: "scrypt", scrypt_config: config }, "invalid_base64_scrypt_hash");
    refusedWith({ hash: key.toString("base64"), hash_type: "scrypt", scrypt_config: { ...config, salt: "%%%" } }, "invalid_base64_scrypt_salt");
  });

  it("PBKDF2 with SHA-256 (default) and SHA-512", async () => {
    const salt = Buffer.from("pbkdf2-salt");
    for (const algorithm of ["sha256", "sha512"] as const) {
      const key = pbkdf2Sync(PASSWORD, salt, 1000, 32, algorithm);
      const config = { salt: salt.toString("base64"), iteration_amount: 1000, key_length: 32, ...(algorithm === "sha512" ? { algorithm } : {}) };
      assert.deepEqual(await importedVerifies({ hash: key.toString("base64"), hash_type: "pbkdf_2", pbkdf_2_config: config }), {
        right: true,
        wrong: false,
        upgrade: true,
      });
    }
    const key = pbkdf2Sync(PASSWORD, salt, 1000, 32, "sha256").toString("base64");
    refusedWith({ hash: key, hash_type: "pbkdf_2", pbkdf_2_config: { salt: salt.toString("base64"), iteration_amount: 1000, algorithm: "md5" } }, "invalid_pbkdf_2_algorithm");
    refusedWith({ hash: key, hash_type: "pbkdf_2", pbkdf_2_config: { salt: salt.toString("base64"), iteration_amount: 0 } }, "invalid_pbkdf_2_iteration_amount");
    refusedWith({ hash: key, hash_type: "pbkdf_2", pbkdf_2_config: { iteration_amount: 10 } }, "invalid_pbkdf_2_salt");
    refusedWith({ hash: key, hash_type: "pbkdf_2", pbkdf_2_config: { salt: salt.toString("base64"), iteration_amount: 1000, key_length: 64 } }, "pbkdf_2_key_length_mismatch");
  });

  it("argon2i and argon2id, PHC encoded or hex with argon_2_config", async () => {
    const argon2idPhc = await argon2Hash(PASSWORD, { algorithm: 2 as never, memoryCost: 1024, timeCost: 2 });
    assert.match(argon2idPhc, /^\$argon2id\$/);
    assert.deepEqual(await importedVerifies({ hash: argon2idPhc, hash_type: "argon_2id" }), { right: true, wrong: false, upgrade: true });
    refusedWith({ hash: argon2idPhc, hash_type: "argon_2i" }, "invalid_hash");
    refusedWith({ hash: argon2idPhc.replace(/t=\d+/, "t=1000"), hash_type: "argon_2id" }, "invalid_hash");

    const argon2iPhc = await argon2Hash(PASSWORD, { algorithm: 1 as never, memoryCost: 1024, timeCost: 2 });
    assert.deepEqual(await importedVerifies({ hash: argon2iPhc, hash_type: "argon_2i" }), { right: true, wrong: false, upgrade: true });

    const salt = "saltsaltsalt";
    const raw = argon2HashRawSync(PASSWORD, { algorithm: 2 as never, memoryCost: 1024, timeCost: 3, parallelism: 1, outputLen: 32, salt: Buffer.from(salt) });
    const config = { salt, iteration_amount: 3, memory: 1024, threads: 1, key_length: 32 };
    assert.deepEqual(await importedVerifies({ hash: raw.toString("hex"), hash_type: "argon_2id", argon_2_config: config }), {
      right: true,
      wrong: false,
      upgrade: true,
    });
    refusedWith({ hash: raw.toString("hex"), hash_type: "argon_2id", argon_2_config: { ...config, salt: "short" } }, "invalid_argon_2_salt");
    refusedWith({ hash: raw.toString("hex"), hash_type: "argon_2id", argon_2_config: { ...config, key_length: 16 } }, "argon_2_key_length_mismatch");
  });

  it("phpass portable hashes (the reference test vector)", async () => {
    const reference = "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0";
    assert.equal(phpassHash("test12345", reference), reference);
    assert.deepEqual(await importedVerifies({ hash: reference, hash_type: "phpass" }, "test12345"), { right: true, wrong: false, upgrade: true });
    refusedWith({ hash: "$1$abcdefgh$xxxxxxxxxxxxxxxxxxxxxx", hash_type: "phpass" }, "invalid_phpass_hash_prefix");
    refusedWith({ hash: "$P$9IQRa", hash_type: "phpass" }, "invalid_phpass_hash_format");
    refusedWith({ hash: "$P$Z" + reference.slice(4), hash_type: "phpass" }, "invalid_phpass_hash_format");
  });

  it("refuses unknown hash types", () => {
    refusedWith({ hash: "abc", hash_type: "crc32" }, "invalid_hash_type");
  });
});
