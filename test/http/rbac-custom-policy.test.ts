/**
 * @module A custom RBAC policy from the configuration file, through the official SDK: the policy
 * endpoint shows it, `authorization_check` and member-session headers grant a custom role's
 * permissions and refuse others, organizations get their own roles, and roles implied by email
 * domain appear in sessions.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { expectSdkError, startSession, unique } from "../support/fixtures.js";
import { sdkClient, startHarness, type Harness } from "../support/harness.js";

const projectId = `project-test-${randomUUID()}`;
const secret = `secret-test-${randomUUID()}`;

describe("custom RBAC policy", () => {
  let h: Harness;
  let client: ReturnType<typeof sdkClient>;
  let organizationId: string;
  let editorToken: string;
  let viewerToken: string;
  let implicitToken: string;
  let project: NonNullable<Awaited<ReturnType<Harness["app"]["services"]["projects"]["find"]>>>;

  before(async () => {
    h = await startHarness({
      configFile: {
        projects: [
          {
            project_id: projectId,
            secret,
            rbac_policy: {
              resources: [{ resource_id: "documents", description: "Docs", actions: ["read", "write", "delete"] }],
              roles: [
                { role_id: "editor", description: "Edits", permissions: [{ resource_id: "documents", actions: ["read", "write"] }, { resource_id: "stytch.member", actions: ["create"] }] },
                { role_id: "viewer", permissions: [{ resource_id: "documents", actions: ["read"] }] },
              ],
              scopes: [{ scope: "read:documents", permissions: [{ resource_id: "documents", actions: ["read"] }] }],
            },
          },
        ],
      },
    });
    client = sdkClient(h.baseUrl, projectId, secret);
    project = (await h.app.services.projects.find(projectId))!;
    const organization = await client.organizations.create({
      organization_name: "Custom RBAC",
      organization_slug: unique("rbac"),
      rbac_email_implicit_role_assignments: [{ domain: "viewers.example", role_id: "viewer" }],
    });
    organizationId = organization.organization.organization_id;
    const editor = await client.organizations.members.create({ organization_id: organizationId, email_address: `${unique("ed")}@example.com`, roles: ["editor"] });
    const viewer = await client.organizations.members.create({ organization_id: organizationId, email_address: `${unique("vi")}@example.com`, roles: ["viewer"] });
    const implicit = await client.organizations.members.create({ organization_id: organizationId, email_address: `${unique("im")}@viewers.example` });
    editorToken = (await startSession(h, organizationId, editor.member_id, {}, project)).sessionToken;
    viewerToken = (await startSession(h, organizationId, viewer.member_id, {}, project)).sessionToken;
    implicitToken = (await startSession(h, organizationId, implicit.member_id, {}, project)).sessionToken;
  });
  after(() => h.close());

  it("GET /v1/b2b/rbac/policy returns the built-ins with the custom roles, resources and scopes", async () => {
    const { policy } = await client.rbac.policy();
    assert.deepEqual(policy!.roles.map((role) => role.role_id), ["stytch_member", "stytch_admin", "editor", "viewer"]);
    assert.deepEqual(policy!.roles[3], { role_id: "viewer", description: "", permissions: [{ resource_id: "documents", actions: ["read"] }] });
    assert.ok(policy!.resources.some((resource) => resource.resource_id === "documents" && resource.actions.includes("delete")));
    assert.ok(policy!.resources.some((resource) => resource.resource_id === "stytch.member"));
    assert.deepEqual(policy!.scopes.map((scope) => scope.scope), ["read:documents"]);
  });

  it("authorization_check grants a custom role's permission and refuses another", async () => {
    const granted = await client.sessions.authenticate({ session_token: editorToken, authorization_check: { organization_id: organizationId, resource_id: "documents", action: "write" } });
    assert.deepEqual(granted.verdict, { authorized: true, granting_roles: ["editor"] });
    await expectSdkError(
      client.sessions.authenticate({ session_token: viewerToken, authorization_check: { organization_id: organizationId, resource_id: "documents", action: "write" } }),
      403,
      "session_authorization_error",
    );
    await expectSdkError(
      client.sessions.authenticate({ session_token: editorToken, authorization_check: { organization_id: organizationId, resource_id: "documents", action: "delete" } }),
      403,
      "session_authorization_error",
    );
  });

  it("member-session headers: a custom role granting stytch.member create may create, not delete", async () => {
    const created = await client.organizations.members.create(
      { organization_id: organizationId, email_address: `${unique("new")}@example.com` },
      { authorization: { session_token: editorToken } },
    );
    assert.equal(created.status_code, 200);
    await expectSdkError(
      client.organizations.members.create({ organization_id: organizationId, email_address: `${unique("no")}@example.com` }, { authorization: { session_token: viewerToken } }),
      403,
      "session_authorization_error",
    );
    await expectSdkError(
      client.organizations.members.delete({ organization_id: organizationId, member_id: created.member_id }, { authorization: { session_token: editorToken } }),
      403,
      "session_authorization_error",
    );
  });

  it("email-implicit roles are in member_session.roles and grant their permissions", async () => {
    const answer = await client.sessions.authenticate({ session_token: implicitToken, authorization_check: { organization_id: organizationId, resource_id: "documents", action: "read" } });
    assert.deepEqual(answer.member_session.roles, ["stytch_member", "viewer"]);
    assert.deepEqual(answer.verdict?.granting_roles, ["viewer"]);
  });

  it("organization custom roles: set, read back, grant in that organization, and refused when invalid", async () => {
    const set = await client.rbac.organizations.setOrgPolicy({
      organization_id: organizationId,
      org_policy: { roles: [{ role_id: "archivist", description: "Deletes", permissions: [{ resource_id: "documents", actions: ["delete"] }] }] },
    });
    assert.deepEqual(set.org_policy.roles.map((role) => role.role_id), ["archivist"]);
    const read = await client.rbac.organizations.getOrgPolicy({ organization_id: organizationId });
    assert.deepEqual(read.org_policy, set.org_policy);
    // The organization's role can now be assigned there, and grants its permission.
    const archivist = await client.organizations.members.create({ organization_id: organizationId, email_address: `${unique("ar")}@example.com`, roles: ["archivist"] });
    const token = (await startSession(h, organizationId, archivist.member_id, {}, project)).sessionToken;
    const verdict = await client.sessions.authenticate({ session_token: token, authorization_check: { organization_id: organizationId, resource_id: "documents", action: "delete" } });
    assert.deepEqual(verdict.verdict?.granting_roles, ["archivist"]);
    // Another organization does not know it.
    const other = await client.organizations.create({ organization_name: "Other", organization_slug: unique("other") });
    await expectSdkError(
      client.organizations.members.create({ organization_id: other.organization.organization_id, email_address: `${unique("x")}@example.com`, roles: ["archivist"] }),
      400,
      "invalid_rbac_role_id",
    );
    for (const roles of [
      [{ role_id: "editor", description: "", permissions: [] }],
      [{ role_id: "x", description: "", permissions: [{ resource_id: "documents", actions: ["shred"] }] }],
      [{ role_id: "z", description: "", permissions: [] }, { role_id: "z", description: "", permissions: [] }],
      [{ role_id: "y", description: "", permissions: [{ resource_id: "nothing", actions: ["read"] }] }],
    ]) {
      await expectSdkError(client.rbac.organizations.setOrgPolicy({ organization_id: organizationId, org_policy: { roles } }), 400, "invalid_rbac_custom_role");
    }
    assert.deepEqual((await client.rbac.organizations.getOrgPolicy({ organization_id: organizationId })).org_policy, set.org_policy);
  });
});
