/**
 * @module The hosted SCIM server driven as Okta and Entra ID do: create, get by filter, group push
 * with implicit roles in `member_session.roles`, PATCH active "False" revoking sessions, bad token 401, malformed PATCH 400.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Organization } from "../../src/domain/types.js";
import { startHarness, type Harness } from "../support/harness.js";

describe("hosted SCIM server", () => {
  let h: Harness;
  let organization: Organization;
  let base: string;
  let token: string;
  const scim = async (method: string, path: string, body?: unknown, bearer = token) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { "content-type": "application/scim+json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    h = await startHarness();
    organization = await h.app.services.organizations.create(h.project, { organization_name: "Scim Server" });
    const created = await h.client.scim.connection.create({ organization_id: organization.organizationId, identity_provider: "okta" });
    base = `${h.baseUrl}/v1/b2b/scim/${created.connection!.connection_id}`;
    token = created.connection!.bearer_token;
  });
  after(() => h.close());

  it("provisions, filters, grants group roles and deprovisions (revoking sessions)", async () => {
    const user = await scim("POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "ada@example.com",
      name: { givenName: "Ada", familyName: "Lovelace" },
      emails: [{ primary: true, value: "ada@example.com", type: "work" }],
      active: true,
    });
    assert.equal(user.status, 201);
    const memberId = user.body.id as string;
    const member = await h.client.organizations.members.get({ organization_id: organization.organizationId, member_id: memberId });
    assert.equal(member.member.name, "Ada Lovelace");
    assert.equal((await scim("POST", "/Users", { userName: "ADA@example.com", emails: [{ value: "x@example.com" }] })).status, 409);

    const found = await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "ada@example.com"')}&startIndex=1&count=10`);
    assert.equal(found.body.totalResults, 1);
    const byEmail = await scim("GET", `/Users?filter=${encodeURIComponent('emails[type eq "work"].value eq "ada@example.com"')}`);
    assert.equal(byEmail.body.Resources[0].id, memberId);
    assert.equal((await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "nobody"')}`)).body.totalResults, 0);

    const group = await scim("POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Admins", members: [] });
    assert.equal(group.status, 201);
    const { connection } = await h.client.scim.connection.get({ organization_id: organization.organizationId });
    await h.client.scim.connection.update({
      organization_id: organization.organizationId,
      connection_id: connection!.connection_id,
      scim_group_implicit_role_assignments: [{ role_id: "stytch_admin", group_id: group.body.id, group_name: "Admins" }],
    });
    const stored = (await h.app.services.members.get(h.project, organization, memberId));
    const started = await h.app.services.sessions.start(h.project, organization, stored, [
      { type: "magic_link", delivery_method: "email", last_authenticated_at: "2026-01-15T09:00:00Z", email_factor: { email_id: stored.emailId, email_address: stored.emailAddress } },
    ]);
    const patchOp = (operations: unknown[]) => ({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: operations });
    assert.equal((await scim("PATCH", `/Groups/${group.body.id}`, patchOp([{ op: "Add", path: "members", value: [{ value: memberId }] }]))).status, 200);
    assert.deepEqual((await h.client.sessions.authenticate({ session_token: started.sessionToken })).member_session.roles, ["stytch_member", "stytch_admin"]);
    assert.equal((await scim("PATCH", `/Groups/${group.body.id}`, patchOp([{ op: "Remove", path: "members", value: [{ value: memberId }] }]))).status, 200);
    assert.deepEqual((await h.client.sessions.authenticate({ session_token: started.sessionToken })).member_session.roles, ["stytch_member"]);

    const malformed = await scim("PATCH", `/Users/${memberId}`, { Operations: [{ op: "explode" }] });
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.body.schemas, ["urn:ietf:params:scim:api:messages:2.0:Error"]);

    const deactivated = await scim("PATCH", `/Users/${memberId}`, patchOp([{ op: "Replace", path: "active", value: "False" }]));
    assert.equal(deactivated.status, 200);
    assert.equal(deactivated.body.active, false);
    await assert.rejects(h.client.sessions.authenticate({ session_token: started.sessionToken }), (error: { error_type?: string }) => error.error_type === "session_not_found");
    const reactivated = await scim("PATCH", `/Users/${memberId}`, patchOp([{ op: "replace", value: { active: "True" } }]));
    assert.equal(reactivated.body.active, true);
    assert.equal((await h.client.organizations.members.get({ organization_id: organization.organizationId, member_id: memberId })).member.status, "active");
  });

  it("refuses a bad token (401) and ids it does not hold (404), in SCIM's error shape", async () => {
    const unauthorized = await scim("GET", "/Users", undefined, "wrong");
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.body.status, "401");
    const other = await h.app.services.organizations.create(h.project, { organization_name: "Elsewhere" });
    const { member } = await h.app.services.members.create(h.project, other.organizationId, { email_address: "eve@example.com" });
    const missing = await scim("GET", `/Users/${member.memberId}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.status, "404");
  });
});
