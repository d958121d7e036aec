import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Member, Organization } from "../../src/domain/types.js";
import { startHarness, type Harness } from "../support/harness.js";

async function rejectsWith(call: Promise<unknown>, status: number, errorType: string): Promise<void> {
  await assert.rejects(call, (error: { status_code?: number; error_type?: string }) => {
    assert.equal(error.error_type, errorType);
    assert.equal(error.status_code, status);
    return true;
  });
}

describe("RBAC with Stytch's built-in roles", () => {
  let h: Harness;
  let orgA: Organization;
  let orgB: Organization;
  let admin: Member;
  let plain: Member;
  let adminToken: string;
  let plainToken: string;

  async function sessionToken(organization: Organization, member: Member): Promise<string> {
    const started = await h.app.services.sessions.start(h.project, organization, member, [
      { type: "magic_link", delivery_method: "email", last_authenticated_at: "2026-01-15T09:00:00Z", email_factor: { email_id: member.emailId, email_address: member.emailAddress } },
    ]);
    return started.sessionToken;
  }

  before(async () => {
    h = await startHarness();
    orgA = await h.app.services.organizations.create(h.project, { organization_name: "RBAC A" });
    orgB = await h.app.services.organizations.create(h.project, { organization_name: "RBAC B" });
    admin = (await h.app.services.members.create(h.project, orgA.organizationId, { email_address: "boss@example.com", roles: ["stytch_admin"] })).member;
    plain = (await h.app.services.members.create(h.project, orgA.organizationId, { email_address: "worker@example.com" })).member;
    adminToken = await sessionToken(orgA, admin);
    plainToken = await sessionToken(orgA, plain);
  });
  after(() => h.close());

  describe("sessions/authenticate authorization_check", () => {
    it("authorizes an admin and names the granting role", async () => {
      const response = await h.client.sessions.authenticate({
        session_token: adminToken,
        authorization_check: { organization_id: orgA.organizationId, resource_id: "stytch.member", action: "create" },
      });
      assert.deepEqual(response.verdict, { authorized: true, granting_roles: ["stytch_admin"] });
    });

    it("refuses a plain member, another organization, and resources no role grants", async () => {
      await rejectsWith(
        h.client.sessions.authenticate({ session_token: plainToken, authorization_check: { organization_id: orgA.organizationId, resource_id: "stytch.member", action: "create" } }),
        403,
        "session_authorization_error",
      );
      await rejectsWith(
        h.client.sessions.authenticate({ session_token: adminToken, authorization_check: { organization_id: orgB.organizationId, resource_id: "stytch.member", action: "create" } }),
        403,
        "session_authorization_tenancy_error",
      );
      await rejectsWith(
        h.client.sessions.authenticate({ session_token: adminToken, authorization_check: { organization_id: orgA.organizationId, resource_id: "documents", action: "read" } }),
        403,
        "session_authorization_error",
      );
    });

    it("lets a plain member act on stytch.self", async () => {
      const response = await h.client.sessions.authenticate({
        session_token: plainToken,
        authorization_check: { organization_id: orgA.organizationId, resource_id: "stytch.self", action: "update.info.name" },
      });
      assert.deepEqual(response.verdict?.granting_roles, ["stytch_member"]);
    });

    it("gives the SDK's local check the same policy", async () => {
      const adminJwt = (await h.client.sessions.authenticate({ session_token: adminToken, session_duration_minutes: 60 })).session_jwt;
      const plainJwt = (await h.client.sessions.authenticate({ session_token: plainToken, session_duration_minutes: 60 })).session_jwt;
      const check = { organization_id: orgA.organizationId, resource_id: "stytch.organization", action: "update.info.name" };
      await h.client.sessions.authenticateJwtLocal({ session_jwt: adminJwt, authorization_check: check });
      await assert.rejects(h.client.sessions.authenticateJwtLocal({ session_jwt: plainJwt, authorization_check: check }), (error: { code?: string }) => error.code === "invalid_permissions");
    });
  });

  describe("member-session authorization headers", () => {
    it("let an admin update its organization and refuse a plain member", async () => {
      const updated = await h.client.organizations.update({ organization_id: orgA.organizationId, organization_name: "RBAC A2" }, { authorization: { session_token: adminToken } });
      assert.equal(updated.organization.organization_name, "RBAC A2");
      await rejectsWith(
        h.client.organizations.update({ organization_id: orgA.organizationId, organization_name: "nope" }, { authorization: { session_token: plainToken } }),
        403,
        "session_authorization_error",
      );
      const unchanged = await h.client.organizations.get({ organization_id: orgA.organizationId });
      assert.equal(unchanged.organization.organization_name, "RBAC A2");
    });

    it("refuse acting on another organization, even as its admin elsewhere", async () => {
      await rejectsWith(h.client.organizations.delete({ organization_id: orgB.organizationId }, { authorization: { session_token: adminToken } }), 403, "session_authorization_tenancy_error");
      assert.equal((await h.client.organizations.get({ organization_id: orgB.organizationId })).organization.organization_id, orgB.organizationId);
    });

    it("let a plain member update its own record but not another member's", async () => {
      const self = await h.client.organizations.members.update(
        { organization_id: orgA.organizationId, member_id: plain.memberId, name: "Worker Bee" },
        { authorization: { session_token: plainToken } },
      );
      assert.equal(self.member.name, "Worker Bee");
      await rejectsWith(
        h.client.organizations.members.update({ organization_id: orgA.organizationId, member_id: admin.memberId, name: "Hacked" }, { authorization: { session_token: plainToken } }),
        403,
        "session_authorization_error",
      );
    });

    it("refuse a dead session", async () => {
      const token = await sessionToken(orgA, admin);
      await h.client.sessions.revoke({ session_token: token });
      await rejectsWith(h.client.organizations.update({ organization_id: orgA.organizationId, organization_name: "x" }, { authorization: { session_token: token } }), 404, "session_not_found");
    });
  });
});
