/** @module Test identity providers' key material: an RSA key and a self-signed certificate, as an IdP admin would export them. */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { selfSignedCertificate } from "../../src/crypto/certificate.js";

export interface IdpKeyPair {
  /** PKCS#1 PEM (BEGIN RSA PRIVATE KEY), the only format Stytch accepts for SP keys. */
  privateKeyPem: string;
  certificatePem: string;
}

export function idpKeyPair(commonName = "Test IdP"): IdpKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const der = selfSignedCertificate({ publicKey, privateKey, commonName, serialNumber: randomBytes(12), notBefore: new Date(), validityYears: 2 });
  const body = der.toString("base64").match(/.{1,64}/g)!.join("\n");
  return {
    privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    certificatePem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
  };
}
