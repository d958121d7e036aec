import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ClientError } from "stytch";
import { startHarness, type Harness } from "../support/harness.js";
import { createMember, createOrganization, decodeJwt, expectSdkError, startSession, unique } from "../support/fixtures.js";

describe("project isolation", () => {
  let h: Harness;
  let other: Awaited<ReturnType<Harness["otherProject"]>>;
  let organization: any;
  let member: any;
  let session: Awaited<ReturnType<typeof startSession>>;

  before(async () => {
    h = await startHarness();
    other = await h.otherProject();
    organization = await createOrganization(h.client, { organization_external_id: unique("ext"), trusted_metadata: { owner: "A" } });
    member = await createMember(h.client, organization.organization_id, { external_id: unique("mext") });
    session = await startSession(h, organization.organization_id, member.member_id);
  });
  after(async () => {
    await h.close();
  });

  /** Project A's organization, member and session are exactly as they were. */
  async function assertUntouched(): Promise<void> {
    const fetched = await h.client.organizations.get({ organization_id: organization.organization_id });
    assert.deepEqual(fetched.organization, organization);
    const fetchedMember = await h.client.organizations.members.get({ organization_id: organization.organization_id, member_id: member.member_id });
    assert.deepEqual(fetchedMember.member, member);
    const authenticated = await h.client.sessions.authenticate({ session_token: session.sessionToken });
    assert.equal(authenticated.member_session.member_session_id, session.session.sessionId);
  }

  describe("organizations", () => {
    it("cannot be read by another project by id, slug or external id", async () => {
      for (const ref of [organization.organization_id, organization.organization_slug, organization.organization_external_id]) {
        await expectSdkError(other.client.organizations.get({ organization_id: ref }), 404, "organization_not_found");
      }
    });

    it("cannot be updated or deleted by another project", async () => {
      for (const ref of [organization.organization_id, organization.organization_slug, organization.organization_external_id]) {
        await expectSdkError(other.client.organizations.update({ organization_id: ref, organization_name: "Hijacked" }), 404, "organization_not_found");
        await expectSdkError(other.client.organizations.delete({ organization_id: ref }), 404, "organization_not_found");
      }
      await assertUntouched();
    });

    it("do not appear in another project's search, whatever the filter", async () => {
      const everything = await other.client.organizations.search({});
      assert.ok(everything.organizations.every((o) => o.organization_id !== organization.organization_id));
      for (const operand of [
        { filter_name: "organization_ids", filter_value: [organization.organization_id] },
        { filter_name: "organization_slugs", filter_value: [organization.organization_slug] },
        { filter_name: "member_emails", filter_value: [member.email_address] },
        { filter_name: "organization_slug_fuzzy", filter_value: organization.organization_slug },
      ]) {
        const response = await other.client.organizations.search({ query: { operator: "AND", operands: [operand] } });
        assert.deepEqual(response.organizations, [], JSON.stringify(operand));
        assert.equal(response.results_metadata.total, 0);
      }
    });

    it("share no slug or external id namespace with another project", async () => {
      const twin = await createOrganization(other.client, {
        organization_slug: organization.organization_slug,
        organization_external_id: organization.organization_external_id,
      });
      assert.notEqual(twin.organization_id, organization.organization_id);
      const own = await other.client.organizations.get({ organization_id: organization.organization_slug });
      assert.equal(own.organization.organization_id, twin.organization_id);
      await assertUntouched();
      await other.client.organizations.delete({ organization_id: twin.organization_id });
    });
  });

  describe("members", () => {
    it("cannot be created in another project's organization", async () => {
      await expectSdkError(createMember(other.client, organization.organization_id), 404, "organization_not_found");
      const search = await h.client.organizations.members.search({ organization_ids: [organization.organization_id] });
      assert.deepEqual(search.members.map((m) => m.member_id), [member.member_id]);
    });

    it("cannot be read, updated or deleted through another project", async () => {
      const ref = { organization_id: organization.organization_id, member_id: member.member_id };
      await expectSdkError(other.client.organizations.members.get(ref), 404, "organization_not_found");
      await expectSdkError(
        other.client.organizations.members.get({ organization_id: organization.organization_id, email_address: member.email_address }),
        404,
        "organization_not_found",
      );
      await expectSdkError(other.client.organizations.members.update({ ...ref, name: "Hijacked" }), 404, "organization_not_found");
      await expectSdkError(other.client.organizations.members.delete(ref), 404, "organization_not_found");
      await assertUntouched();
    });

    it("cannot be reached through an organization of the other project", async () => {
      const own = await createOrganization(other.client);
      for (const memberRef of [member.member_id, member.external_id]) {
        await expectSdkError(other.client.organizations.members.get({ organization_id: own.organization_id, member_id: memberRef }), 404, "member_not_found");
        await expectSdkError(
          other.client.organizations.members.update({ organization_id: own.organization_id, member_id: memberRef, name: "Hijacked" }),
          404,
          "member_not_found",
        );
        await expectSdkError(other.client.organizations.members.delete({ organization_id: own.organization_id, member_id: memberRef }), 404, "member_not_found");
      }
      await assertUntouched();
    });

    it("do not appear in another project's member search", async () => {
      await expectSdkError(other.client.organizations.members.search({ organization_ids: [organization.organization_id] }), 404, "organization_not_found");
      const own = await createOrganization(other.client);
      const response = await other.client.organizations.members.search({
        organization_ids: [own.organization_id],
        query: { operator: "OR", operands: [{ filter_name: "member_ids", filter_value: [member.member_id] }, { filter_name: "member_emails", filter_value: [member.email_address] }] },
      });
      assert.deepEqual(response.members, []);
    });
  });

  describe("sessions", () => {
    it("cannot be listed by another project", async () => {
      await expectSdkError(other.client.sessions.get({ organization_id: organization.organization_id, member_id: member.member_id }), 404, "organization_not_found");
    });

    it("cannot be authenticated by another project, by token or by JWT", async () => {
      await expectSdkError(other.client.sessions.authenticate({ session_token: session.sessionToken }), 404, "session_not_found");
      await expectSdkError(other.client.sessions.authenticate({ session_jwt: session.sessionJwt }), 404, "session_not_found");
      await expectSdkError(
        other.client.sessions.authenticate({ session_token: session.sessionToken, session_custom_claims: { hijacked: true }, session_duration_minutes: 600 }),
        404,
        "session_not_found",
      );
      const response = await h.client.sessions.authenticate({ session_token: session.sessionToken });
      assert.equal(response.member_session.custom_claims?.hijacked, undefined);
      assert.equal(Date.parse(response.member_session.expires_at), Math.floor(session.session.expiresAt / 1000) * 1000);
    });

    it("cannot be revoked by another project through any selector", async () => {
      await expectSdkError(other.client.sessions.revoke({ member_session_id: session.session.sessionId }), 404, "session_not_found");
      await expectSdkError(other.client.sessions.revoke({ session_token: session.sessionToken }), 404, "session_not_found");
      await expectSdkError(other.client.sessions.revoke({ session_jwt: session.sessionJwt }), 404, "session_not_found");
      // A member id the other project does not know is not found there.
      await expectSdkError(other.client.sessions.revoke({ member_id: member.member_id }), 404, "member_not_found");
      await assertUntouched();
    });

    it("issues JWTs that the other project's client does not verify locally", async () => {
      await assert.rejects(
        other.client.sessions.authenticateJwtLocal({ session_jwt: session.sessionJwt }),
        (error: unknown) => error instanceof ClientError && error.code === "jwt_invalid",
      );
    });

    it("are signed with keys that only the owning project publishes", async () => {
      const kid = decodeJwt(session.sessionJwt).header.kid;
      const own = await h.client.sessions.getJWKS({ project_id: h.project.projectId });
      const theirs = await other.client.sessions.getJWKS({ project_id: other.project.projectId });
      assert.ok(own.keys.some((key) => key.kid === kid));
      assert.ok(theirs.keys.length >= 2);
      const ownKids = new Set(own.keys.map((key) => key.kid));
      assert.ok(theirs.keys.every((key) => !ownKids.has(key.kid)));
    });

    it("of the other project do not authenticate here either", async () => {
      const theirOrganization = await createOrganization(other.client);
      const theirMember = await createMember(other.client, theirOrganization.organization_id);
      const theirSession = await startSession(h, theirOrganization.organization_id, theirMember.member_id, {}, other.project);
      await expectSdkError(h.client.sessions.authenticate({ session_jwt: theirSession.sessionJwt }), 404, "session_not_found");
      await expectSdkError(h.client.sessions.authenticate({ session_token: theirSession.sessionToken }), 404, "session_not_found");
      const theirs = await other.client.sessions.authenticate({ session_jwt: theirSession.sessionJwt });
      assert.equal(theirs.member_session.member_session_id, theirSession.session.sessionId);
    });
  });
});
