/** @module Test identity providers: key material (an RSA key and a self-signed certificate, as an IdP admin would export them) and samlify as a SAML IdP signing responses. */
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
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

const samlify = createRequire(import.meta.url)("samlify");
samlify.setSchemaValidator({ validate: async () => "skipped" }); // the test IdP only signs; Tessera validates
export const IDP_ENTITY = "http://127.0.0.1:9/idp";
const EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

const TEMPLATE = samlify.SamlLib.defaultLoginResponseTemplate.context.replace(
  "{AttributeStatement}",
  '<saml:AttributeStatement><saml:Attribute Name="name"><saml:AttributeValue>{attrName}</saml:AttributeValue></saml:Attribute>' +
    '<saml:Attribute Name="dept"><saml:AttributeValue>{attrDept}</saml:AttributeValue></saml:Attribute>' +
    '<saml:Attribute Name="groups"><saml:AttributeValue>{attrGroup1}</saml:AttributeValue><saml:AttributeValue>{attrGroup2}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>',
);


export interface SamlResponseOptions {
key?: IdpKeyPair;
inResponseTo?: string;
audience?: string;
recipient?: string;
notOnOrAfterMs?: number;
email?: string;
}

/** A Response signed by samlify in IdP mode (assertion signed), for the connection whose ACS is `acs`. */
export async function signedSamlResponse(options: SamlResponseOptions & { acs: string; key: IdpKeyPair; nowMs: number }): Promise<string> {
  const { acs, key } = options;
  const idp = samlify.IdentityProvider({
    entityID: IDP_ENTITY, privateKey: key.privateKeyPem, signingCert: key.certificatePem, nameIDFormat: [EMAIL_FORMAT],
    singleSignOnService: [{ Binding: POST_BINDING, Location: "http://127.0.0.1:9/sso" }],
    loginResponseTemplate: { context: (options.inResponseTo ? TEMPLATE : TEMPLATE.replace(/ InResponseTo="\{InResponseTo\}"/g, "")), attributes: [] },
  });
  const sp = samlify.ServiceProvider({ entityID: acs, assertionConsumerService: [{ Binding: POST_BINDING, Location: acs }], wantAssertionsSigned: true });
  const now = options.nowMs;
  const iso = (ms: number) => new Date(ms).toISOString();
  const response = await idp.createLoginResponse(sp, { extract: { request: { id: options.inResponseTo ?? "" } } }, "post", { email: options.email ?? "grace@saml.example" }, (template: string) => {
    const id = `_${randomUUID()}`;
    return {
      id,
      context: samlify.SamlLib.replaceTagsByValue(template, {
        ID: id, AssertionID: `_${randomUUID()}`, Destination: acs, Audience: options.audience ?? acs, SubjectRecipient: options.recipient ?? acs,
        Issuer: IDP_ENTITY, IssueInstant: iso(now), StatusCode: "urn:oasis:names:tc:SAML:2.0:status:Success",
        ConditionsNotBefore: iso(now - 60_000), ConditionsNotOnOrAfter: iso(options.notOnOrAfterMs ?? now + 300_000),
        SubjectConfirmationDataNotOnOrAfter: iso(options.notOnOrAfterMs ?? now + 300_000), NameIDFormat: EMAIL_FORMAT,
        NameID: options.email ?? "grace@saml.example", InResponseTo: options.inResponseTo ?? "", AuthnStatement: "",
        attrName: "Grace Hopper", attrDept: "Navy", attrGroup1: "Admins", attrGroup2: "Engineers",
      }),
    };
  });
  return response.context as string;
}
