/**
 * @module SAML SSO end to end with samlify as the IdP: SP-initiated (start → AuthnRequest →
 * signed response with InResponseTo → ACS → token → `sso.authenticate` via the Node SDK) and
 * IdP-initiated (default login URL), mapped attributes, group roles, certificate rotation, and
 * the refusals: foreign signature, audience, recipient, expiry, replay, unsolicited InResponseTo, DTD.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inflateRawSync } from "node:zlib";
import type { Organization } from "../../src/domain/types.js";
import { startHarness, type Harness } from "../support/harness.js";
import { IDP_ENTITY, idpKeyPair, signedSamlResponse, type SamlResponseOptions } from "./sso-fixtures.js";

const PUBLIC_URL = "https://auth.example.com";

describe("SAML SSO login end to end (samlify IdP, official SDK)", () => {
  let h: Harness;
  let organization: Organization;
  let connectionId: string;
  let acs: string;
  let publicToken: string;
  const current = idpKeyPair("IdP current");
  const next = idpKeyPair("IdP next");
  const stranger = idpKeyPair("Not the IdP");

  before(async () => {
    h = await startHarness({ env: { TESSERA_PUBLIC_URL: PUBLIC_URL } });
    publicToken = (await h.app.services.projects.createPublicToken(h.project.projectId)).publicToken;
    organization = await h.app.services.organizations.create(h.project, { organization_name: "Saml Corp" });
    const created = (await h.client.sso.saml.createConnection({ organization_id: organization.organizationId, display_name: "samlify" })).connection!;
    connectionId = created.connection_id;
    acs = created.acs_url;
    for (const key of [current, next]) {
      await h.client.sso.saml.updateConnection({
        organization_id: organization.organizationId, connection_id: connectionId, idp_entity_id: IDP_ENTITY, idp_sso_url: "http://127.0.0.1:9/sso",
        x509_certificate: key.certificatePem,
        attribute_mapping: { email: "NameID", full_name: "name", groups: "groups", department: "dept" },
        saml_connection_implicit_role_assignments: [{ role_id: "sso-member" }],
        saml_group_implicit_role_assignments: [{ role_id: "sso-admin", group: "Admins" }],
      });
    }
  });
  after(() => h.close());

  const samlResponse = (options: SamlResponseOptions = {}) => signedSamlResponse({ acs, key: current, nowMs: h.clock.now(), ...options });

  async function post(samlResponseBase64: string, relayState?: string, cookie?: string): Promise<Response> {
    const form = new URLSearchParams({ SAMLResponse: samlResponseBase64, ...(relayState ? { RelayState: relayState } : {}) });
    return fetch(`${h.baseUrl}/v1/b2b/sso/callback/${connectionId}`, {
      method: "POST", redirect: "manual", body: form, headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) },
    });
  }

  async function errorType(response: Response): Promise<string> {
    assert.equal(response.status, 400);
    return (await response.json()).error_type;
  }

  it("SP-initiated: start sends a signed AuthnRequest; the IdP's signed response comes back to a signup redirect; sso.authenticate mints a session with the SAML factor and roles", async () => {
    const start = await fetch(`${h.baseUrl}/v1/public/sso/start?public_token=${publicToken}&connection_id=${connectionId}`, { redirect: "manual" });
    assert.equal(start.status, 302, await start.clone().text());
    const location = new URL(start.headers.get("location")!);
    assert.equal(`${location.origin}${location.pathname}`, "http://127.0.0.1:9/sso");
    assert.ok(location.searchParams.get("Signature"), "the AuthnRequest is signed");
    const request = inflateRawSync(Buffer.from(location.searchParams.get("SAMLRequest")!, "base64")).toString("utf8");
    const requestId = /ID="([^"]+)"/.exec(request)![1]!;
    assert.match(request, new RegExp(`AssertionConsumerServiceURL="${acs}"`));
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith("tessera_sso_csrf="))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /SameSite=None/);
    const relayState = location.searchParams.get("RelayState")!;

    const response = await samlResponse({ inResponseTo: requestId });
    assert.equal(await errorType(await post(response, relayState)), "missing_saml_csrf_cookie");
    const answered = await post(response, relayState, cookie.split(";")[0]);
    assert.equal(answered.status, 302, await answered.clone().text());
    const redirect = new URL(answered.headers.get("location")!);
    assert.equal(redirect.searchParams.get("stytch_token_type"), "sso");
    const result = await h.client.sso.authenticate({ sso_token: redirect.searchParams.get("token")! });
    assert.equal(result.member_authenticated, true);
    assert.equal(result.member.email_address, "grace@saml.example");
    assert.equal(result.member.name, "Grace Hopper");
    assert.equal(result.member.trusted_metadata!.department, "Navy");
    const factor = result.member_session!.authentication_factors[0]!;
    assert.equal(factor.delivery_method, "sso_saml");
    assert.equal(factor.saml_sso_factor!.provider_id, connectionId);
    assert.equal(factor.saml_sso_factor!.external_id, "grace@saml.example");
    const session = await h.client.sessions.authenticate({ session_token: result.session_token });
    assert.ok(session.member_session.roles.includes("sso-member"), session.member_session.roles.join());
    assert.ok(session.member_session.roles.includes("sso-admin"));
    // The attempt was spent: the same RelayState again is unsolicited.
    assert.equal(await errorType(await post(response, relayState, cookie.split(";")[0])), "unsolicited_saml_response");
  });

  it("IdP-initiated: accepted by default, to the default login URL; the same assertion again is a replay; rotation: the second certificate verifies too", async () => {
    const response = await samlResponse({ key: next });
    const answered = await post(response);
    assert.equal(answered.status, 302, await answered.clone().text());
    const redirect = new URL(answered.headers.get("location")!);
    assert.equal(redirect.searchParams.get("stytch_token_type"), "sso");
    assert.equal(await errorType(await post(response)), "duplicate_saml_response");
  });

  it("refuses a foreign signature, another audience or recipient, an expired assertion, an unsolicited InResponseTo and a DTD", async () => {
    const now = h.clock.now();
    assert.equal(await errorType(await post(await samlResponse({ key: stranger }))), "invalid_signature_saml_response");
    assert.equal(await errorType(await post(await samlResponse({ audience: "https://other.example.com/acs" }))), "invalid_audience_saml_response");
    assert.equal(await errorType(await post(await samlResponse({ recipient: "https://other.example.com/acs" }))), "invalid_recipient_saml_response");
    assert.equal(await errorType(await post(await samlResponse({ notOnOrAfterMs: now - 120_000 }))), "expired_saml_response");
    assert.equal(await errorType(await post(await samlResponse({ inResponseTo: "_never-requested" }))), "unsolicited_saml_response");
    const dtd = Buffer.from('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>').toString("base64");
    assert.equal(await errorType(await post(dtd)), "invalid_xml_saml_response");
    assert.equal(await errorType(await post("")), "missing_saml_response");
  });

  it("signature wrapping: a second unsigned assertion, a moved signed assertion, and a tampered NameID are all refused", async () => {
    const signed = Buffer.from(await samlResponse({ email: "grace@saml.example" }), "base64").toString("utf8");
    const assertionStart = signed.indexOf("<saml:Assertion");
    const assertionEnd = signed.indexOf("</saml:Assertion>") + "</saml:Assertion>".length;
    const signedAssertion = signed.slice(assertionStart, assertionEnd);
    const evil = signedAssertion.replace(/ID="[^"]+"/, 'ID="_evil"').replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, "").replace(/grace@saml\.example/g, "mallory@saml.example");
    const variants = {
      "second unsigned assertion first": signed.slice(0, assertionStart) + evil + signed.slice(assertionStart),
      "signed assertion moved under an extension, unsigned one in its place":
        signed.slice(0, assertionStart) + `<samlp:Extensions>${signedAssertion}</samlp:Extensions>` + evil + signed.slice(assertionEnd),
      "NameID changed inside the signed assertion": signed.replace(/grace@saml\.example<\/saml:NameID>/, "mallory@saml.example</saml:NameID>"),
    };
    for (const [name, xml] of Object.entries(variants)) {
      const answer = await post(Buffer.from(xml).toString("base64"));
      assert.equal(answer.status, 400, name);
      const body = await answer.json();
      assert.match(body.error_type, /saml_response|invalid_xml/, `${name}: ${body.error_type}`);
    }
  });

  it("a comment slipped into a signed NameID never shortens the identity; an oversized response is a 400", async () => {
    const signed = Buffer.from(await samlResponse({ email: "grace@saml.example.evil" }), "base64").toString("utf8");
    const tricked = signed.replace("grace@saml.example.evil</saml:NameID>", "grace@saml.example<!---->.evil</saml:NameID>");
    assert.notEqual(tricked, signed);
    const answer = await post(Buffer.from(tricked).toString("base64"));
    if (answer.status === 302) {
      const token = new URL(answer.headers.get("location")!).searchParams.get("token")!;
      const result = await h.client.sso.authenticate({ sso_token: token });
      assert.equal(result.member.email_address, "grace@saml.example.evil");
    } else {
      assert.equal(answer.status, 400);
      assert.match((await answer.json()).error_type, /saml_response|invalid_xml/);
    }
    const oversized = await post(Buffer.alloc(300 * 1024, "a").toString("base64"));
    assert.equal(oversized.status, 400);
  });

  it("a connection with IdP-initiated login disabled refuses a response without RelayState", async () => {
    await h.client.sso.saml.updateConnection({ organization_id: organization.organizationId, connection_id: connectionId, idp_initiated_auth_disabled: true });
    assert.equal(await errorType(await post(await samlResponse())), "saml_idp_initiated_auth_disabled");
  });
});
