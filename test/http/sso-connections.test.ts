/**
 * @module SSO connection management through the official Node SDK: SAML (pending → active,
 * certificate rotation up to 5, signing and encryption keys, metadata import from a samlify IdP),
 * OIDC (issuer discovery from a real oidc-provider, the secret sealed at rest), external
 * connections, listing and deletion, with Stytch-shaped refusals.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import Provider from "oidc-provider";
import type { Organization } from "../../src/domain/types.js";
import { startHarness, type Harness } from "../support/harness.js";
import { idpKeyPair, type IdpKeyPair } from "./sso-fixtures.js";

const samlify = createRequire(import.meta.url)("samlify");
const REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const PUBLIC_URL = "https://auth.example.com";

type StytchError = { error_type?: string; status_code?: number };
const refusedWith = (type: string, status = 400) => (error: StytchError) => {
  assert.equal(error.error_type, type);
  assert.equal(error.status_code, status);
  return true;
};

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const certificateBody = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, "");

describe("SSO connection management (official SDK)", () => {
  let h: Harness;
  let organization: Organization;
  let other: Organization;
  let idpServer: Server;
  let idpUrl: string;
  let oidcServer: Server;
  let issuer: string;
  const keys: IdpKeyPair[] = [];

  before(async () => {
    h = await startHarness({ env: { TESSERA_PUBLIC_URL: PUBLIC_URL } });
    organization = await h.app.services.organizations.create(h.project, { organization_name: "SSO Mgmt" });
    other = await h.app.services.organizations.create(h.project, { organization_name: "SSO Partner" });
    for (let i = 0; i < 6; i++) keys.push(idpKeyPair(`IdP ${i}`));
    // A samlify IdP publishing its metadata (two signing certificates, as during a rollover).
    idpServer = createServer((request, response) => {
      if (request.url === "/metadata") {
        const idp = samlify.IdentityProvider({
          entityID: `${idpUrl}/entity`,
          signingCert: [keys[4]!.certificatePem, keys[5]!.certificatePem],
          singleSignOnService: [{ Binding: REDIRECT_BINDING, Location: `${idpUrl}/sso` }],
        });
        response.setHeader("content-type", "application/xml").end(idp.getMetadata());
      } else if (request.url === "/doctype") {
        response.end('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
      } else if (request.url === "/not-metadata") {
        response.end("<html>hello</html>");
      } else {
        response.statusCode = 404;
        response.end();
      }
    });
    idpUrl = await listen(idpServer);
    oidcServer = createServer();
    issuer = await listen(oidcServer);
    const provider = new Provider(issuer, { clients: [{ client_id: "tessera", client_secret: "s3cret", redirect_uris: ["https://app.example.com/cb"] }] });
    oidcServer.on("request", provider.callback());
  });
  after(async () => {
    await h.close();
    idpServer.close();
    oidcServer.close();
  });

  it("SAML: created pending with every field, Tessera's ACS/audience and a signing certificate; active once the IdP's details are in", async () => {
    const created = await h.client.sso.saml.createConnection({ organization_id: organization.organizationId, display_name: "Okta", identity_provider: "okta" });
    const connection = created.connection!;
    assert.match(connection.connection_id, /^saml-connection-test-[0-9a-f-]{36}$/);
    assert.equal(connection.status, "pending");
    assert.equal(connection.acs_url, `${PUBLIC_URL}/v1/b2b/sso/callback/${connection.connection_id}`);
    assert.equal(connection.audience_uri, connection.acs_url);
    assert.equal(connection.idp_entity_id, "");
    assert.equal(connection.idp_sso_url, "");
    assert.deepEqual(connection.verification_certificates, []);
    assert.deepEqual(connection.encryption_private_keys, []);
    assert.deepEqual(connection.saml_connection_implicit_role_assignments, []);
    assert.deepEqual(connection.saml_group_implicit_role_assignments, []);
    assert.equal(connection.nameid_format, "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
    assert.equal(connection.idp_initiated_auth_disabled, false);
    assert.equal(connection.alternative_acs_url, "");
    assert.equal(connection.alternative_audience_uri, "");
    assert.equal(connection.signing_certificates.length, 1);
    assert.equal(connection.signing_certificates[0]!.issuer, "Stytch");
    assert.match(connection.signing_certificates[0]!.certificate, /^-----BEGIN CERTIFICATE-----/);

    const updated = await h.client.sso.saml.updateConnection({
      organization_id: organization.organizationId,
      connection_id: connection.connection_id,
      idp_entity_id: "https://idp.example.com/entity",
      idp_sso_url: "https://idp.example.com/sso",
      x509_certificate: keys[0]!.certificatePem,
      attribute_mapping: { email: "email", full_name: "name", groups: "groups", department: "dept" },
      saml_connection_implicit_role_assignments: [{ role_id: "stytch_member" }],
      saml_group_implicit_role_assignments: [{ role_id: "stytch_admin", group: "Admins" }],
      idp_initiated_auth_disabled: true,
    });
    const active = updated.connection!;
    assert.equal(active.status, "active");
    assert.equal(active.verification_certificates.length, 1);
    assert.match(active.verification_certificates[0]!.certificate_id, /^saml-verification-key-test-/);
    assert.equal(certificateBody(active.verification_certificates[0]!.certificate), certificateBody(keys[0]!.certificatePem));
    assert.ok(active.verification_certificates[0]!.expires_at);
    assert.deepEqual(active.saml_group_implicit_role_assignments, [{ role_id: "stytch_admin", group: "Admins" }]);
    assert.equal(active.idp_initiated_auth_disabled, true);
    // Absent fields stay as they were (Go cannot send false or "").
    const renamed = await h.client.sso.saml.updateConnection({ organization_id: organization.organizationId, connection_id: connection.connection_id, display_name: "Okta prod" });
    assert.equal(renamed.connection!.display_name, "Okta prod");
    assert.equal(renamed.connection!.idp_initiated_auth_disabled, true);
    assert.equal(renamed.connection!.idp_sso_url, "https://idp.example.com/sso");

    const listed = await h.client.sso.getConnections({ organization_id: organization.organizationId });
    assert.deepEqual(listed.saml_connections.map((c) => c.connection_id), [connection.connection_id]);
    // The organization object lists its active connections (get and search alike).
    const summary = { connection_id: connection.connection_id, display_name: "Okta prod", identity_provider: "okta" };
    assert.deepEqual((await h.client.organizations.get({ organization_id: organization.organizationId })).organization.sso_active_connections, [summary]);
    const found = await h.client.organizations.search({ query: { operator: "AND", operands: [{ filter_name: "organization_ids", filter_value: [organization.organizationId, other.organizationId] }] } });
    const byId = new Map(found.organizations.map((o) => [o.organization_id, o.sso_active_connections]));
    assert.deepEqual(byId.get(organization.organizationId), [summary]);
    assert.deepEqual(byId.get(other.organizationId), []);
    assert.deepEqual(listed.oidc_connections, []);
    assert.deepEqual(listed.external_connections, []);
  });

  it("SAML certificates: each update adds one, at most 5; the last one of an active connection stays", async () => {
    const { connection } = await h.client.sso.saml.createConnection({ organization_id: organization.organizationId });
    const id = connection!.connection_id;
    const org = organization.organizationId;
    await h.client.sso.saml.updateConnection({
      organization_id: org, connection_id: id, idp_entity_id: "urn:idp", idp_sso_url: "https://idp.example.com/sso",
      attribute_mapping: { email: "NameID", first_name: "fn", last_name: "ln" },
    });
    let certificates: { certificate_id: string }[] = [];
    for (const pair of keys.slice(0, 5)) {
      certificates = (await h.client.sso.saml.updateConnection({ organization_id: org, connection_id: id, x509_certificate: pair.certificatePem })).connection!.verification_certificates;
    }
    assert.equal(certificates.length, 5);
    // Giving a certificate the connection already has is not a sixth.
    await h.client.sso.saml.updateConnection({ organization_id: org, connection_id: id, x509_certificate: keys[0]!.certificatePem });
    await assert.rejects(
      h.client.sso.saml.updateConnection({ organization_id: org, connection_id: id, x509_certificate: keys[5]!.certificatePem }),
      refusedWith("too_many_sso_verification_certificates"),
    );
    for (const certificate of certificates.slice(0, 4)) {
      const deleted = await h.client.sso.saml.deleteVerificationCertificate({ organization_id: org, connection_id: id, certificate_id: certificate.certificate_id });
      assert.equal(deleted.certificate_id, certificate.certificate_id);
    }
    await assert.rejects(
      h.client.sso.saml.deleteVerificationCertificate({ organization_id: org, connection_id: id, certificate_id: certificates[4]!.certificate_id }),
      refusedWith("cannot_delete_last_sso_verification_key"),
    );
    await assert.rejects(
      h.client.sso.saml.deleteVerificationCertificate({ organization_id: org, connection_id: id, certificate_id: certificates[0]!.certificate_id }),
      refusedWith("sso_verification_key_not_found", 404),
    );
  });

  it("SAML refusals: bad certificate, mapping, URLs and keys are Stytch-shaped 4xx", async () => {
    const { connection } = await h.client.sso.saml.createConnection({ organization_id: organization.organizationId });
    const target = { organization_id: organization.organizationId, connection_id: connection!.connection_id };
    const cases: [Record<string, unknown>, string][] = [
      [{ x509_certificate: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----" }, "invalid_x509_certificate"],
      [{ attribute_mapping: { full_name: "name" } }, "saml_connection_email_mapping_required"],
      [{ attribute_mapping: { email: "email" } }, "saml_connection_name_mapping_required"],
      [{ attribute_mapping: { email: { nested: 1 }, full_name: "n" } }, "saml_connection_no_nested_keys_in_attribute_mapping"],
      [{ attribute_mapping: { email: "e", full_name: "n" }, saml_group_implicit_role_assignments: [{ role_id: "r", group: "g" }] }, "saml_connection_attribute_mapping_missing_groups_key"],
      [{ idp_sso_url: "http://idp.example.com/sso" }, "saml_connection_idp_sso_url_not_https"],
      [{ idp_sso_url: "not a url" }, "saml_connection_idp_sso_url_invalid_format"],
      [{ signing_private_key: "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----" }, "saml_signing_private_key_format_not_supported"],
      [{ signing_private_key: "-----BEGIN RSA PRIVATE KEY-----\nbm9wZQ==\n-----END RSA PRIVATE KEY-----" }, "saml_signing_private_key_invalid"],
      [{ saml_encryption_private_key: "garbage" }, "saml_encryption_private_key_format_not_supported"],
      [{ saml_connection_implicit_role_assignments: [{ role_id: "bad role!" }] }, "invalid_roles"],
    ];
    for (const [body, type] of cases) {
      await assert.rejects(h.client.sso.saml.updateConnection({ ...target, ...body } as never), refusedWith(type), type);
    }
    await assert.rejects(
      h.client.sso.saml.updateConnection({ organization_id: other.organizationId, connection_id: connection!.connection_id, display_name: "x" }),
      refusedWith("saml_connection_not_found", 404),
    );
    await assert.rejects(
      h.client.sso.saml.updateConnection({ organization_id: organization.organizationId, connection_id: "saml-connection-test-00000000-0000-4000-8000-000000000000", display_name: "x" }),
      refusedWith("saml_connection_not_found", 404),
    );
  });

  it("SAML keys: a PKCS#1 signing key replaces the signing certificate; encryption keys are added, shown and deleted", async () => {
    const { connection } = await h.client.sso.saml.createConnection({ organization_id: organization.organizationId });
    const target = { organization_id: organization.organizationId, connection_id: connection!.connection_id };
    const before = connection!.signing_certificates[0]!.certificate;
    const signed = await h.client.sso.saml.updateConnection({ ...target, signing_private_key: keys[1]!.privateKeyPem });
    assert.notEqual(signed.connection!.signing_certificates[0]!.certificate, before);
    const encrypted = await h.client.sso.saml.updateConnection({ ...target, saml_encryption_private_key: keys[2]!.privateKeyPem });
    const [key] = encrypted.connection!.encryption_private_keys;
    assert.match(key!.private_key_id, /^saml-encryption-key-test-/);
    assert.match(key!.private_key, /^-----BEGIN RSA PRIVATE KEY-----/);
    // At rest neither key appears in clear.
    const rows = await h.app.store.sqlExecutor().query("SELECT settings FROM sso_connections WHERE connection_id = ?", [target.connection_id]);
    assert.doesNotMatch(String(rows[0]!.settings), /PRIVATE KEY/);
    const deleted = await h.client.sso.saml.deleteEncryptionPrivateKey({ ...target, private_key_id: key!.private_key_id });
    assert.equal(deleted.private_key_id, key!.private_key_id);
    await assert.rejects(h.client.sso.saml.deleteEncryptionPrivateKey({ ...target, private_key_id: key!.private_key_id }), refusedWith("sso_encryption_private_key_not_found", 404));
  });

  it("SAML metadata URL: imports entity id, SSO URL and both signing certificates from a samlify IdP; bad documents are refused", async () => {
    const { connection } = await h.client.sso.saml.createConnection({ organization_id: organization.organizationId });
    const target = { organization_id: organization.organizationId, connection_id: connection!.connection_id };
    const imported = (await h.client.sso.saml.updateByURL({ ...target, metadata_url: `${idpUrl}/metadata` })).connection!;
    assert.equal(imported.idp_entity_id, `${idpUrl}/entity`);
    assert.equal(imported.idp_sso_url, `${idpUrl}/sso`);
    assert.deepEqual(imported.verification_certificates.map((c) => certificateBody(c.certificate)), [keys[4]!, keys[5]!].map((k) => certificateBody(k.certificatePem)));
    assert.equal(imported.status, "pending", "the attribute mapping still comes by update");
    await assert.rejects(h.client.sso.saml.updateByURL({ ...target, metadata_url: `${idpUrl}/doctype` }), refusedWith("invalid_xml_from_saml_metadata_url"));
    await assert.rejects(h.client.sso.saml.updateByURL({ ...target, metadata_url: `${idpUrl}/not-metadata` }), refusedWith("saml_connection_metadata_invalid_format"));
    await assert.rejects(h.client.sso.saml.updateByURL({ ...target, metadata_url: `${idpUrl}/missing` }), refusedWith("invalid_saml_metadata_url"));
    await assert.rejects(h.client.sso.saml.updateByURL({ ...target, metadata_url: "file:///etc/passwd" }), refusedWith("invalid_saml_metadata_url"));
  });

  it("OIDC: created pending with Tessera's redirect_url; a new issuer is discovered from oidc-provider; active when complete; secret sealed", async () => {
    const created = await h.client.sso.oidc.createConnection({ organization_id: organization.organizationId, display_name: "Corp IdP" });
    const connection = created.connection!;
    assert.match(connection.connection_id, /^oidc-connection-test-[0-9a-f-]{36}$/);
    assert.equal(connection.status, "pending");
    assert.equal(connection.redirect_url, `${PUBLIC_URL}/v1/b2b/sso/callback/${connection.connection_id}`);
    for (const field of ["client_id", "client_secret", "issuer", "authorization_url", "token_url", "userinfo_url", "jwks_url", "custom_scopes"] as const) {
      assert.equal(connection[field], "", field);
    }
    assert.equal(connection.identity_provider, "generic");

    const updated = await h.client.sso.oidc.updateConnection({
      organization_id: organization.organizationId,
      connection_id: connection.connection_id,
      issuer,
      client_id: "tessera",
      client_secret: "s3cret",
    });
    const active = updated.connection!;
    assert.equal(updated.warning, "");
    assert.equal(active.issuer, issuer);
    assert.equal(active.authorization_url, `${issuer}/auth`);
    assert.equal(active.token_url, `${issuer}/token`);
    assert.equal(active.jwks_url, `${issuer}/jwks`);
    assert.equal(active.userinfo_url, `${issuer}/me`);
    assert.equal(active.client_secret, "s3cret");
    assert.equal(active.status, "active");
    const rows = await h.app.store.sqlExecutor().query("SELECT settings FROM sso_connections WHERE connection_id = ?", [connection.connection_id]);
    assert.doesNotMatch(String(rows[0]!.settings), /s3cret/);

    // A given endpoint overrides discovery; an issuer without a discovery document is a warning, not a failure.
    const overridden = await h.client.sso.oidc.updateConnection({
      organization_id: organization.organizationId, connection_id: connection.connection_id, issuer: `${idpUrl}/nothing-here`, userinfo_url: `${issuer}/me2`,
    });
    assert.match(overridden.warning!, /discovery document/);
    assert.equal(overridden.connection!.userinfo_url, `${issuer}/me2`);
    assert.equal(overridden.connection!.token_url, `${issuer}/token`);
    await assert.rejects(
      h.client.sso.oidc.updateConnection({ organization_id: organization.organizationId, connection_id: connection.connection_id, token_url: "ftp://x" }),
      refusedWith("oidc_connection_token_url_invalid_format"),
    );
    await assert.rejects(
      h.client.sso.oidc.updateConnection({ organization_id: organization.organizationId, connection_id: "saml-connection-test-x", client_id: "x" }),
      refusedWith("oidc_connection_not_found", 404),
    );
  });

  it("external connections point at another organization's active connection; deletion guards", async () => {
    const source = (await h.client.sso.saml.createConnection({ organization_id: other.organizationId, display_name: "Partner Okta" })).connection!;
    const args = { organization_id: organization.organizationId, external_organization_id: other.organizationId, external_connection_id: source.connection_id };
    await assert.rejects(h.client.sso.external.createConnection(args), refusedWith("external_connection_not_active"));
    await h.client.sso.saml.updateConnection({
      organization_id: other.organizationId, connection_id: source.connection_id, idp_entity_id: "urn:partner", idp_sso_url: "https://partner.example.com/sso",
      x509_certificate: keys[3]!.certificatePem, attribute_mapping: { email: "email", full_name: "name" },
    });
    const created = (await h.client.sso.external.createConnection({ ...args, connection_implicit_role_assignments: [{ role_id: "stytch_member" }] })).connection!;
    assert.match(created.connection_id, /^external-connection-test-/);
    assert.equal(created.display_name, "Partner Okta");
    assert.equal(created.status, "active");
    assert.deepEqual(created.external_connection_implicit_role_assignments, [{ role_id: "stytch_member" }]);
    assert.deepEqual(created.external_group_implicit_role_assignments, []);
    await assert.rejects(h.client.sso.external.createConnection(args), refusedWith("duplicate_external_sso_connection"));
    await assert.rejects(
      h.client.sso.external.createConnection({ ...args, external_connection_id: "saml-connection-test-missing" }),
      refusedWith("external_connection_id_not_found", 404),
    );
    const updated = await h.client.sso.external.updateConnection({
      organization_id: organization.organizationId, connection_id: created.connection_id, display_name: "Via partner",
      external_group_implicit_role_assignments: [{ role_id: "stytch_admin", group: "Admins" }],
    });
    assert.equal(updated.connection!.display_name, "Via partner");
    assert.deepEqual(updated.connection!.external_group_implicit_role_assignments, [{ role_id: "stytch_admin", group: "Admins" }]);

    await assert.rejects(
      h.client.sso.deleteConnection({ organization_id: other.organizationId, connection_id: source.connection_id }),
      refusedWith("sso_connection_has_external_connections"),
    );
    assert.equal((await h.client.sso.deleteConnection({ organization_id: organization.organizationId, connection_id: created.connection_id })).connection_id, created.connection_id);
    assert.equal((await h.client.sso.deleteConnection({ organization_id: other.organizationId, connection_id: source.connection_id })).connection_id, source.connection_id);
    await assert.rejects(
      h.client.sso.deleteConnection({ organization_id: other.organizationId, connection_id: source.connection_id }),
      refusedWith("sso_connection_not_found", 404),
    );
    const listed = await h.client.sso.getConnections({ organization_id: other.organizationId });
    assert.deepEqual([listed.saml_connections, listed.oidc_connections, listed.external_connections], [[], [], []]);
  });

  it("the organization's default connection cannot be deleted; unknown organizations are 404", async () => {
    const { connection } = await h.client.sso.oidc.createConnection({ organization_id: other.organizationId });
    await h.client.organizations.update({ organization_id: other.organizationId, sso_default_connection_id: connection!.connection_id });
    await assert.rejects(
      h.client.sso.deleteConnection({ organization_id: other.organizationId, connection_id: connection!.connection_id }),
      refusedWith("cannot_delete_default_sso_connection"),
    );
    await assert.rejects(h.client.sso.getConnections({ organization_id: "organization-test-missing" }), refusedWith("organization_not_found", 404));
  });
});
