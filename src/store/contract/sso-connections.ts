/**
 * @module The SSO connection store's promises on every dialect: each kind round-trips with its
 * settings intact, lists come back per organization oldest first, updates and deletes report a
 * missing connection, another project's connection is invisible, and deleting the organization
 * takes its connections along.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SsoConnection } from "../../domain/sso.js";
import { SqlSsoConnectionStore } from "../sso-connections.js";
import type { Store } from "../store.js";
import { awkwardJson, organization, project, T0, uid } from "./fixtures.js";
import { freshStore, type StoreFactory } from "./harness.js";

function samlConnection(projectId: string, organizationId: string, overrides: Partial<SsoConnection> = {}): SsoConnection {
  return {
    projectId,
    organizationId,
    connectionId: uid("saml-connection-test"),
    kind: "saml",
    displayName: "Okta",
    identityProvider: "okta",
    saml: {
      idpEntityId: "http://idp.example.com/metadata",
      idpSsoUrl: "https://idp.example.com/sso",
      attributeMapping: { email: "email", full_name: "name", "dépt": "department" },
      verificationCertificates: [{ certificateId: "saml-verification-key-test-1", certificate: "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n", issuer: "", createdAt: T0, expiresAt: null }],
      signingCertificate: { certificateId: "", certificate: "PEM", issuer: "Stytch", createdAt: T0, expiresAt: T0 + 1 },
      sealedSigningKey: "v1.a.b",
      encryptionKeys: [],
      connectionRoles: [{ role_id: "viewer" }],
      groupRoles: [{ role_id: "admin", group: "Admins" }],
      alternativeAudienceUri: "",
      alternativeAcsUrl: "",
      nameidFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
      idpInitiatedAuthDisabled: false,
      allowGatewayCallback: true,
    },
    createdAt: T0,
    updatedAt: T0 + 1,
    ...overrides,
  };
}

async function newProject(store: Store): Promise<string> {
  const p = project();
  await store.insertProject(p);
  return p.projectId;
}

export function ssoConnectionsContract(makeStore: StoreFactory): void {
  describe("sso connections", () => {
    const store = freshStore(makeStore);
    const connections = () => new SqlSsoConnectionStore(store().sqlExecutor());

    it("each kind round-trips with its settings intact; another project's connection is not found", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId);
      await store().insertOrganization(org);
      const saml = samlConnection(projectId, org.organizationId);
      const oidc: SsoConnection = {
        projectId, organizationId: org.organizationId, connectionId: uid("oidc-connection-test"), kind: "oidc", displayName: "", identityProvider: "generic",
        oidc: { clientId: "c", sealedClientSecret: "v1.x.y", issuer: "https://i", authorizationUrl: "", tokenUrl: "", userinfoUrl: "", jwksUrl: "", customScopes: "openid", attributeMapping: awkwardJson() as Record<string, string> },
        createdAt: T0 + 5, updatedAt: T0 + 5,
      };
      const external: SsoConnection = {
        projectId, organizationId: org.organizationId, connectionId: uid("external-connection-test"), kind: "external", displayName: "Partner", identityProvider: "okta",
        external: { externalOrganizationId: "organization-test-x", externalConnectionId: saml.connectionId, connectionRoles: [], groupRoles: [{ role_id: "r", group: "g" }] },
        createdAt: T0 + 9, updatedAt: T0 + 9,
      };
      for (const c of [external, saml, oidc]) await connections().insertConnection(c);
      for (const c of [saml, oidc, external]) assert.deepEqual(await connections().findConnection(projectId, c.connectionId), c);
      assert.deepEqual(await connections().connectionsOfOrganizations(projectId, [org.organizationId]), [saml, oidc, external]);
      const otherProject = await newProject(store());
      assert.equal(await connections().findConnection(otherProject, saml.connectionId), null);
      assert.deepEqual(await connections().connectionsOfOrganizations(otherProject, [org.organizationId]), []);
      assert.deepEqual(await connections().connectionsOfOrganizations(projectId, []), []);
    });

    it("updates rewrite names and settings; updates and deletes of a missing connection report false", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId);
      await store().insertOrganization(org);
      const saml = samlConnection(projectId, org.organizationId);
      await connections().insertConnection(saml);
      const changed = { ...saml, displayName: "Entra", identityProvider: "microsoft-entra", saml: { ...saml.saml!, idpSsoUrl: "https://other/sso", verificationCertificates: [] }, updatedAt: T0 + 99 };
      assert.equal(await connections().updateConnection(changed), true);
      assert.deepEqual(await connections().findConnection(projectId, saml.connectionId), changed);
      assert.equal(await connections().updateConnection({ ...changed, connectionId: "saml-connection-test-missing" }), false);
      assert.equal(await connections().deleteConnection(projectId, saml.connectionId), true);
      assert.equal(await connections().deleteConnection(projectId, saml.connectionId), false);
      assert.equal(await connections().findConnection(projectId, saml.connectionId), null);
    });

    it("a second connection with a taken id is refused; deleting the organization deletes its connections", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId);
      await store().insertOrganization(org);
      const saml = samlConnection(projectId, org.organizationId);
      await connections().insertConnection(saml);
      await assert.rejects(connections().insertConnection(saml));
      await store().deleteOrganization(projectId, org.organizationId, T0 + 100);
      assert.equal(await connections().findConnection(projectId, saml.connectionId), null);
    });

    it("registrations: one per (connection, external id), moved to the member of the latest login; listed per member; gone with the connection", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId);
      await store().insertOrganization(org);
      const saml = samlConnection(projectId, org.organizationId);
      await connections().insertConnection(saml);
      const first = { projectId, registrationId: uid("saml-member-registration-test"), memberId: "member-a", connectionId: saml.connectionId, externalId: "ada@example.com", ssoAttributes: { groups: ["eng"], "ключ": [1, { a: null }] }, createdAt: T0, updatedAt: T0 };
      assert.deepEqual(await connections().upsertRegistration(first), first);
      const again = { ...first, registrationId: uid("saml-member-registration-test"), memberId: "member-b", ssoAttributes: {}, createdAt: T0 + 5, updatedAt: T0 + 5 };
      const stored = await connections().upsertRegistration(again);
      assert.deepEqual(stored, { ...first, memberId: "member-b", ssoAttributes: {}, updatedAt: T0 + 5 }, "the first id and creation stay");
      assert.deepEqual(await connections().registrationsOfMembers(projectId, ["member-a"]), []);
      assert.deepEqual(await connections().registrationsOfMembers(projectId, ["member-b", "member-c"]), [stored]);
      assert.deepEqual(await connections().registrationsOfMembers(projectId, []), []);
      await connections().deleteConnection(projectId, saml.connectionId);
      assert.deepEqual(await connections().registrationsOfMembers(projectId, ["member-b"]), []);
    });
  });
}
