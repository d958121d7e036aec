/**
 * @module SCIM connection management through the official Node SDK: create (token shown once),
 * get, update, get groups, token rotation (both tokens during, old refused after), delete.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Organization } from "../../src/domain/types.js";
import { startHarness, type Harness } from "../support/harness.js";

async function scimStatus(h: Harness, connectionId: string, token: string): Promise<number> {
  const response = await fetch(`${h.baseUrl}/v1/b2b/scim/${connectionId}/Users`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe("SCIM connection management (official SDK)", () => {
  let h: Harness;
  let organization: Organization;

  before(async () => {
    h = await startHarness({ env: { TESSERA_PUBLIC_URL: "https://auth.example.com" } });
    organization = await h.app.services.organizations.create(h.project, { organization_name: "Scim Mgmt" });
  });
  after(() => h.close());

  it("creates one connection per organization, shows the token once, stores only its hash", async () => {
    const created = await h.client.scim.connection.create({ organization_id: organization.organizationId, display_name: "Okta", identity_provider: "okta" });
    const connection = created.connection!;
    assert.match(connection.connection_id, /^scim-connection-test-[0-9a-f-]{36}$/);
    assert.equal(connection.base_url, `https://auth.example.com/v1/b2b/scim/${connection.connection_id}`);
    assert.equal(connection.identity_provider, "okta");
    assert.ok(connection.bearer_token.length >= 40);
    assert.deepEqual(connection.scim_group_implicit_role_assignments, []);
    const rows = await h.app.store.sqlExecutor().query("SELECT token_hash FROM scim_connections WHERE connection_id = ?", [connection.connection_id]);
    assert.notEqual(rows[0]!.token_hash, connection.bearer_token);
    assert.equal(String(rows[0]!.token_hash).length, 64);

    const got = await h.client.scim.connection.get({ organization_id: organization.organizationId });
    assert.equal(got.connection!.connection_id, connection.connection_id);
    assert.equal(got.connection!.bearer_token_last_four, connection.bearer_token.slice(-4));
    assert.equal(got.connection!.next_bearer_token_last_four, "");
    assert.equal("bearer_token" in got.connection!, false);

    await assert.rejects(
      h.client.scim.connection.create({ organization_id: organization.organizationId }),
      (error: { error_type?: string; status_code?: number }) => error.error_type === "active_scim_connection_exists" && error.status_code === 400,
    );
    assert.equal(await scimStatus(h, connection.connection_id, connection.bearer_token), 200);
    assert.equal(await scimStatus(h, connection.connection_id, "not-the-token"), 401);
  });

  it("updates display name, identity provider (Entra gets ?aadOptscim062020) and group implicit roles", async () => {
    const { connection } = await h.client.scim.connection.get({ organization_id: organization.organizationId });
    const updated = await h.client.scim.connection.update({
      organization_id: organization.organizationId,
      connection_id: connection!.connection_id,
      display_name: "Entra",
      identity_provider: "microsoft-entra",
      scim_group_implicit_role_assignments: [{ role_id: "stytch_admin", group_id: "g-1", group_name: "Admins" }],
    });
    assert.equal(updated.connection!.display_name, "Entra");
    assert.equal(updated.connection!.base_url, `https://auth.example.com/v1/b2b/scim/${connection!.connection_id}?aadOptscim062020`);
    assert.deepEqual(updated.connection!.scim_group_implicit_role_assignments, [{ role_id: "stytch_admin", group_id: "g-1", group_name: "Admins" }]);
    await assert.rejects(
      h.client.scim.connection.update({ organization_id: organization.organizationId, connection_id: connection!.connection_id, identity_provider: "azure" as never }),
      (error: { error_type?: string }) => error.error_type === "invalid_scim_identity_provider",
    );
  });

  it("rotates the bearer token: both valid during, the old one refused after complete; cancel drops the new one", async () => {
    const { connection } = await h.client.scim.connection.get({ organization_id: organization.organizationId });
    const ids = { organization_id: organization.organizationId, connection_id: connection!.connection_id };
    // The original token is not retrievable: rotate twice to own both ends.
    const first = await h.client.scim.connection.rotateStart(ids);
    await h.client.scim.connection.rotateComplete(ids);
    const oldToken = first.connection!.next_bearer_token;
    const started = await h.client.scim.connection.rotateStart(ids);
    const newToken = started.connection!.next_bearer_token;
    assert.equal(started.connection!.bearer_token_last_four, oldToken.slice(-4));
    assert.equal(await scimStatus(h, ids.connection_id, oldToken), 200);
    assert.equal(await scimStatus(h, ids.connection_id, newToken), 200);
    const completed = await h.client.scim.connection.rotateComplete(ids);
    assert.equal(completed.connection!.bearer_token_last_four, newToken.slice(-4));
    assert.equal(completed.connection!.next_bearer_token_last_four, "");
    assert.equal(await scimStatus(h, ids.connection_id, oldToken), 401);
    assert.equal(await scimStatus(h, ids.connection_id, newToken), 200);

    const cancelled = await h.client.scim.connection.rotateStart(ids);
    await h.client.scim.connection.rotateCancel(ids);
    assert.equal(await scimStatus(h, ids.connection_id, cancelled.connection!.next_bearer_token), 401);
    assert.equal(await scimStatus(h, ids.connection_id, newToken), 200);
    await assert.rejects(h.client.scim.connection.rotateCancel(ids), (error: { error_type?: string }) => error.error_type === "scim_connection_not_rotating_token");
    await assert.rejects(h.client.scim.connection.rotateComplete(ids), (error: { error_type?: string }) => error.error_type === "scim_connection_not_rotating_token");
  });

  it("lists pushed groups with cursor and limit", async () => {
    const { connection } = await h.client.scim.connection.get({ organization_id: organization.organizationId });
    const ids = { organization_id: organization.organizationId, connection_id: connection!.connection_id };
    const token = (await h.client.scim.connection.rotateStart(ids)).connection!.next_bearer_token;
    await h.client.scim.connection.rotateComplete(ids);
    for (const name of ["A", "B", "C"]) {
      const response = await fetch(`${h.baseUrl}/v1/b2b/scim/${ids.connection_id}/Groups`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: name }),
      });
      assert.equal(response.status, 201);
    }
    const page1 = await h.client.scim.connection.getGroups({ ...ids, limit: 2 });
    assert.deepEqual(page1.scim_groups.map((group) => group.group_name), ["A", "B"]);
    assert.equal(page1.scim_groups[0]!.organization_id, organization.organizationId);
    assert.equal(page1.scim_groups[0]!.connection_id, ids.connection_id);
    assert.ok(page1.next_cursor);
    const page2 = await h.client.scim.connection.getGroups({ ...ids, limit: 2, cursor: page1.next_cursor! });
    assert.deepEqual(page2.scim_groups.map((group) => group.group_name), ["C"]);
    assert.equal(page2.next_cursor, null);
  });

  it("refuses another organization's connection id and deletes the connection", async () => {
    const other = await h.app.services.organizations.create(h.project, { organization_name: "Other Scim" });
    const { connection } = await h.client.scim.connection.get({ organization_id: organization.organizationId });
    await assert.rejects(
      h.client.scim.connection.delete({ organization_id: other.organizationId, connection_id: connection!.connection_id }),
      (error: { error_type?: string; status_code?: number }) => error.error_type === "scim_connection_not_found" && error.status_code === 404,
    );
    const deleted = await h.client.scim.connection.delete({ organization_id: organization.organizationId, connection_id: connection!.connection_id });
    assert.equal(deleted.connection_id, connection!.connection_id);
    await assert.rejects(h.client.scim.connection.get({ organization_id: organization.organizationId }), (error: { error_type?: string }) => error.error_type === "no_active_scim_connection");
    // A new connection may be created once the old one is gone.
    const again = await h.client.scim.connection.create({ organization_id: organization.organizationId });
    assert.equal(again.connection!.identity_provider, "generic");
  });
});
