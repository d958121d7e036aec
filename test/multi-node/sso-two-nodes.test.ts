/**
 * @module SAML SSO on PostgreSQL across two nodes: a login started on node A comes back to node
 * B's ACS and is authenticated on B; an IdP-initiated response accepted by A is a replay on B
 * (the attempt and the assertion replay cache live in the shared database). Runs when
 * TEST_DATABASE_URL is set; its schema is created for the run and dropped afterwards.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it, test } from "node:test";
import { inflateRawSync } from "node:zlib";
import pg from "pg";
import { sdkClient, startHarness, type Harness } from "../support/harness.js";
import { IDP_ENTITY, idpKeyPair, signedSamlResponse } from "../http/sso-fixtures.js";

const databaseUrl = process.env.TEST_DATABASE_URL;
const PUBLIC_URL = "https://auth.example.com";

if (!databaseUrl) {
  test("SAML SSO across two nodes on PostgreSQL", { skip: "TEST_DATABASE_URL is not set" }, () => {});
} else {
  describe("SAML SSO across two nodes on PostgreSQL", { timeout: 60_000 }, () => {
    const schema = `tessera_sso_${process.pid}_${randomBytes(4).toString("hex")}`;
    const url = new URL(databaseUrl);
    url.searchParams.set("schema", schema);
    let a: Harness;
    let b: Harness;
    let connectionId: string;
    let acs: string;
    let publicToken: string;
    const key = idpKeyPair("IdP two nodes");

    before(async () => {
      a = await startHarness({ env: { DATABASE_URL: url.toString(), TESSERA_PUBLIC_URL: PUBLIC_URL } });
      b = await startHarness({ env: { DATABASE_URL: url.toString(), TESSERA_PUBLIC_URL: PUBLIC_URL } });
      publicToken = (await a.app.services.projects.createPublicToken(a.project.projectId)).publicToken;
      const organization = await a.app.services.organizations.create(a.project, { organization_name: "Two Nodes" });
      const connection = (await a.client.sso.saml.createConnection({ organization_id: organization.organizationId })).connection!;
      connectionId = connection.connection_id;
      acs = connection.acs_url;
      await a.client.sso.saml.updateConnection({
        organization_id: organization.organizationId, connection_id: connectionId, idp_entity_id: IDP_ENTITY, idp_sso_url: "http://127.0.0.1:9/sso",
        x509_certificate: key.certificatePem, attribute_mapping: { email: "NameID", full_name: "name" },
      });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    const post = (node: Harness, body: Record<string, string>, cookie?: string) =>
      fetch(`${node.baseUrl}/v1/b2b/sso/callback/${connectionId}`, {
        method: "POST", redirect: "manual", body: new URLSearchParams(body),
        headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) },
      });

    it("a login started on node A is answered at node B's ACS and authenticated on node B", async () => {
      const start = await fetch(`${a.baseUrl}/v1/public/sso/start?public_token=${publicToken}&connection_id=${connectionId}`, { redirect: "manual" });
      assert.equal(start.status, 302, await start.clone().text());
      const location = new URL(start.headers.get("location")!);
      const requestId = /ID="([^"]+)"/.exec(inflateRawSync(Buffer.from(location.searchParams.get("SAMLRequest")!, "base64")).toString("utf8"))![1]!;
      const cookie = start.headers.getSetCookie()[0]!.split(";")[0]!;
      const response = await signedSamlResponse({ acs, key, nowMs: Date.now(), inResponseTo: requestId, email: "node@two.example" });
      const answered = await post(b, { SAMLResponse: response, RelayState: location.searchParams.get("RelayState")! }, cookie);
      assert.equal(answered.status, 302, await answered.clone().text());
      const token = new URL(answered.headers.get("location")!).searchParams.get("token")!;
      const onB = sdkClient(b.baseUrl, a.project.projectId, a.secret);
      const result = await onB.sso.authenticate({ sso_token: token });
      assert.equal(result.member.email_address, "node@two.example");
      assert.equal(result.member_session!.authentication_factors[0]!.delivery_method, "sso_saml");
    });

    it("an assertion accepted by node A is a replay at node B", async () => {
      const response = await signedSamlResponse({ acs, key, nowMs: Date.now(), email: "replay@two.example" });
      assert.equal((await post(a, { SAMLResponse: response })).status, 302);
      const replay = await post(b, { SAMLResponse: response });
      assert.equal(replay.status, 400);
      assert.equal((await replay.json()).error_type, "duplicate_saml_response");
    });
  });
}
