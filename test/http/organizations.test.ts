import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startHarness, type Harness } from "../support/harness.js";
import { createMember, createOrganization, expectSdkError, startSession, unique } from "../support/fixtures.js";
import { assertOrganization, assertResponseShape, isRfc3339 } from "../support/shapes.js";

describe("organizations over the official SDK", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  describe("create", () => {
    it("returns a complete Organization in a 200 envelope", async () => {
      const slug = unique("acme");
      const response = await h.client.organizations.create({
        organization_name: "Acme Inc",
        organization_slug: slug,
        organization_external_id: `ext-${slug}`,
        trusted_metadata: { plan: "pro" },
      });
      assertResponseShape(response);
      assert.match(response.request_id, /^request-id-test-[0-9a-f-]{36}$/);
      const organization = response.organization;
      assert.match(organization.organization_id, /^organization-test-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(organization.organization_name, "Acme Inc");
      assert.equal(organization.organization_slug, slug);
      assert.equal(organization.organization_external_id, `ext-${slug}`);
      assert.deepEqual(organization.trusted_metadata, { plan: "pro" });
      assert.equal(organization.organization_logo_url, "");
      assert.ok(isRfc3339(organization.created_at));
    });

    it("applies Stytch's defaults, with email_invites ALL_ALLOWED when no auth setting is given", async () => {
      const organization = await createOrganization(h.client);
      assert.equal(organization.email_invites, "ALL_ALLOWED");
      assert.equal(organization.email_jit_provisioning, "NOT_ALLOWED");
      assert.equal(organization.sso_jit_provisioning, "ALL_ALLOWED");
      assert.equal(organization.auth_methods, "ALL_ALLOWED");
      assert.equal(organization.mfa_policy, "OPTIONAL");
      assert.equal(organization.mfa_methods, "ALL_ALLOWED");
      assert.deepEqual(organization.allowed_auth_methods, []);
    });

    it("defaults email_invites to NOT_ALLOWED once an auth setting is given", async () => {
      const organization = await createOrganization(h.client, { mfa_policy: "REQUIRED_FOR_ALL" });
      assert.equal(organization.email_invites, "NOT_ALLOWED");
      assert.equal(organization.mfa_policy, "REQUIRED_FOR_ALL");
    });

    it("derives a slug from the name when none is given", async () => {
      const name = `Derived ${unique("n")}`;
      const { organization } = await h.client.organizations.create({ organization_name: name });
      assert.equal(organization.organization_slug, name.toLowerCase().replace(/[^a-z0-9\-._~]+/g, "-"));
      assertOrganization(organization);
    });

    it("keeps restricted settings and their lists", async () => {
      const organization = await createOrganization(h.client, {
        auth_methods: "RESTRICTED",
        allowed_auth_methods: ["magic_link", "sso"],
        email_allowed_domains: ["Example.COM"],
        email_jit_provisioning: "RESTRICTED",
      });
      assert.equal(organization.auth_methods, "RESTRICTED");
      assert.deepEqual(organization.allowed_auth_methods, ["magic_link", "sso"]);
      assert.deepEqual(organization.email_allowed_domains, ["example.com"]);
      assert.equal(organization.email_jit_provisioning, "RESTRICTED");
    });

    it("refuses a slug that is already used with 409 organization_slug_already_used", async () => {
      const organization = await createOrganization(h.client);
      await expectSdkError(
        h.client.organizations.create({ organization_name: "Again", organization_slug: organization.organization_slug }),
        409,
        "organization_slug_already_used",
      );
    });

    it("refuses an external id that is already used with 409 organization_external_id_already_used", async () => {
      const externalId = unique("ext");
      await createOrganization(h.client, { organization_external_id: externalId });
      await expectSdkError(createOrganization(h.client, { organization_external_id: externalId }), 409, "organization_external_id_already_used");
    });
  });

  describe("get", () => {
    it("finds an organization by id, by slug and by external id", async () => {
      const created = await createOrganization(h.client, { organization_external_id: unique("ext") });
      for (const ref of [created.organization_id, created.organization_slug, created.organization_external_id]) {
        const response = await h.client.organizations.get({ organization_id: ref });
        assertResponseShape(response);
        assert.deepEqual(response.organization, created, `looked up by ${ref}`);
      }
    });

    it("answers 404 organization_not_found for an unknown reference", async () => {
      await expectSdkError(h.client.organizations.get({ organization_id: "organization-test-00000000-0000-4000-8000-000000000000" }), 404, "organization_not_found");
      await expectSdkError(h.client.organizations.get({ organization_id: "no-such-slug" }), 404, "organization_not_found");
    });
  });

  describe("update", () => {
    it("changes only the given fields when addressed by id", async () => {
      const created = await createOrganization(h.client, { trusted_metadata: { a: 1 } });
      const response = await h.client.organizations.update({ organization_id: created.organization_id, organization_name: "Renamed" });
      assertResponseShape(response);
      assert.equal(response.organization.organization_name, "Renamed");
      assert.equal(response.organization.organization_slug, created.organization_slug);
      assert.deepEqual(response.organization.trusted_metadata, { a: 1 });
      const fetched = await h.client.organizations.get({ organization_id: created.organization_id });
      assert.equal(fetched.organization.organization_name, "Renamed");
    });

    it("updates an organization addressed by slug, and the new slug replaces the old one", async () => {
      const created = await createOrganization(h.client);
      const newSlug = unique("moved");
      const response = await h.client.organizations.update({ organization_id: created.organization_slug, organization_slug: newSlug });
      assert.equal(response.organization.organization_id, created.organization_id);
      assert.equal(response.organization.organization_slug, newSlug);
      const fetched = await h.client.organizations.get({ organization_id: newSlug });
      assert.equal(fetched.organization.organization_id, created.organization_id);
      await expectSdkError(h.client.organizations.get({ organization_id: created.organization_slug }), 404, "organization_not_found");
    });

    it("updates an organization addressed by external id", async () => {
      const externalId = unique("ext");
      const created = await createOrganization(h.client, { organization_external_id: externalId });
      const response = await h.client.organizations.update({
        organization_id: externalId,
        mfa_policy: "REQUIRED_FOR_ALL",
        email_allowed_domains: ["acme.example"],
      });
      assert.equal(response.organization.organization_id, created.organization_id);
      assert.equal(response.organization.mfa_policy, "REQUIRED_FOR_ALL");
      assert.deepEqual(response.organization.email_allowed_domains, ["acme.example"]);
    });

    it("clears the external id when given an empty string", async () => {
      const externalId = unique("ext");
      const created = await createOrganization(h.client, { organization_external_id: externalId });
      const response = await h.client.organizations.update({ organization_id: created.organization_id, organization_external_id: "" });
      assert.equal(response.organization.organization_external_id, "");
      await expectSdkError(h.client.organizations.get({ organization_id: externalId }), 404, "organization_not_found");
    });

    it("refuses to take another organization's slug with 409", async () => {
      const first = await createOrganization(h.client);
      const second = await createOrganization(h.client);
      await expectSdkError(
        h.client.organizations.update({ organization_id: second.organization_id, organization_slug: first.organization_slug }),
        409,
        "organization_slug_already_used",
      );
    });

    it("refuses RESTRICTED auth methods without a list", async () => {
      const created = await createOrganization(h.client);
      await expectSdkError(
        h.client.organizations.update({ organization_id: created.organization_id, auth_methods: "RESTRICTED" }),
        400,
        "invalid_organization_settings",
      );
    });

    it("answers 404 organization_not_found for an unknown organization", async () => {
      await expectSdkError(h.client.organizations.update({ organization_id: "missing-org", organization_name: "x" }), 404, "organization_not_found");
    });
  });

  describe("search", () => {
    it("filters by organization_ids, slugs and fuzzy name", async () => {
      const tag = unique("srch");
      const first = await createOrganization(h.client, { organization_name: `Alpha ${tag}` });
      const second = await createOrganization(h.client, { organization_name: `Beta ${tag}` });

      const byIds = await h.client.organizations.search({
        query: { operator: "AND", operands: [{ filter_name: "organization_ids", filter_value: [first.organization_id] }] },
      });
      assertResponseShape(byIds);
      assert.deepEqual(byIds.organizations.map((o) => o.organization_id), [first.organization_id]);
      assert.equal(byIds.results_metadata.total, 1);

      const bySlugs = await h.client.organizations.search({
        query: { operator: "OR", operands: [{ filter_name: "organization_slugs", filter_value: [first.organization_slug, second.organization_slug] }] },
      });
      assert.deepEqual(bySlugs.organizations.map((o) => o.organization_id).sort(), [first.organization_id, second.organization_id].sort());

      const fuzzy = await h.client.organizations.search({
        query: { operator: "AND", operands: [{ filter_name: "organization_name_fuzzy", filter_value: tag }] },
      });
      assert.equal(fuzzy.results_metadata.total, 2);
    });

    it("finds organizations by member email", async () => {
      const organization = await createOrganization(h.client);
      const member = await createMember(h.client, organization.organization_id);
      const response = await h.client.organizations.search({
        query: { operator: "AND", operands: [{ filter_name: "member_emails", filter_value: [member.email_address.toUpperCase()] }] },
      });
      assert.deepEqual(response.organizations.map((o) => o.organization_id), [organization.organization_id]);
    });

    it("pages with limit and next_cursor until every match is seen once", async () => {
      const tag = unique("page");
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await createOrganization(h.client, { organization_name: `Paged ${tag} ${i}` })).organization_id);
      const query = { operator: "AND" as const, operands: [{ filter_name: "organization_name_fuzzy", filter_value: tag }] };
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const response = await h.client.organizations.search({ query, limit: 2, ...(cursor ? { cursor } : {}) });
        assertResponseShape(response);
        assert.equal(response.results_metadata.total, 5);
        assert.ok(response.organizations.length <= 2);
        seen.push(...response.organizations.map((o) => o.organization_id));
        if (!response.results_metadata.next_cursor) break;
        cursor = response.results_metadata.next_cursor;
      }
      assert.deepEqual(seen, ids);
    });

    it("refuses an unknown filter with 400 invalid_search_query", async () => {
      await expectSdkError(
        h.client.organizations.search({ query: { operator: "AND", operands: [{ filter_name: "nope", filter_value: ["x"] }] } }),
        400,
        "invalid_search_query",
      );
    });
  });

  describe("delete", () => {
    it("deletes an organization addressed by id, by slug and by external id", async () => {
      const byId = await createOrganization(h.client);
      const bySlug = await createOrganization(h.client);
      const byExternal = await createOrganization(h.client, { organization_external_id: unique("ext") });
      for (const [organization, ref] of [
        [byId, byId.organization_id],
        [bySlug, bySlug.organization_slug],
        [byExternal, byExternal.organization_external_id],
      ] as const) {
        const response = await h.client.organizations.delete({ organization_id: ref });
        assert.equal(response.status_code, 200);
        assert.equal(typeof response.request_id, "string");
        assert.equal(response.organization_id, organization.organization_id);
        await expectSdkError(h.client.organizations.get({ organization_id: organization.organization_id }), 404, "organization_not_found");
      }
    });

    it("frees the slug and takes the members and their sessions with it", async () => {
      const organization = await createOrganization(h.client);
      const member = await createMember(h.client, organization.organization_id);
      const session = await startSession(h, organization.organization_id, member.member_id);
      await h.client.organizations.delete({ organization_id: organization.organization_id });

      await expectSdkError(h.client.sessions.authenticate({ session_token: session.sessionToken }), 404, "session_not_found");
      await expectSdkError(h.client.sessions.authenticate({ session_jwt: session.sessionJwt }), 404, "session_not_found");
      await expectSdkError(
        h.client.organizations.members.get({ organization_id: organization.organization_id, member_id: member.member_id }),
        404,
        "organization_not_found",
      );
      const again = await createOrganization(h.client, { organization_slug: organization.organization_slug });
      assert.equal(again.organization_slug, organization.organization_slug);
    });

    it("answers 404 organization_not_found for an unknown organization", async () => {
      await expectSdkError(h.client.organizations.delete({ organization_id: "missing-org" }), 404, "organization_not_found");
    });
  });
});
