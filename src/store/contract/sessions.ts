/**
 * @module Store contract: sessions (insert, lookup by id and token hash, touch of live sessions
 * only, listing live sessions, revoking one or all of a member's).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Member } from "../../domain/types.js";
import type { Store } from "../store.js";
import { HOUR, T0, assertSameKeyOrder, member, organization, project, session, tokenHash, uid } from "./fixtures.js";
import { freshStore, type StoreFactory } from "./harness.js";

async function newMember(store: Store): Promise<Member> {
  const p = project();
  await store.insertProject(p);
  const org = organization(p.projectId);
  await store.insertOrganization(org);
  const m = member(org);
  await store.insertMember(m);
  return m;
}

export function sessionsContract(makeStore: StoreFactory): void {
  describe("sessions", () => {
    const store = freshStore(makeStore);

    it("insertSession then findSession and findSessionByTokenHash return it exactly", async () => {
      const m = await newMember(store());
      const s = session(m, { startedAt: T0 + 1, lastAccessedAt: T0 + 2, expiresAt: Number.MAX_SAFE_INTEGER });
      const hash = tokenHash();
      await store().insertSession(s, hash);
      const byId = await store().findSession(m.projectId, s.sessionId);
      assert.deepEqual(byId, s);
      assertSameKeyOrder(byId?.customClaims, s.customClaims);
      assert.deepEqual(await store().findSessionByTokenHash(m.projectId, Buffer.from(hash)), s);
    });

    it("lookups of unknown sessions, unknown hashes or another project's session are null", async () => {
      const m = await newMember(store());
      const s = session(m);
      const hash = tokenHash();
      await store().insertSession(s, hash);
      assert.equal(await store().findSession(m.projectId, uid("session-test")), null);
      assert.equal(await store().findSessionByTokenHash(m.projectId, tokenHash()), null);
      const otherProject = uid("project-test");
      assert.equal(await store().findSession(otherProject, s.sessionId), null);
      assert.equal(await store().findSessionByTokenHash(otherProject, hash), null);
      // A hash differing only in its last byte is another hash.
      const near = Buffer.from(hash);
      near[near.length - 1] = near[near.length - 1]! ^ 1;
      assert.equal(await store().findSessionByTokenHash(m.projectId, near), null);
    });

    it("findSessionByTokenHash and findSession return revoked and expired sessions too", async () => {
      const m = await newMember(store());
      const revoked = session(m, { revokedAt: T0 + 3 });
      const expired = session(m, { expiresAt: T0 - 1 });
      const revokedHash = tokenHash();
      await store().insertSession(revoked, revokedHash);
      await store().insertSession(expired, tokenHash());
      assert.deepEqual(await store().findSessionByTokenHash(m.projectId, revokedHash), revoked);
      assert.deepEqual(await store().findSession(m.projectId, expired.sessionId), expired);
    });

    it("touchSession of a live session sets last access and keeps expiry and claims when not given", async () => {
      const m = await newMember(store());
      const s = session(m);
      await store().insertSession(s, tokenHash());
      const now = T0 + 10 * 60_000 + 7;
      const touched = await store().touchSession(m.projectId, s.sessionId, { now });
      assert.deepEqual(touched, { ...s, lastAccessedAt: now });
      assert.deepEqual(await store().findSession(m.projectId, s.sessionId), touched);
    });

    it("touchSession sets a new expiry and new custom claims when given (an empty object too)", async () => {
      const m = await newMember(store());
      const s = session(m);
      await store().insertSession(s, tokenHash());
      const now = T0 + 1;
      const claims = { "https://example.com/claims": { plan: "pro", seats: 42 }, a: [null, "\u0000"] };
      const touched = await store().touchSession(m.projectId, s.sessionId, { now, expiresAt: T0 + 2 * HOUR + 3, customClaims: claims });
      assert.deepEqual(touched, { ...s, lastAccessedAt: now, expiresAt: T0 + 2 * HOUR + 3, customClaims: claims });
      assertSameKeyOrder(touched?.customClaims, claims);
      const emptied = await store().touchSession(m.projectId, s.sessionId, { now: now + 1, customClaims: {} });
      assert.deepEqual(emptied?.customClaims, {});
      assert.deepEqual(await store().findSession(m.projectId, s.sessionId), emptied);
    });

    it("touchSession refuses revoked, expired, unknown and other projects' sessions and changes nothing", async () => {
      const m = await newMember(store());
      const revoked = session(m, { revokedAt: T0 + 1 });
      const expiring = session(m, { expiresAt: T0 + HOUR });
      await store().insertSession(revoked, tokenHash());
      await store().insertSession(expiring, tokenHash());
      assert.equal(await store().touchSession(m.projectId, revoked.sessionId, { now: T0 + 2, expiresAt: T0 + 9 * HOUR }), null);
      // Expired means expiresAt <= now: the instant of expiry is already too late.
      assert.equal(await store().touchSession(m.projectId, expiring.sessionId, { now: T0 + HOUR, expiresAt: T0 + 9 * HOUR }), null);
      assert.equal(await store().touchSession(m.projectId, expiring.sessionId, { now: T0 + 2 * HOUR }), null);
      assert.equal(await store().touchSession(uid("project-test"), expiring.sessionId, { now: T0 + 1 }), null);
      assert.equal(await store().touchSession(m.projectId, uid("session-test"), { now: T0 + 1 }), null);
      assert.deepEqual(await store().findSession(m.projectId, revoked.sessionId), revoked);
      assert.deepEqual(await store().findSession(m.projectId, expiring.sessionId), expiring);
      assert.notEqual(await store().touchSession(m.projectId, expiring.sessionId, { now: T0 + HOUR - 1 }), null);
    });

    it("listLiveSessions gives the member's unrevoked, unexpired sessions by start time", async () => {
      const m = await newMember(store());
      const other = member(organization(m.projectId), {});
      const now = T0 + HOUR;
      const later = session(m, { startedAt: T0 + 20, expiresAt: now + 1 });
      const earlier = session(m, { startedAt: T0 + 10, expiresAt: now + HOUR });
      const expiresNow = session(m, { startedAt: T0 + 5, expiresAt: now });
      const revoked = session(m, { startedAt: T0 + 1, revokedAt: T0 + 2, expiresAt: now + HOUR });
      const someoneElse = session(other, { startedAt: T0, expiresAt: now + HOUR });
      for (const s of [later, earlier, expiresNow, revoked, someoneElse]) await store().insertSession(s, tokenHash());
      assert.deepEqual(await store().listLiveSessions(m.projectId, m.memberId, now), [earlier, later]);
      assert.deepEqual(await store().listLiveSessions(uid("project-test"), m.memberId, now), []);
      assert.deepEqual(await store().listLiveSessions(m.projectId, uid("member-test"), now), []);
    });

    it("revokeSession revokes a live session once; revoked, expired or unknown ones give false", async () => {
      const m = await newMember(store());
      const s = session(m);
      const expired = session(m, { expiresAt: T0 });
      await store().insertSession(s, tokenHash());
      await store().insertSession(expired, tokenHash());
      assert.equal(await store().revokeSession(m.projectId, s.sessionId, T0 + 5), true);
      assert.deepEqual(await store().findSession(m.projectId, s.sessionId), { ...s, revokedAt: T0 + 5 });
      assert.equal(await store().revokeSession(m.projectId, s.sessionId, T0 + 6), false);
      assert.equal((await store().findSession(m.projectId, s.sessionId))?.revokedAt, T0 + 5);
      assert.equal(await store().revokeSession(m.projectId, expired.sessionId, T0), false);
      assert.equal((await store().findSession(m.projectId, expired.sessionId))?.revokedAt, null);
      assert.equal(await store().revokeSession(m.projectId, uid("session-test"), T0), false);
      const other = session(m);
      await store().insertSession(other, tokenHash());
      assert.equal(await store().revokeSession(uid("project-test"), other.sessionId, T0), false);
      assert.equal((await store().findSession(m.projectId, other.sessionId))?.revokedAt, null);
    });

    it("revokeMemberSessions revokes every live session of the member and counts them", async () => {
      const m = await newMember(store());
      const other = member(organization(m.projectId));
      const live = [session(m), session(m, { startedAt: T0 + 1 }), session(m, { startedAt: T0 + 2 })];
      const revoked = session(m, { revokedAt: T0 + 1 });
      const expired = session(m, { expiresAt: T0 + 10 });
      const othersSession = session(other);
      for (const s of [...live, revoked, expired, othersSession]) await store().insertSession(s, tokenHash());
      const now = T0 + 10;
      assert.equal(await store().revokeMemberSessions(m.projectId, m.memberId, now), 3);
      for (const s of live) assert.equal((await store().findSession(m.projectId, s.sessionId))?.revokedAt, now);
      assert.deepEqual(await store().findSession(m.projectId, revoked.sessionId), revoked);
      assert.deepEqual(await store().findSession(m.projectId, expired.sessionId), expired);
      assert.deepEqual(await store().findSession(m.projectId, othersSession.sessionId), othersSession);
      assert.equal(await store().revokeMemberSessions(m.projectId, m.memberId, now + 1), 0);
      assert.equal(await store().revokeMemberSessions(m.projectId, uid("member-test"), now), 0);
    });
  });
}
