/**
 * @module Store contract: members (insert, lookup by id / external id / email, update, delete
 * with session revocation) and member search with cursor pagination.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Member, Organization } from "../../domain/types.js";
import type { SearchQuery, Store } from "../store.js";
import { T0, assertSameKeyOrder, member, organization, project, rejectsWithConflict, session, tokenHash, uid } from "./fixtures.js";
import { freshStore, type StoreFactory } from "./harness.js";

async function newOrganization(store: Store, projectId?: string): Promise<Organization> {
  let id = projectId;
  if (id === undefined) {
    const p = project();
    await store.insertProject(p);
    id = p.projectId;
  }
  const org = organization(id);
  await store.insertOrganization(org);
  return org;
}

const query = (operator: "AND" | "OR", ...operands: [string, unknown][]): SearchQuery => ({
  operator,
  operands: operands.map(([filter_name, filter_value]) => ({ filter_name, filter_value })),
});

export function membersContract(makeStore: StoreFactory): void {
  describe("members", () => {
    const store = freshStore(makeStore);

    it("insertMember then findMember by id and by external id returns it exactly", async () => {
      const org = await newOrganization(store());
      const m = member(org, { externalId: uid("ext"), emailAddressVerified: false, isBreakglass: true, mfaPhoneNumberVerified: false });
      await store().insertMember(m);
      for (const ref of [m.memberId, m.externalId!]) {
        const found = await store().findMember(org.projectId, org.organizationId, ref);
        assert.deepEqual(found, m);
        assertSameKeyOrder(found?.trustedMetadata, m.trustedMetadata);
      }
      const plain = member(org, { defaultMfaMethod: "", mfaPhoneNumber: "", mfaEnrolled: false, roleIds: [], trustedMetadata: {} });
      await store().insertMember(plain);
      assert.deepEqual(await store().findMember(org.projectId, org.organizationId, plain.memberId), plain);
    });

    it("findMember is null when unknown, in another organization or project, or deleted", async () => {
      const org = await newOrganization(store());
      const sibling = await newOrganization(store(), org.projectId);
      const m = member(org, { externalId: uid("ext") });
      await store().insertMember(m);
      assert.equal(await store().findMember(org.projectId, org.organizationId, uid("member-test")), null);
      assert.equal(await store().findMember(org.projectId, sibling.organizationId, m.memberId), null);
      assert.equal(await store().findMember(org.projectId, sibling.organizationId, m.externalId!), null);
      assert.equal(await store().findMember(uid("project-test"), org.organizationId, m.memberId), null);
      await store().deleteMember(org.projectId, m.memberId, T0 + 1);
      assert.equal(await store().findMember(org.projectId, org.organizationId, m.memberId), null);
      assert.equal(await store().findMember(org.projectId, org.organizationId, m.externalId!), null);
    });

    it("findMember prefers a member id over an external id", async () => {
      const org = await newOrganization(store());
      const target = member(org);
      const impostor = member(org, { externalId: target.memberId });
      await store().insertMember(impostor);
      await store().insertMember(target);
      assert.equal((await store().findMember(org.projectId, org.organizationId, target.memberId))?.memberId, target.memberId);
    });

    it("findMemberByEmail matches case-insensitively and returns the address as stored", async () => {
      const org = await newOrganization(store());
      const m = member(org, { emailAddress: `Ada.Lovelace+${uid("x").slice(-6)}@Example.COM` });
      await store().insertMember(m);
      assert.deepEqual(await store().findMemberByEmail(org.projectId, org.organizationId, m.emailAddress.toLowerCase()), m);
      assert.deepEqual(await store().findMemberByEmail(org.projectId, org.organizationId, m.emailAddress.toUpperCase()), m);
      assert.equal(await store().findMemberByEmail(org.projectId, org.organizationId, "nobody@example.com"), null);
      const sibling = await newOrganization(store(), org.projectId);
      assert.equal(await store().findMemberByEmail(org.projectId, sibling.organizationId, m.emailAddress), null);
      await store().deleteMember(org.projectId, m.memberId, T0 + 1);
      assert.equal(await store().findMemberByEmail(org.projectId, org.organizationId, m.emailAddress), null);
    });

    it("an email taken in the organization, in any case, is a StoreConflict on member_email", async () => {
      const org = await newOrganization(store());
      const m = member(org);
      await store().insertMember(m);
      await rejectsWithConflict(store().insertMember(member(org, { emailAddress: m.emailAddress.toUpperCase() })), "member_email");
      await rejectsWithConflict(store().insertMember(member(org, { emailAddress: m.emailAddress.toLowerCase() })), "member_email");
      await store().insertMember(member(await newOrganization(store(), org.projectId), { emailAddress: m.emailAddress }));
    });

    it("an external id taken in the organization is a StoreConflict on member_external_id; null never conflicts", async () => {
      const org = await newOrganization(store());
      const externalId = uid("ext");
      await store().insertMember(member(org, { externalId }));
      await rejectsWithConflict(store().insertMember(member(org, { externalId })), "member_external_id");
      await store().insertMember(member(await newOrganization(store(), org.projectId), { externalId }));
      await store().insertMember(member(org, { externalId: null }));
      await store().insertMember(member(org, { externalId: null }));
    });

    it("updateMember replaces every mutable field", async () => {
      const org = await newOrganization(store());
      const m = member(org, { externalId: uid("ext") });
      await store().insertMember(m);
      const updated: Member = {
        ...m,
        emailId: uid("email-test"),
        emailAddress: `New.Address.${uid("x").slice(-6)}@Example.net`,
        emailAddressVerified: false,
        status: "pending",
        name: "Grace Hopper",
        externalId: uid("ext"),
        trustedMetadata: { replaced: true },
        untrustedMetadata: {},
        isBreakglass: true,
        mfaEnrolled: false,
        mfaPhoneNumber: "",
        mfaPhoneNumberVerified: false,
        defaultMfaMethod: "sms_otp",
        totpRegistrationId: "",
        memberPasswordId: "",
        roleIds: ["admin"],
        updatedAt: T0 + 99_999,
      };
      await store().updateMember(updated);
      assert.deepEqual(await store().findMember(org.projectId, org.organizationId, m.memberId), updated);
      assert.deepEqual(await store().findMemberByEmail(org.projectId, org.organizationId, updated.emailAddress), updated);
      assert.equal(await store().findMemberByEmail(org.projectId, org.organizationId, m.emailAddress), null);
      assert.equal(await store().findMember(org.projectId, org.organizationId, m.externalId!), null);
    });

    it("updateMember may change the case of its own email", async () => {
      const org = await newOrganization(store());
      const m = member(org);
      await store().insertMember(m);
      const updated = { ...m, emailAddress: m.emailAddress.toUpperCase(), updatedAt: T0 + 1 };
      await store().updateMember(updated);
      assert.deepEqual(await store().findMemberByEmail(org.projectId, org.organizationId, m.emailAddress), updated);
    });

    it("updateMember to a taken email or external id is a StoreConflict and changes nothing", async () => {
      const org = await newOrganization(store());
      const taken = member(org, { externalId: uid("ext") });
      const m = member(org, { externalId: uid("ext") });
      await store().insertMember(taken);
      await store().insertMember(m);
      await rejectsWithConflict(store().updateMember({ ...m, name: "x", emailAddress: taken.emailAddress.toLowerCase() }), "member_email");
      await rejectsWithConflict(store().updateMember({ ...m, name: "x", externalId: taken.externalId }), "member_external_id");
      assert.deepEqual(await store().findMember(org.projectId, org.organizationId, m.memberId), m);
    });

    it("updateMember of an unknown member creates nothing", async () => {
      const org = await newOrganization(store());
      const ghost = member(org);
      await store().updateMember(ghost);
      assert.equal(await store().findMember(org.projectId, org.organizationId, ghost.memberId), null);
      assert.equal(await store().findMemberByEmail(org.projectId, org.organizationId, ghost.emailAddress), null);
    });

    it("updateMember never brings a deleted member back, nor does update_member in a commit", async () => {
      const org = await newOrganization(store());
      const m = member(org, { externalId: uid("ext") });
      await store().insertMember(m);
      await store().deleteMember(org.projectId, m.memberId, T0 + 10);
      const stale: Member = { ...m, name: "Written from a stale read", status: "active", updatedAt: T0 + 20 };
      await store().updateMember(stale);
      assert.equal(await store().findMember(org.projectId, org.organizationId, m.memberId), null);
      assert.equal(await store().findMemberById(org.projectId, m.memberId), null);
      const s = session(m);
      assert.deepEqual(
        await store().commit([
          { kind: "insert_session", session: s, tokenHash: tokenHash() },
          { kind: "update_member", member: stale },
        ]),
        { ok: false, failed: "update_member", index: 1 },
      );
      assert.equal(await store().findSession(org.projectId, s.sessionId), null);
      const deleted = await store().searchMembers(org.projectId, [org.organizationId], query("AND", ["statuses", ["deleted"]]), null, 10);
      assert.deepEqual(deleted.items, [{ ...m, status: "deleted", updatedAt: T0 + 10 }]);
      // Its email and external id stay free for a successor, which updates normally.
      const successor = member(org, { emailAddress: m.emailAddress, externalId: m.externalId });
      await store().insertMember(successor);
      await store().updateMember({ ...successor, name: "Successor" });
      assert.equal((await store().findMemberById(org.projectId, successor.memberId))?.name, "Successor");
    });

    it("deleteMember marks it deleted, revokes its live sessions only, and frees its email and external id", async () => {
      const org = await newOrganization(store());
      const m = member(org, { externalId: uid("ext") });
      const other = member(org);
      await store().insertMember(m);
      await store().insertMember(other);
      const live = session(m);
      const alsoLive = session(m, { startedAt: T0 + 1 });
      const revoked = session(m, { revokedAt: T0 + 2 });
      const othersSession = session(other);
      for (const s of [live, alsoLive, revoked, othersSession]) await store().insertSession(s, tokenHash());

      const now = T0 + 500;
      assert.equal(await store().deleteMember(org.projectId, m.memberId, now), true);
      assert.equal((await store().findSession(org.projectId, live.sessionId))?.revokedAt, now);
      assert.equal((await store().findSession(org.projectId, alsoLive.sessionId))?.revokedAt, now);
      assert.equal((await store().findSession(org.projectId, revoked.sessionId))?.revokedAt, T0 + 2);
      assert.deepEqual(await store().findSession(org.projectId, othersSession.sessionId), othersSession);
      assert.deepEqual(await store().listLiveSessions(org.projectId, m.memberId, now), []);

      const deleted = await store().searchMembers(org.projectId, [org.organizationId], query("AND", ["statuses", ["deleted"]]), null, 10);
      assert.deepEqual(deleted.items, [{ ...m, status: "deleted", updatedAt: now }]);

      const successor = member(org, { emailAddress: m.emailAddress.toUpperCase(), externalId: m.externalId });
      await store().insertMember(successor);
      assert.deepEqual(await store().findMemberByEmail(org.projectId, org.organizationId, m.emailAddress), successor);
      assert.deepEqual(await store().findMember(org.projectId, org.organizationId, m.externalId!), successor);
    });

    it("deleteMember of an unknown or already deleted member is false", async () => {
      const org = await newOrganization(store());
      const m = member(org);
      await store().insertMember(m);
      assert.equal(await store().deleteMember(org.projectId, uid("member-test"), T0), false);
      assert.equal(await store().deleteMember(uid("project-test"), m.memberId, T0), false);
      assert.deepEqual(await store().findMember(org.projectId, org.organizationId, m.memberId), m);
      assert.equal(await store().deleteMember(org.projectId, m.memberId, T0 + 1), true);
      assert.equal(await store().deleteMember(org.projectId, m.memberId, T0 + 2), false);
      const deleted = await store().searchMembers(org.projectId, [org.organizationId], query("AND", ["statuses", ["deleted"]]), null, 10);
      assert.equal(deleted.items[0]?.updatedAt, T0 + 1);
    });
  });

  describe("member search", () => {
    const store = freshStore(makeStore);

    /** Two organizations of one project with members of known attributes, plus noise elsewhere. */
    async function searchFixture(): Promise<{ projectId: string; a: Organization; b: Organization; members: Member[] }> {
      const a = await newOrganization(store());
      const b = await newOrganization(store(), a.projectId);
      const members = [
        member(a, { emailAddress: "Ada@Example.com", externalId: "ext-ada", roleIds: ["admin"], mfaPhoneNumber: "+15550001111" }),
        member(b, { emailAddress: "bob@example.org", status: "invited", isBreakglass: true, memberPasswordId: "", mfaPhoneNumber: "" }),
        member(a, { emailAddress: "carol@sample.net", status: "pending", roleIds: [], mfaPhoneNumber: "+445550002222" }),
        member(b, { emailAddress: "dave@example.com", externalId: "ext-dave", roleIds: ["viewer"], mfaPhoneNumber: "+15550003333" }),
        member(a, { emailAddress: "erin@EXAMPLE.com", memberPasswordId: "", roleIds: ["admin", "viewer"], mfaPhoneNumber: "" }),
      ];
      for (const m of members) await store().insertMember(m);
      const deleted = member(a, { emailAddress: "zed@example.com" });
      await store().insertMember(deleted);
      await store().deleteMember(a.projectId, deleted.memberId, T0 + 1);
      members.push({ ...deleted, status: "deleted", updatedAt: T0 + 1 });
      const elsewhere = await newOrganization(store());
      await store().insertMember(member(elsewhere, { emailAddress: "ada@example.com" }));
      return { projectId: a.projectId, a, b, members };
    }

    const ids = (members: Member[], ...indexes: number[]): string[] => indexes.map((index) => members[index]!.memberId);

    async function matching(projectId: string, organizationIds: string[], q: SearchQuery | null): Promise<string[]> {
      const page = await store().searchMembers(projectId, organizationIds, q, null, 100);
      assert.equal(page.total, page.items.length);
      assert.equal(page.nextCursor, null);
      return page.items.map((m) => m.memberId);
    }

    it("without a query returns the non-deleted members of the given organizations, oldest first, exactly", async () => {
      const { projectId, a, b, members } = await searchFixture();
      const page = await store().searchMembers(projectId, [a.organizationId, b.organizationId], null, null, 100);
      assert.deepEqual(page, { items: members.slice(0, 5), total: 5, nextCursor: null });
      assert.deepEqual(await matching(projectId, [b.organizationId], null), ids(members, 1, 3));
      assert.deepEqual(await matching(projectId, [b.organizationId, a.organizationId], { operator: "OR", operands: [] }), ids(members, 0, 1, 2, 3, 4));
    });

    it("no organizations, or an unknown one, give an empty page", async () => {
      const { projectId } = await searchFixture();
      assert.deepEqual(await store().searchMembers(projectId, [], null, null, 10), { items: [], total: 0, nextCursor: null });
      assert.deepEqual(await store().searchMembers(projectId, [uid("organization-test")], null, null, 10), { items: [], total: 0, nextCursor: null });
    });

    it("pages follow cursors without gaps or repeats and report the total on every page", async () => {
      const { projectId, a, b, members } = await searchFixture();
      const pages: string[][] = [];
      const totals: number[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<Store["searchMembers"]>> = await store().searchMembers(projectId, [a.organizationId, b.organizationId], null, cursor, 2);
        pages.push(page.items.map((m) => m.memberId));
        totals.push(page.total);
        cursor = page.nextCursor;
      } while (cursor !== null && pages.length < 10);
      assert.deepEqual(pages, [ids(members, 0, 1), ids(members, 2, 3), ids(members, 4)]);
      assert.deepEqual(totals, [5, 5, 5]);
    });

    it("deleted members appear only when a statuses filter asks for them", async () => {
      const { projectId, a, b, members } = await searchFixture();
      const both = [a.organizationId, b.organizationId];
      assert.deepEqual(await matching(projectId, both, query("AND", ["statuses", ["deleted", "invited"]])), ids(members, 1, 5));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_email_fuzzy", "zed@"])), []);
      const page = await store().searchMembers(projectId, both, query("AND", ["statuses", ["deleted"]]), null, 10);
      assert.deepEqual(page.items, [members[5]]);
    });

    it("filters by ids, emails (case-insensitive), fuzzy email and external ids", async () => {
      const { projectId, a, b, members } = await searchFixture();
      const both = [a.organizationId, b.organizationId];
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_ids", ids(members, 3, 0)])), ids(members, 0, 3));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_emails", ["ada@example.COM", "ERIN@example.com"]])), ids(members, 0, 4));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_email_fuzzy", "EXAMPLE.COM"])), ids(members, 0, 3, 4));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_external_ids", ["ext-dave", "ext-none"]])), ids(members, 3));
    });

    it("filters by breakglass, password, phone numbers and roles", async () => {
      const { projectId, a, b, members } = await searchFixture();
      const both = [a.organizationId, b.organizationId];
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_is_breakglass", true])), ids(members, 1));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_password_exists", false])), ids(members, 1, 4));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_phone_numbers", ["+15550003333"]])), ids(members, 3));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_phone_number_fuzzy", "555000"])), ids(members, 0, 2, 3));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_mfa_phone_number_fuzzy", "+44"])), ids(members, 2));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_roles", ["viewer"]])), ids(members, 3, 4));
      assert.deepEqual(await matching(projectId, both, query("AND", ["member_roles", ["stytch_member"]])), ids(members, 0, 1, 2, 3, 4));
    });

    it("combines operands with AND and with OR, and pages over the matches", async () => {
      const { projectId, a, b, members } = await searchFixture();
      const both = [a.organizationId, b.organizationId];
      const operands: [string, unknown][] = [["member_roles", ["admin"]], ["member_password_exists", true]];
      assert.deepEqual(await matching(projectId, both, query("AND", ...operands)), ids(members, 0));
      const first = await store().searchMembers(projectId, both, query("OR", ...operands), null, 2);
      assert.deepEqual([first.items.map((m) => m.memberId), first.total], [ids(members, 0, 2), 4]);
      const second = await store().searchMembers(projectId, both, query("OR", ...operands), first.nextCursor, 2);
      assert.deepEqual([second.items.map((m) => m.memberId), second.total, second.nextCursor], [ids(members, 3, 4), 4, null]);
    });
  });
}
