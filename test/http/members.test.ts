import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectStytchError, startHarness, type Harness } from "../support/harness.js";
import { createMember, createOrganization, expectSdkError, startSession, unique } from "../support/fixtures.js";
import { assertMember, assertResponseShape, isRfc3339 } from "../support/shapes.js";

describe("organization members over the official SDK", () => {
  let h: Harness;
  let organization: any;
  before(async () => {
    h = await startHarness();
    // The roles these tests give members are defined by the project's policy (unknown ones are refused).
    await h.app.services.projectSettings.update(h.project.projectId, {
      rbacPolicy: { roles: ["editor", "viewer"].map((role_id) => ({ role_id, description: "", permissions: [] })), resources: [], scopes: [] },
    });
    organization = await createOrganization(h.client, { organization_external_id: unique("ext") });
  });

  it("refuses a role id that neither the built-in roles nor the project's policy define (create and update)", async () => {
    await expectSdkError(
      h.client.organizations.members.create({ organization_id: organization.organization_id, email_address: `${unique("r")}@example.com`, roles: ["editor", "ghost"] }),
      400,
      "invalid_rbac_role_id",
    );
    const created = await createMember(h.client, organization.organization_id);
    await expectSdkError(
      h.client.organizations.members.update({ organization_id: organization.organization_id, member_id: created.member_id, roles: ["ghost"] }),
      400,
      "invalid_rbac_role_id",
    );
    const after = await h.client.organizations.members.get({ organization_id: organization.organization_id, member_id: created.member_id });
    assert.deepEqual(after.member.roles.map((role: { role_id: string }) => role.role_id), ["stytch_member"]);
  });
  after(async () => {
    await h.close();
  });

  describe("create", () => {
    it("returns member_id, a complete Member and its Organization", async () => {
      const email = `${unique("ada")}@example.com`;
      const response = await h.client.organizations.members.create({
        organization_id: organization.organization_id,
        email_address: email,
        name: "Ada Lovelace",
        trusted_metadata: { level: 3 },
        untrusted_metadata: { theme: "dark" },
        mfa_phone_number: "+14155550123",
        roles: ["editor"],
        external_id: unique("mext"),
      });
      assertResponseShape(response);
      const member = response.member;
      assert.equal(response.member_id, member.member_id);
      assert.match(member.member_id, /^member-test-[0-9a-f-]{36}$/);
      assert.equal(member.organization_id, organization.organization_id);
      assert.equal(member.email_address, email);
      assert.equal(member.status, "active");
      assert.equal(member.name, "Ada Lovelace");
      assert.equal(member.mfa_phone_number, "+14155550123");
      assert.equal(member.mfa_phone_number_verified, false);
      assert.equal(member.email_address_verified, false);
      assert.equal(member.is_admin, false);
      assert.deepEqual(member.trusted_metadata, { level: 3 });
      assert.deepEqual(member.untrusted_metadata, { theme: "dark" });
      assert.deepEqual(
        member.roles.map((role: { role_id: string }) => role.role_id),
        ["stytch_member", "editor"],
      );
      assert.ok(isRfc3339(member.created_at));
      assert.deepEqual(response.organization, organization);
    });

    it("creates a pending member when asked", async () => {
      const member = await createMember(h.client, organization.organization_id, { create_member_as_pending: true });
      assert.equal(member.status, "pending");
      assertMember(member);
    });

    it("marks a member holding stytch_admin as is_admin", async () => {
      const member = await createMember(h.client, organization.organization_id, { roles: ["stytch_admin"] });
      assert.equal(member.is_admin, true);
    });

    it("accepts the organization by slug and by external id", async () => {
      const bySlug = await createMember(h.client, organization.organization_slug);
      const byExternal = await createMember(h.client, organization.organization_external_id);
      assert.equal(bySlug.organization_id, organization.organization_id);
      assert.equal(byExternal.organization_id, organization.organization_id);
    });

    it("refuses a second member with the same email in any letter case with 409 duplicate_member_email", async () => {
      const member = await createMember(h.client, organization.organization_id);
      await expectSdkError(
        h.client.organizations.members.create({ organization_id: organization.organization_id, email_address: member.email_address.toUpperCase() }),
        409,
        "duplicate_member_email",
      );
    });

    it("allows the same email in another organization", async () => {
      const member = await createMember(h.client, organization.organization_id);
      const other = await createOrganization(h.client);
      const twin = await createMember(h.client, other.organization_id, { email_address: member.email_address });
      assert.notEqual(twin.member_id, member.member_id);
    });

    it("refuses a second member with the same external id with 409 duplicate_member_external_id", async () => {
      const externalId = unique("mext");
      await createMember(h.client, organization.organization_id, { external_id: externalId });
      await expectSdkError(createMember(h.client, organization.organization_id, { external_id: externalId }), 409, "duplicate_member_external_id");
    });

    it("answers 404 organization_not_found for an unknown organization", async () => {
      await expectSdkError(createMember(h.client, "missing-org"), 404, "organization_not_found");
    });
  });

  describe("get", () => {
    it("finds a member by member_id, by external id and by email_address in any letter case", async () => {
      const created = await createMember(h.client, organization.organization_id, { external_id: unique("mext") });
      const lookups = [
        { member_id: created.member_id },
        { member_id: created.external_id },
        { email_address: created.email_address },
        { email_address: created.email_address.toUpperCase() },
      ];
      for (const lookup of lookups) {
        const response = await h.client.organizations.members.get({ organization_id: organization.organization_id, ...lookup });
        assertResponseShape(response);
        assert.equal(response.member_id, created.member_id, JSON.stringify(lookup));
        assert.deepEqual(response.member, created);
        assert.deepEqual(response.organization, organization);
      }
    });

    it("finds a member through the organization's slug", async () => {
      const created = await createMember(h.client, organization.organization_id);
      const response = await h.client.organizations.members.get({ organization_id: organization.organization_slug, member_id: created.member_id });
      assert.equal(response.member_id, created.member_id);
    });

    it("answers 404 member_not_found for an unknown member or email", async () => {
      await expectSdkError(
        h.client.organizations.members.get({ organization_id: organization.organization_id, member_id: "member-test-00000000-0000-4000-8000-000000000000" }),
        404,
        "member_not_found",
      );
      await expectSdkError(
        h.client.organizations.members.get({ organization_id: organization.organization_id, email_address: "nobody@example.com" }),
        404,
        "member_not_found",
      );
    });

    it("does not find a member through another organization", async () => {
      const created = await createMember(h.client, organization.organization_id);
      const other = await createOrganization(h.client);
      await expectSdkError(
        h.client.organizations.members.get({ organization_id: other.organization_id, member_id: created.member_id }),
        404,
        "member_not_found",
      );
    });

    it("asks for exactly one of member_id and email_address", async () => {
      const created = await createMember(h.client, organization.organization_id);
      const path = `/v1/b2b/organizations/${organization.organization_id}/member`;
      const neither = await h.request("GET", path);
      assert.equal(neither.status, 400);
      expectStytchError(neither.body, 400, "no_member_selection_arguments");
      const both = await h.request("GET", `${path}?member_id=${created.member_id}&email_address=${encodeURIComponent(created.email_address)}`);
      assert.equal(both.status, 400);
      expectStytchError(both.body, 400, "too_many_member_selection_arguments");
    });
  });

  describe("update", () => {
    it("changes only the given fields", async () => {
      const created = await createMember(h.client, organization.organization_id, { name: "Before", untrusted_metadata: { a: 1 } });
      const response = await h.client.organizations.members.update({
        organization_id: organization.organization_id,
        member_id: created.member_id,
        name: "After",
        mfa_phone_number: "+442071838750",
        roles: ["viewer"],
        mfa_enrolled: true,
        default_mfa_method: "sms_otp",
      });
      assertResponseShape(response);
      const member = response.member;
      assert.equal(member.name, "After");
      assert.equal(member.mfa_phone_number, "+442071838750");
      assert.equal(member.mfa_enrolled, true);
      assert.equal(member.default_mfa_method, "sms_otp");
      assert.deepEqual(member.untrusted_metadata, { a: 1 });
      assert.equal(member.email_address, created.email_address);
      assert.deepEqual(
        member.roles.map((role: { role_id: string }) => role.role_id),
        ["stytch_member", "viewer"],
      );
      const fetched = await h.client.organizations.members.get({ organization_id: organization.organization_id, member_id: created.member_id });
      assert.deepEqual(fetched.member, member);
    });

    it("updates a member addressed by external id through the organization's slug", async () => {
      const externalId = unique("mext");
      const created = await createMember(h.client, organization.organization_id, { external_id: externalId });
      const response = await h.client.organizations.members.update({ organization_id: organization.organization_slug, member_id: externalId, name: "Via refs" });
      assert.equal(response.member_id, created.member_id);
      assert.equal(response.member.name, "Via refs");
    });

    it("changes the email address and finds the member by the new one", async () => {
      const created = await createMember(h.client, organization.organization_id);
      const newEmail = `${unique("moved")}@example.com`;
      const response = await h.client.organizations.members.update({ organization_id: organization.organization_id, member_id: created.member_id, email_address: newEmail });
      assert.equal(response.member.email_address, newEmail);
      assert.equal(response.member.email_address_verified, false);
      const fetched = await h.client.organizations.members.get({ organization_id: organization.organization_id, email_address: newEmail });
      assert.equal(fetched.member_id, created.member_id);
    });

    it("refuses an email another member has, in any letter case, with 409 duplicate_member_email", async () => {
      const first = await createMember(h.client, organization.organization_id);
      const second = await createMember(h.client, organization.organization_id);
      await expectSdkError(
        h.client.organizations.members.update({
          organization_id: organization.organization_id,
          member_id: second.member_id,
          email_address: first.email_address.toUpperCase(),
        }),
        409,
        "duplicate_member_email",
      );
    });

    it("refuses a phone number that is not E.164 with 400 invalid_phone_number", async () => {
      const created = await createMember(h.client, organization.organization_id);
      await expectSdkError(
        h.client.organizations.members.update({ organization_id: organization.organization_id, member_id: created.member_id, mfa_phone_number: "415-555-0123" }),
        400,
        "invalid_phone_number",
      );
    });

    it("answers 404 member_not_found for an unknown member", async () => {
      await expectSdkError(
        h.client.organizations.members.update({ organization_id: organization.organization_id, member_id: "member-test-missing", name: "x" }),
        404,
        "member_not_found",
      );
    });
  });

  describe("search", () => {
    it("lists the members of the given organizations with those organizations keyed by id", async () => {
      const own = await createOrganization(h.client);
      const first = await createMember(h.client, own.organization_id);
      const second = await createMember(h.client, own.organization_id, { create_member_as_pending: true });
      const response = await h.client.organizations.members.search({ organization_ids: [own.organization_id] });
      assertResponseShape(response);
      assert.deepEqual(response.members.map((m) => m.member_id), [first.member_id, second.member_id]);
      assert.equal(response.results_metadata.total, 2);
      assert.deepEqual(Object.keys(response.organizations), [own.organization_id]);
    });

    it("filters by member_emails and by statuses", async () => {
      const own = await createOrganization(h.client);
      const active = await createMember(h.client, own.organization_id);
      const pending = await createMember(h.client, own.organization_id, { create_member_as_pending: true });
      const byEmail = await h.client.organizations.members.search({
        organization_ids: [own.organization_slug],
        query: { operator: "AND", operands: [{ filter_name: "member_emails", filter_value: [active.email_address.toUpperCase()] }] },
      });
      assert.deepEqual(byEmail.members.map((m) => m.member_id), [active.member_id]);
      const byStatus = await h.client.organizations.members.search({
        organization_ids: [own.organization_id],
        query: { operator: "AND", operands: [{ filter_name: "statuses", filter_value: ["pending"] }] },
      });
      assert.deepEqual(byStatus.members.map((m) => m.member_id), [pending.member_id]);
    });

    it("pages with limit and next_cursor", async () => {
      const own = await createOrganization(h.client);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await createMember(h.client, own.organization_id)).member_id);
      const first = await h.client.organizations.members.search({ organization_ids: [own.organization_id], limit: 2 });
      assert.equal(first.members.length, 2);
      assert.equal(typeof first.results_metadata.next_cursor, "string");
      const second = await h.client.organizations.members.search({
        organization_ids: [own.organization_id],
        limit: 2,
        cursor: first.results_metadata.next_cursor!,
      });
      assert.deepEqual([...first.members, ...second.members].map((m) => m.member_id), ids);
      assert.ok(!second.results_metadata.next_cursor);
    });

    it("answers 404 organization_not_found when an organization is unknown", async () => {
      await expectSdkError(h.client.organizations.members.search({ organization_ids: ["missing-org"] }), 404, "organization_not_found");
    });
  });

  describe("delete", () => {
    it("deletes a member, revokes its sessions, hides it from get and search, and frees its email", async () => {
      const own = await createOrganization(h.client);
      const member = await createMember(h.client, own.organization_id);
      const session = await startSession(h, own.organization_id, member.member_id);

      const response = await h.client.organizations.members.delete({ organization_id: own.organization_id, member_id: member.member_id });
      assert.equal(response.status_code, 200);
      assert.equal(typeof response.request_id, "string");
      assert.equal(response.member_id, member.member_id);

      await expectSdkError(h.client.organizations.members.get({ organization_id: own.organization_id, member_id: member.member_id }), 404, "member_not_found");
      await expectSdkError(h.client.sessions.authenticate({ session_token: session.sessionToken }), 404, "session_not_found");
      const search = await h.client.organizations.members.search({ organization_ids: [own.organization_id] });
      assert.deepEqual(search.members, []);
      const again = await createMember(h.client, own.organization_id, { email_address: member.email_address });
      assert.notEqual(again.member_id, member.member_id);
    });

    it("deletes a member addressed by external id", async () => {
      const externalId = unique("mext");
      const member = await createMember(h.client, organization.organization_id, { external_id: externalId });
      const response = await h.client.organizations.members.delete({ organization_id: organization.organization_id, member_id: externalId });
      assert.equal(response.member_id, member.member_id);
    });

    it("answers 404 member_not_found for an unknown or already deleted member", async () => {
      const member = await createMember(h.client, organization.organization_id);
      await h.client.organizations.members.delete({ organization_id: organization.organization_id, member_id: member.member_id });
      await expectSdkError(
        h.client.organizations.members.delete({ organization_id: organization.organization_id, member_id: member.member_id }),
        404,
        "member_not_found",
      );
    });
  });
});
