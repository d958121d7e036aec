/**
 * @module Tessera as a SAML service provider, on @node-saml/node-saml (signature verification
 * against any of the connection's certificates, reading identity only from the signed assertion,
 * InResponseTo through a cache backed by the attempt in Tessera's store). node-saml reads the
 * system clock and checks neither Recipient nor the alternative audience, so those checks are
 * made here, on the signed assertion, against the injected clock.
 */
import { SAML, ValidateInResponseTo, type CacheProvider } from "@node-saml/node-saml";
import { DOMParser, type Element } from "@xmldom/xmldom";
import type { SsoConnection } from "../../domain/sso.js";
import { AppError } from "../../errors.js";
import type { ServiceContext } from "../context.js";
import type { InstanceKeys } from "../instance-keys.js";

/** Clock difference tolerated on NotBefore / NotOnOrAfter (docs/sso.md). */
export const SAML_CLOCK_SKEW_MS = 60_000;
const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";

export class SamlServiceProvider {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly instanceKeys: InstanceKeys,
  ) {}

  private async sp(connection: SsoConnection, callbackUrl: string, cache: CacheProvider, inResponseTo: ValidateInResponseTo): Promise<SAML> {
    const s = connection.saml!;
    return new SAML({
      callbackUrl: s.alternativeAcsUrl || callbackUrl,
      entryPoint: s.idpSsoUrl,
      issuer: callbackUrl,
      idpIssuer: s.idpEntityId,
      idpCert: s.verificationCertificates.map((c) => c.certificate),
      audience: false,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      identifierFormat: s.nameidFormat,
      privateKey: await this.instanceKeys.open(s.sealedSigningKey),
      signatureAlgorithm: "sha256",
      validateInResponseTo: inResponseTo,
      cacheProvider: cache,
      // Timestamps are checked below against the injected clock.
      acceptedClockSkewMs: -1,
      ...(s.encryptionKeys[0] ? { decryptionPvk: await this.instanceKeys.open(s.encryptionKeys[0].sealedPrivateKey) } : {}),
    });
  }

  /** The IdP URL of an SP-initiated login (HTTP-Redirect binding, signed) and the AuthnRequest id to expect back. */
  async authorizationRequest(connection: SsoConnection, callbackUrl: string, relayState: string): Promise<{ url: string; attemptDetails: Record<string, unknown> }> {
    let requestId = "";
    const cache: CacheProvider = {
      saveAsync: async (key, value) => {
        requestId = key;
        return { value, createdAt: this.ctx.clock.now() };
      },
      getAsync: async () => null,
      removeAsync: async () => null,
    };
    const sp = await this.sp(connection, callbackUrl, cache, ValidateInResponseTo.always);
    const url = await sp.getAuthorizeUrlAsync(relayState, undefined, {});
    return { url, attemptDetails: { saml_request_id: requestId } };
  }

  /**
   * Verifies a SAMLResponse. `expectedRequestId` is the AuthnRequest id of an SP-initiated
   * attempt; null means IdP-initiated, where no InResponseTo may appear.
   */
  async verify(
    connection: SsoConnection,
    callbackUrl: string,
    samlResponse: string,
    expectedRequestId: string | null,
  ): Promise<{ externalId: string; attributes: Record<string, unknown>; assertionId: string; notOnOrAfter: number }> {
    const xml = Buffer.from(samlResponse, "base64").toString("utf8");
    if (!xml.includes("<") || /<!DOCTYPE|<!ENTITY/i.test(xml)) throw new AppError("invalid_xml_saml_response");
    const cache: CacheProvider = {
      saveAsync: async () => null,
      // node-saml compares this instant with the system clock; the attempt's own expiry was
      // already checked against the injected clock, so "just now" on the system clock is right.
      getAsync: async (key) => (expectedRequestId !== null && key === expectedRequestId ? new Date().toISOString() : null),
      removeAsync: async (key) => key,
    };
    const sp = await this.sp(connection, callbackUrl, cache, expectedRequestId === null ? ValidateInResponseTo.never : ValidateInResponseTo.always);
    if (expectedRequestId === null && /InResponseTo\s*=/.test(xml)) throw new AppError("unsolicited_saml_response");
    let profile;
    try {
      ({ profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (error) {
      throw new AppError(samlErrorType(String((error as Error)?.message ?? "")));
    }
    const assertionXml = profile?.getAssertionXml?.();
    if (!profile || !assertionXml) throw new AppError("missing_signature_saml_response");
    return this.checkAssertion(connection, callbackUrl, assertionXml, profile.nameID, (profile.attributes ?? {}) as Record<string, unknown>);
  }

  /** Audience, Recipient and the time window, read from the signed assertion only. */
  private checkAssertion(connection: SsoConnection, callbackUrl: string, assertionXml: string, nameId: string, attributes: Record<string, unknown>) {
    // Comments or processing instructions inside the signed assertion are how canonicalisation tricks start.
    if (/<!--|<\?/.test(assertionXml)) throw new AppError("invalid_xml_saml_response");
    const assertion = new DOMParser().parseFromString(assertionXml, "text/xml").documentElement as Element | null;
    if (!assertion) throw new AppError("invalid_xml_saml_response");
    const first = (name: string) => assertion.getElementsByTagNameNS(ASSERTION_NS, name)[0];
    const s = connection.saml!;
    const now = this.ctx.clock.now();
    const audiences = Array.from(assertion.getElementsByTagNameNS(ASSERTION_NS, "Audience")).map((e) => (e.textContent ?? "").trim());
    const accepted = [callbackUrl, s.alternativeAudienceUri].filter((a) => a !== "");
    if (!audiences.some((a) => accepted.includes(a))) throw new AppError("invalid_audience_saml_response");
    const confirmation = first("SubjectConfirmationData");
    const recipient = confirmation?.getAttribute("Recipient") ?? "";
    if (![callbackUrl, s.alternativeAcsUrl].filter((u) => u !== "").includes(recipient)) throw new AppError("invalid_recipient_saml_response");
    const conditions = first("Conditions");
    const notBefore = Date.parse(conditions?.getAttribute("NotBefore") ?? "");
    const limits = [conditions?.getAttribute("NotOnOrAfter"), confirmation?.getAttribute("NotOnOrAfter")].map((v) => Date.parse(v ?? "")).filter((v) => !Number.isNaN(v));
    if (limits.length === 0) throw new AppError("expired_saml_response");
    const notOnOrAfter = Math.min(...limits);
    if (!Number.isNaN(notBefore) && now + SAML_CLOCK_SKEW_MS < notBefore) throw new AppError("not_yet_valid_saml_response");
    if (now - SAML_CLOCK_SKEW_MS >= notOnOrAfter) throw new AppError("expired_saml_response");
    const assertionId = assertion.getAttribute("ID") ?? "";
    if (assertionId === "") throw new AppError("invalid_xml_saml_response");
    return { externalId: nameId, attributes, assertionId, notOnOrAfter: notOnOrAfter + SAML_CLOCK_SKEW_MS };
  }
}

function samlErrorType(message: string) {
  if (/signature/i.test(message)) return /no signature|missing/i.test(message) ? ("missing_signature_saml_response" as const) : ("invalid_signature_saml_response" as const);
  if (/InResponseTo/i.test(message)) return "unsolicited_saml_response" as const;
  if (/status/i.test(message)) return "failed_saml_response" as const;
  if (/issuer/i.test(message)) return "invalid_issuer_saml_response" as const;
  if (/xml|parse|document/i.test(message)) return "invalid_xml_saml_response" as const;
  return "invalid_saml_response" as const;
}
