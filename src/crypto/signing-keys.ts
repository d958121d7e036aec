/**
 * @module RS256 signing keys: generation (RSA-2048 with a self-signed certificate) and their
 * public JWK form. Rotation states live in the domain type; the store persists them.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { Environment, EpochMs, SigningKey } from "../domain/types.js";
import { selfSignedCertificate } from "./certificate.js";
import { newStytchId, type RandomSource } from "./random.js";

const generateRsaKeyPair = promisify(generateKeyPair);

export const RSA_MODULUS_BITS = 2048;
const CERTIFICATE_VALIDITY_YEARS = 10;

/** The public key as the JWKS publishes it (Stytch's members, including `x5tS256`). */
export interface PublicJwk {
  kty: "RSA";
  use: "sig";
  key_ops: ["verify"];
  alg: "RS256";
  kid: string;
  x5c: string[];
  x5tS256: string;
  n: string;
  e: string;
}

/** A new RSA-2048 key in state `state`, with its self-signed certificate. */
export async function generateSigningKey(options: {
  projectId: string;
  environment: Environment;
  state: SigningKey["state"];
  now: EpochMs;
  random: RandomSource;
}): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateRsaKeyPair("rsa", { modulusLength: RSA_MODULUS_BITS });
  const kid = newStytchId("jwk", options.environment, options.random);
  const certificate = selfSignedCertificate({
    publicKey,
    privateKey,
    commonName: kid,
    serialNumber: options.random.bytes(16),
    notBefore: new Date(options.now),
    validityYears: CERTIFICATE_VALIDITY_YEARS,
  });
  return {
    projectId: options.projectId,
    kid,
    state: options.state,
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    certificateDer: certificate.toString("base64"),
    createdAt: options.now,
    activatedAt: options.state === "current" ? options.now : null,
    retiredAt: null,
  };
}

/** Parsed key material, kept so signing and verifying never re-parse PEM on a request. */
export interface LoadedSigningKey {
  key: SigningKey;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

export function loadSigningKey(key: SigningKey): LoadedSigningKey {
  const privateKey = createPrivateKey(key.privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const exported = publicKey.export({ format: "jwk" });
  const certificate = Buffer.from(key.certificateDer, "base64");
  return {
    key,
    privateKey,
    publicKey,
    jwk: {
      kty: "RSA",
      use: "sig",
      key_ops: ["verify"],
      alg: "RS256",
      kid: key.kid,
      x5c: [key.certificateDer],
      x5tS256: createHash("sha256").update(certificate).digest("base64url"),
      n: exported.n!,
      e: exported.e!,
    },
  };
}
