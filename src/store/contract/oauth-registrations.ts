/**
 * @module The OAuth registration store's promises on every dialect: an upsert per (member,
 * provider, subject) that keeps the first registration id and replaces tokens, tenants and
 * scopes; per-member listing across providers and projects; token updates after a refresh.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SqlOAuthRegistrationStore, type OAuthRegistrationRecord } from "../oauth-registrations.js";
import { freshStore, type StoreFactory } from "./harness.js";

function registration(overrides: Partial<OAuthRegistrationRecord> = {}): OAuthRegistrationRecord {
  return {
    projectId: "project-test-oauth-a",
    registrationId: "oauth-user-test-1",
    organizationId: "organization-test-1",
    memberId: "member-test-1",
    provider: "github",
    providerSubject: "1001",
    providerTenantIds: ["7", "42"],
    profilePictureUrl: "https://avatars.example/1001",
    locale: "",
    scopes: ["read:user"],
    sealedTokens: "sealed-1",
    accessTokenExpiresAt: null,
    createdAt: 1_760_000_000_000,
    updatedAt: 1_760_000_000_000,
    ...overrides,
  };
}

export function oauthRegistrationsContract(makeStore: StoreFactory): void {
  describe("oauth registrations", () => {
    const store = freshStore(makeStore);
    const registrations = () => new SqlOAuthRegistrationStore(store().sqlExecutor());

    it("upserts per member, provider and subject: the first id stays, tokens, tenants and scopes are replaced", async () => {
      const first = await registrations().upsert(registration());
      assert.deepEqual(first, registration());
      const second = await registrations().upsert(
        registration({ registrationId: "oauth-user-test-2", providerTenantIds: ["42"], scopes: ["read:user", "read:org"], sealedTokens: "sealed-2", accessTokenExpiresAt: 5, updatedAt: 1_760_000_000_500 }),
      );
      assert.equal(second.registrationId, "oauth-user-test-1");
      assert.deepEqual(second.providerTenantIds, ["42"]);
      assert.equal(second.sealedTokens, "sealed-2");
      assert.equal(second.accessTokenExpiresAt, 5);
      assert.equal(second.createdAt, 1_760_000_000_000);
      assert.equal((await registrations().listForMember("project-test-oauth-a", "member-test-1")).length, 1);
    });

    it("lists a member's registrations across providers, not another project's; updates tokens after a refresh", async () => {
      await registrations().upsert(registration({ projectId: "project-test-oauth-b", registrationId: "oauth-user-test-b1", memberId: "member-test-b" }));
      await registrations().upsert(registration({ projectId: "project-test-oauth-b", registrationId: "oauth-user-test-b2", memberId: "member-test-b", provider: "google", providerSubject: "g-1", createdAt: 1_760_000_000_001 }));
      await registrations().upsert(registration({ projectId: "project-test-oauth-c", registrationId: "oauth-user-test-c1", memberId: "member-test-b" }));
      const listed = await registrations().listForMember("project-test-oauth-b", "member-test-b");
      assert.deepEqual(listed.map((r) => r.provider), ["github", "google"]);
      await registrations().updateTokens("project-test-oauth-b", "oauth-user-test-b2", "sealed-fresh", ["openid"], 99, 1_760_000_001_000);
      const updated = (await registrations().listForMember("project-test-oauth-b", "member-test-b")).find((r) => r.registrationId === "oauth-user-test-b2")!;
      assert.equal(updated.sealedTokens, "sealed-fresh");
      assert.deepEqual(updated.scopes, ["openid"]);
      assert.equal(updated.accessTokenExpiresAt, 99);
      assert.equal(updated.updatedAt, 1_760_000_001_000);
      assert.equal((await registrations().listForMember("project-test-oauth-c", "member-test-b"))[0]!.sealedTokens, "sealed-1");
    });
  });
}
