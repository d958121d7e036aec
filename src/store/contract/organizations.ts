/**
 * @module Store contract: organizations (insert, lookup precedence, update, cascade delete) and
 * organization search with cursor pagination.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Organization } from "../../domain/types.js";
import type { SearchQuery, Store } from "../store.js";
import { T0, assertSameKeyOrder, member, organization, project, rejectsWithConflict, session, settings, tokenHash, uid } from "./fixtures.js";
import { freshStore, type StoreFactory } from "./harness.js";

async function newProject(store: Store): Promise<string> {
  const p = project();
  await store.insertProject(p);
  return p.projectId;
}

/** Every page of a search, following cursors, with the total each page reported. */
async function allPages(
  search: (cursor: string | null) => Promise<{ items: Organization[]; total: number; nextCursor: string | null }>,
): Promise<{ pages: string[][]; totals: number[] }> {
  const pages: string[][] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  do {
    const page = await search(cursor);
    pages.push(page.items.map((org) => org.organizationId));
    totals.push(page.total);
    cursor = page.nextCursor;
    assert.ok(pages.length < 100, "pagination does not end");
  } while (cursor !== null);
  return { pages, totals };
}

const query = (operator: "AND" | "OR", ...operands: [string, unknown][]): SearchQuery => ({
  operator,
  operands: operands.map(([filter_name, filter_value]) => ({ filter_name, filter_value })),
});

export function organizationsContract(makeStore: StoreFactory): void {
  describe("organizations", () => {
    const store = freshStore(makeStore);

    it("insertOrganization then findOrganization by id, slug and external id returns it exactly", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId, { externalId: uid("ext"), createdAt: T0 + 123, updatedAt: T0 + 456 });
      await store().insertOrganization(org);
      for (const ref of [org.organizationId, org.slug, org.externalId!]) {
        const found = await store().findOrganization(projectId, ref);
        assert.deepEqual(found, org);
        assertSameKeyOrder(found?.trustedMetadata, org.trustedMetadata);
        assertSameKeyOrder(found?.settings, org.settings);
      }
    });

    it("findOrganization of an unknown reference, or of another project's organization, is null", async () => {
      const projectId = await newProject(store());
      const otherProjectId = await newProject(store());
      const org = organization(projectId, { externalId: uid("ext") });
      await store().insertOrganization(org);
      assert.equal(await store().findOrganization(projectId, uid("organization-test")), null);
      for (const ref of [org.organizationId, org.slug, org.externalId!]) {
        assert.equal(await store().findOrganization(otherProjectId, ref), null);
      }
    });

    it("findOrganization prefers id over slug over external id", async () => {
      const projectId = await newProject(store());
      const target = organization(projectId);
      // Lower-precedence matches are inserted first, so insertion order cannot explain the answer.
      const slugIsTargetId = organization(projectId, { slug: target.organizationId });
      const externalIsTargetId = organization(projectId, { externalId: target.organizationId });
      const shared = `shared-${uid("ref")}`;
      const externalIsShared = organization(projectId, { externalId: shared });
      const slugIsShared = organization(projectId, { slug: shared });
      for (const org of [externalIsTargetId, slugIsTargetId, target, externalIsShared, slugIsShared]) await store().insertOrganization(org);
      assert.equal((await store().findOrganization(projectId, target.organizationId))?.organizationId, target.organizationId);
      assert.equal((await store().findOrganization(projectId, shared))?.organizationId, slugIsShared.organizationId);
    });

    it("a taken slug in the same project is a StoreConflict on organization_slug; other projects may reuse it", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId);
      await store().insertOrganization(org);
      await rejectsWithConflict(store().insertOrganization(organization(projectId, { slug: org.slug })), "organization_slug");
      await store().insertOrganization(organization(await newProject(store()), { slug: org.slug }));
    });

    it("a taken external id in the same project is a StoreConflict on organization_external_id; null never conflicts", async () => {
      const projectId = await newProject(store());
      const externalId = uid("ext");
      await store().insertOrganization(organization(projectId, { externalId }));
      await rejectsWithConflict(store().insertOrganization(organization(projectId, { externalId })), "organization_external_id");
      await store().insertOrganization(organization(await newProject(store()), { externalId }));
      await store().insertOrganization(organization(projectId, { externalId: null }));
      await store().insertOrganization(organization(projectId, { externalId: null }));
      assert.equal((await store().searchOrganizations(projectId, null, null, 100)).total, 3);
    });

    it("updateOrganization replaces every mutable field and keeps createdAt", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId, { externalId: uid("ext") });
      await store().insertOrganization(org);
      const updated: Organization = {
        ...org,
        name: "Renamed Ltd",
        slug: `renamed-${uid("s").slice(-8)}`,
        logoUrl: "",
        externalId: uid("ext"),
        trustedMetadata: { replaced: ["entirely"], unicode: "ß" },
        settings: settings({ mfa_policy: "OPTIONAL", email_allowed_domains: [], sso_default_connection_id: "saml-connection-test-1" }),
        updatedAt: T0 + 60_001,
      };
      await store().updateOrganization(updated);
      assert.deepEqual(await store().findOrganization(projectId, org.organizationId), updated);
      assert.deepEqual(await store().findOrganization(projectId, updated.slug), updated);
      assert.equal(await store().findOrganization(projectId, org.slug), null);
      assert.equal(await store().findOrganization(projectId, org.externalId!), null);
    });

    it("updateOrganization to a taken slug or external id is a StoreConflict and changes nothing", async () => {
      const projectId = await newProject(store());
      const taken = organization(projectId, { externalId: uid("ext") });
      const org = organization(projectId, { externalId: uid("ext") });
      await store().insertOrganization(taken);
      await store().insertOrganization(org);
      await rejectsWithConflict(store().updateOrganization({ ...org, name: "x", slug: taken.slug }), "organization_slug");
      await rejectsWithConflict(store().updateOrganization({ ...org, name: "x", externalId: taken.externalId }), "organization_external_id");
      assert.deepEqual(await store().findOrganization(projectId, org.organizationId), org);
    });

    it("clearing an external id frees it", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId, { externalId: uid("ext") });
      await store().insertOrganization(org);
      await store().updateOrganization({ ...org, externalId: null });
      await store().insertOrganization(organization(projectId, { externalId: org.externalId }));
    });

    it("updateOrganization of an unknown organization creates nothing", async () => {
      const projectId = await newProject(store());
      const ghost = organization(projectId);
      await store().updateOrganization(ghost);
      assert.equal(await store().findOrganization(projectId, ghost.organizationId), null);
    });

    it("deleteOrganization removes it and its members, revokes their live sessions, and frees slug and external id", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId, { externalId: uid("ext") });
      const bystander = organization(projectId);
      await store().insertOrganization(org);
      await store().insertOrganization(bystander);
      const alice = member(org);
      const bob = member(org, { status: "invited" });
      const carol = member(bystander);
      for (const m of [alice, bob, carol]) await store().insertMember(m);
      const aliceSession = session(alice);
      const bobSession = session(bob);
      const carolSession = session(carol);
      const alreadyRevoked = session(alice, { revokedAt: T0 + 5 });
      for (const s of [aliceSession, bobSession, carolSession, alreadyRevoked]) await store().insertSession(s, tokenHash());

      const now = T0 + 1000;
      assert.equal(await store().deleteOrganization(projectId, org.organizationId, now), true);

      assert.equal(await store().findOrganization(projectId, org.organizationId), null);
      assert.equal(await store().findMember(projectId, org.organizationId, alice.memberId), null);
      assert.equal(await store().findMemberByEmail(projectId, org.organizationId, bob.emailAddress), null);
      const everyStatus = query("AND", ["statuses", ["active", "pending", "invited", "deleted"]]);
      assert.equal((await store().searchMembers(projectId, [org.organizationId], everyStatus, null, 100)).total, 0);
      assert.equal((await store().findSession(projectId, aliceSession.sessionId))?.revokedAt, now);
      assert.equal((await store().findSession(projectId, bobSession.sessionId))?.revokedAt, now);
      assert.equal((await store().findSession(projectId, alreadyRevoked.sessionId))?.revokedAt, T0 + 5);
      assert.deepEqual(await store().listLiveSessions(projectId, alice.memberId, now), []);

      assert.deepEqual(await store().findOrganization(projectId, bystander.organizationId), bystander);
      assert.deepEqual(await store().findMember(projectId, bystander.organizationId, carol.memberId), carol);
      assert.deepEqual(await store().findSession(projectId, carolSession.sessionId), carolSession);

      await store().insertOrganization(organization(projectId, { slug: org.slug, externalId: org.externalId }));
    });

    it("deleteOrganization of an unknown or already deleted organization is false", async () => {
      const projectId = await newProject(store());
      const org = organization(projectId);
      await store().insertOrganization(org);
      assert.equal(await store().deleteOrganization(projectId, uid("organization-test"), T0), false);
      assert.equal(await store().deleteOrganization(await newProject(store()), org.organizationId, T0), false);
      assert.deepEqual(await store().findOrganization(projectId, org.organizationId), org);
      assert.equal(await store().deleteOrganization(projectId, org.organizationId, T0), true);
      assert.equal(await store().deleteOrganization(projectId, org.organizationId, T0), false);
    });
  });

  describe("organization search", () => {
    const store = freshStore(makeStore);

    /** A project with seven organizations of known names, slugs, domains and member emails. */
    async function searchFixture(): Promise<{ projectId: string; orgs: Organization[] }> {
      const projectId = await newProject(store());
      const spec: [string, string, string[], string[]][] = [
        ["Alpha Industries", "alpha", ["alpha.com"], ["alpha.com"]],
        ["Beta Labs", "beta-labs", ["beta.io", "labs.dev"], []],
        ["Gamma Alpha", "gamma", [], []],
        ["Delta", "delta-co", ["delta.co"], ["delta.co"]],
        ["Epsilon", "epsilon", ["epsilon.org"], []],
        ["Zeta Labs", "zeta-labs", [], []],
        ["Eta", "eta", ["eta.net"], []],
      ];
      const orgs: Organization[] = [];
      for (const [name, slug, allowed, claimed] of spec) {
        const org = organization(projectId, {
          name,
          slug,
          settings: settings({ email_allowed_domains: allowed, claimed_email_domains: claimed }),
        });
        await store().insertOrganization(org);
        orgs.push(org);
      }
      await store().insertMember(member(orgs[0]!, { emailAddress: "Grace.Hopper@Navy.mil" }));
      await store().insertMember(member(orgs[3]!, { emailAddress: "alan@turing.org" }));
      const deleted = member(orgs[5]!, { emailAddress: "gone@navy.mil" });
      await store().insertMember(deleted);
      await store().deleteMember(projectId, deleted.memberId, T0 + 1);
      // Noise in another project that must never show up.
      const otherProjectId = await newProject(store());
      await store().insertOrganization(organization(otherProjectId, { name: "Alpha Elsewhere", slug: "alpha" }));
      return { projectId, orgs };
    }

    const ids = (orgs: Organization[], ...indexes: number[]): string[] => indexes.map((index) => orgs[index]!.organizationId);

    async function matching(projectId: string, q: SearchQuery | null): Promise<string[]> {
      const page = await store().searchOrganizations(projectId, q, null, 100);
      assert.equal(page.total, page.items.length);
      assert.equal(page.nextCursor, null);
      return page.items.map((org) => org.organizationId);
    }

    it("without a query returns every organization of the project, oldest first, exactly", async () => {
      const { projectId, orgs } = await searchFixture();
      const page = await store().searchOrganizations(projectId, null, null, 100);
      assert.deepEqual(page, { items: orgs, total: 7, nextCursor: null });
      assert.deepEqual(await matching(projectId, { operator: "AND", operands: [] }), ids(orgs, 0, 1, 2, 3, 4, 5, 6));
    });

    it("an unknown project has no organizations", async () => {
      assert.deepEqual(await store().searchOrganizations(uid("project-test"), null, null, 10), { items: [], total: 0, nextCursor: null });
    });

    it("pages follow cursors without gaps or repeats and report the total on every page", async () => {
      const { projectId, orgs } = await searchFixture();
      const { pages, totals } = await allPages((cursor) => store().searchOrganizations(projectId, null, cursor, 3));
      assert.deepEqual(pages, [ids(orgs, 0, 1, 2), ids(orgs, 3, 4, 5), ids(orgs, 6)]);
      assert.deepEqual(totals, [7, 7, 7]);
      const exact = await allPages((cursor) => store().searchOrganizations(projectId, null, cursor, 7));
      assert.deepEqual(exact.pages, [ids(orgs, 0, 1, 2, 3, 4, 5, 6)]);
    });

    it("a filtered search pages over the matches only, with their total", async () => {
      const { projectId, orgs } = await searchFixture();
      const q = query("OR", ["organization_name_fuzzy", "labs"], ["organization_slug_fuzzy", "alpha"], ["organization_ids", ids(orgs, 6)]);
      const { pages, totals } = await allPages((cursor) => store().searchOrganizations(projectId, q, cursor, 2));
      assert.deepEqual(pages, [ids(orgs, 0, 1), ids(orgs, 5, 6)]);
      assert.deepEqual(totals, [4, 4]);
    });

    it("pagination is stable when organizations are added or deleted between pages", async () => {
      const { projectId, orgs } = await searchFixture();
      const first = await store().searchOrganizations(projectId, null, null, 3);
      assert.deepEqual(first.items.map((org) => org.organizationId), ids(orgs, 0, 1, 2));
      await store().deleteOrganization(projectId, orgs[1]!.organizationId, T0 + 2);
      await store().deleteOrganization(projectId, orgs[3]!.organizationId, T0 + 2);
      const added = organization(projectId);
      await store().insertOrganization(added);
      const rest = await allPages((cursor) => store().searchOrganizations(projectId, null, cursor ?? first.nextCursor, 3));
      assert.deepEqual(rest.pages, [[...ids(orgs, 4, 5, 6)], [added.organizationId]]);
      assert.deepEqual(rest.totals, [6, 6]);
    });

    it("filters by ids, slugs, fuzzy name and fuzzy slug (case-insensitive)", async () => {
      const { projectId, orgs } = await searchFixture();
      assert.deepEqual(await matching(projectId, query("AND", ["organization_ids", ids(orgs, 4, 1, 0)])), ids(orgs, 0, 1, 4));
      assert.deepEqual(await matching(projectId, query("AND", ["organization_slugs", ["gamma", "eta", "nope"]])), ids(orgs, 2, 6));
      assert.deepEqual(await matching(projectId, query("AND", ["organization_name_fuzzy", "ALPHA"])), ids(orgs, 0, 2));
      assert.deepEqual(await matching(projectId, query("AND", ["organization_slug_fuzzy", "LABS"])), ids(orgs, 1, 5));
    });

    it("filters by member emails (case-insensitive, deleted members excluded) and fuzzy member email", async () => {
      const { projectId, orgs } = await searchFixture();
      assert.deepEqual(await matching(projectId, query("AND", ["member_emails", ["grace.hopper@NAVY.mil", "gone@navy.mil"]])), ids(orgs, 0));
      assert.deepEqual(await matching(projectId, query("AND", ["member_email_fuzzy", "NAVY"])), ids(orgs, 0));
      assert.deepEqual(await matching(projectId, query("AND", ["member_email_fuzzy", ".org"])), ids(orgs, 3));
    });

    it("filters by allowed domains, fuzzy allowed domain and claimed domains", async () => {
      const { projectId, orgs } = await searchFixture();
      assert.deepEqual(await matching(projectId, query("AND", ["allowed_domains", ["BETA.io", "eta.net"]])), ids(orgs, 1, 6));
      assert.deepEqual(await matching(projectId, query("AND", ["allowed_domain_fuzzy", ".co"])), ids(orgs, 0, 3));
      assert.deepEqual(await matching(projectId, query("AND", ["claimed_email_domains", ["delta.co", "beta.io"]])), ids(orgs, 3));
    });

    it("filters by SSO connection state (none exist yet)", async () => {
      const { projectId, orgs } = await searchFixture();
      assert.deepEqual(await matching(projectId, query("AND", ["has_active_sso_connection", false])), ids(orgs, 0, 1, 2, 3, 4, 5, 6));
      assert.deepEqual(await matching(projectId, query("AND", ["has_active_sso_connection", true])), []);
      assert.deepEqual(await matching(projectId, query("AND", ["sso_connection_id", "saml-connection-test-1"])), []);
    });

    it("combines operands with AND and with OR", async () => {
      const { projectId, orgs } = await searchFixture();
      const both: [string, unknown][] = [["organization_name_fuzzy", "labs"], ["allowed_domain_fuzzy", ".dev"]];
      assert.deepEqual(await matching(projectId, query("AND", ...both)), ids(orgs, 1));
      assert.deepEqual(await matching(projectId, query("OR", ...both)), ids(orgs, 1, 5));
    });
  });
}
