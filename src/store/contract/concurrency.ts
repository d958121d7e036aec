/**
 * @module Store contract: calls racing on the same rows. SQLite serialises writes, so these mostly
 * catch adapters where the database runs transactions side by side (PostgreSQL, READ COMMITTED):
 * a conditional write must have exactly one winner and a revoke must never be undone by a touch.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Member, Organization, Session } from "../../domain/types.js";
import { StoreConflict, type Store } from "../store.js";
import { HOUR, T0, member, organization, project, session, settle, signingKey, tokenHash } from "./fixtures.js";
import { freshStore, type StoreFactory } from "./harness.js";

async function newOrganization(store: Store): Promise<Organization> {
  const p = project();
  await store.insertProject(p);
  const org = organization(p.projectId);
  await store.insertOrganization(org);
  return org;
}

async function memberWithSessions(store: Store, org: Organization, count: number): Promise<{ owner: Member; sessions: Session[] }> {
  const owner = member(org);
  await store.insertMember(owner);
  const sessions: Session[] = [];
  for (let index = 0; index < count; index++) {
    const s = session(owner, { startedAt: T0 + index, expiresAt: T0 + HOUR });
    await store.insertSession(s, tokenHash());
    sessions.push(s);
  }
  return { owner, sessions };
}

const times = <T>(count: number, make: (index: number) => T): T[] => Array.from({ length: count }, (_, index) => make(index));

function assertAllConflicts(errors: unknown[], constraint: StoreConflict["constraint"]): void {
  for (const error of errors) {
    assert.ok(error instanceof StoreConflict, `expected StoreConflict, got ${String(error)}`);
    assert.equal(error.constraint, constraint);
  }
}

export function concurrencyContract(makeStore: StoreFactory): void {
  describe("concurrency", () => {
    const store = freshStore(makeStore);

    it("20 parallel revokeSession calls on one session: exactly one returns true", async () => {
      const org = await newOrganization(store());
      const { owner, sessions } = await memberWithSessions(store(), org, 1);
      const target = sessions[0]!;
      const results = await Promise.all(times(20, (index) => store().revokeSession(owner.projectId, target.sessionId, T0 + 100 + index)));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.equal((await store().findSession(owner.projectId, target.sessionId))?.revokedAt, T0 + 100 + winner);
    });

    it("parallel touchSession and revokeSession never leave a revoked session live", async () => {
      const org = await newOrganization(store());
      const { owner, sessions } = await memberWithSessions(store(), org, 10);
      const revokeAt = T0 + 30 * 60_000;
      const outcomes = await Promise.all(
        sessions.map(async (s) => {
          const touch = (index: number): Promise<Session | null> =>
            store().touchSession(owner.projectId, s.sessionId, {
              now: revokeAt - 10 + index,
              expiresAt: T0 + 10 * HOUR,
              customClaims: { touch: index },
            });
          const [revoked, ...touched] = await Promise.all([
            store().revokeSession(owner.projectId, s.sessionId, revokeAt),
            touch(0),
            touch(1),
            touch(2),
            touch(3),
          ]);
          return { s, revoked, touched };
        }),
      );
      for (const { s, revoked, touched } of outcomes) {
        assert.equal(revoked, true);
        for (const result of touched) if (result !== null) assert.equal(result.revokedAt, null, "a touch saw a revoked session as live");
        const final = await store().findSession(owner.projectId, s.sessionId);
        assert.equal(final?.revokedAt, revokeAt, "a touch undid a revoke");
      }
      assert.deepEqual(await store().listLiveSessions(owner.projectId, owner.memberId, revokeAt), []);
      assert.deepEqual(await store().listLiveSessions(owner.projectId, owner.memberId, revokeAt - 10), []);
    });

    it("parallel revokeMemberSessions calls revoke each session once between them", async () => {
      const org = await newOrganization(store());
      const { owner } = await memberWithSessions(store(), org, 8);
      const counts = await Promise.all(times(6, () => store().revokeMemberSessions(owner.projectId, owner.memberId, T0 + 1)));
      assert.equal(counts.reduce((sum, count) => sum + count, 0), 8);
    });

    it("parallel inserts of one slug: one organization, the rest StoreConflict on organization_slug", async () => {
      const first = await newOrganization(store());
      const contenders = times(10, () => organization(first.projectId, { slug: `race-${first.organizationId.slice(-12)}` }));
      const { values, errors } = await settle(contenders.map((org) => store().insertOrganization(org)));
      assert.equal(values.length, 1);
      assertAllConflicts(errors, "organization_slug");
    });

    it("parallel inserts of one email in different cases: one member, the rest StoreConflict on member_email", async () => {
      const org = await newOrganization(store());
      const email = `Race.${org.organizationId.slice(-12)}@Example.com`;
      const spellings = [email, email.toLowerCase(), email.toUpperCase()];
      const contenders = times(10, (index) => member(org, { emailAddress: spellings[index % 3]! }));
      const { values, errors } = await settle(contenders.map((m) => store().insertMember(m)));
      assert.equal(values.length, 1);
      assertAllConflicts(errors, "member_email");
    });

    it("parallel deletes of one organization or one member: exactly one returns true", async () => {
      const org = await newOrganization(store());
      const { owner } = await memberWithSessions(store(), org, 2);
      const memberResults = await Promise.all(times(5, (index) => store().deleteMember(owner.projectId, owner.memberId, T0 + index)));
      assert.equal(memberResults.filter(Boolean).length, 1);
      const orgResults = await Promise.all(times(5, (index) => store().deleteOrganization(org.projectId, org.organizationId, T0 + index)));
      assert.equal(orgResults.filter(Boolean).length, 1);
    });

    it("deleting an organization while its members are deleted, revoked and touched ends with every session revoked", async () => {
      const org = await newOrganization(store());
      const owners = await Promise.all(times(4, () => memberWithSessions(store(), org, 3)));
      const now = T0 + 1000;
      const work: Promise<unknown>[] = [store().deleteOrganization(org.projectId, org.organizationId, now)];
      for (const { owner, sessions } of owners) {
        work.push(store().deleteMember(owner.projectId, owner.memberId, now));
        work.push(store().revokeMemberSessions(owner.projectId, owner.memberId, now));
        for (const s of sessions) work.push(store().touchSession(owner.projectId, s.sessionId, { now, expiresAt: T0 + 5 * HOUR }));
      }
      await Promise.all(work);
      assert.equal(await store().findOrganization(org.projectId, org.organizationId), null);
      for (const { owner, sessions } of owners) {
        assert.deepEqual(await store().listLiveSessions(owner.projectId, owner.memberId, now), []);
        for (const s of sessions) assert.equal((await store().findSession(owner.projectId, s.sessionId))?.revokedAt, now);
      }
    });

    it("updateMember racing deleteMember never leaves the member undeleted", async () => {
      const org = await newOrganization(store());
      const owners = await Promise.all(times(10, () => memberWithSessions(store(), org, 1)));
      await Promise.all(
        owners.flatMap(({ owner }) => [
          store().updateMember({ ...owner, name: "Renamed", updatedAt: T0 + 5 }),
          store().deleteMember(owner.projectId, owner.memberId, T0 + 6),
          store().updateMember({ ...owner, name: "Renamed again", updatedAt: T0 + 7 }),
        ]),
      );
      for (const { owner } of owners) assert.equal(await store().findMemberById(owner.projectId, owner.memberId), null);
    });

    it("parallel rotations of one project apply one after another: one current, one next, the rest retired", async () => {
      const p = project();
      await store().insertProject(p);
      await store().insertSigningKeys([signingKey(p.projectId, "current"), signingKey(p.projectId, "next", { createdAt: T0 + 1 })]);
      const rotations = 5;
      await Promise.all(
        times(rotations, (index) => {
          const now = T0 + HOUR + index;
          return store().rotateSigningKeys(p.projectId, signingKey(p.projectId, "next", { createdAt: now }), now, T0 - HOUR);
        }),
      );
      const keys = await store().listSigningKeys(p.projectId);
      const count = (state: string): number => keys.filter((key) => key.state === state).length;
      assert.deepEqual({ total: keys.length, current: count("current"), next: count("next"), retired: count("retired") }, {
        total: 2 + rotations,
        current: 1,
        next: 1,
        retired: rotations,
      });
    });
  });
}
