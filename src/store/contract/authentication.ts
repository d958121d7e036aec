/**
 * @module Store contract: authentication steps. `commit` applies every kind of change and is all
 * or nothing; each precondition (`consume_*`, `require_*`, `update_live_*`, `advance_totp_step`,
 * `update_member`) refuses exactly when it should; plus the lookups logins rely on (one-time
 * secrets and their attempt budget, intermediate sessions including discovery ones, members by
 * email, passwords, TOTP registrations and recovery codes).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Member, Organization } from "../../domain/types.js";
import type { Change, Store } from "../store.js";
import {
  HOUR,
  MINUTE,
  T0,
  assertSameKeyOrder,
  factor,
  intermediateSession,
  member,
  oneTimeSecret,
  organization,
  outboxMessage,
  project,
  recoveryCodes,
  rejectsWithConflict,
  session,
  tokenHash,
  totpRegistration,
  uid,
} from "./fixtures.js";
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

async function newMember(store: Store, org?: Organization): Promise<Member> {
  const m = member(org ?? (await newOrganization(store)));
  await store.insertMember(m);
  return m;
}

const ok = { ok: true } as const;
const failed = (kind: Change["kind"], index: number) => ({ ok: false, failed: kind, index }) as const;

export function authenticationContract(makeStore: StoreFactory): void {
  describe("authentication steps", () => {
    const store = freshStore(makeStore);

    it("commit([]) succeeds and writes nothing", async () => {
      assert.deepEqual(await store().commit([]), ok);
    });

    it("commit applies every kind of write, and each reads back exactly", async () => {
      const p = project();
      await store().insertProject(p);
      const org = organization(p.projectId);
      const m = member(org, { mfaEnrolled: false });
      const s = session(m, { expiresAt: T0 + HOUR });
      const sessionHash = tokenHash();
      const ist = intermediateSession(m);
      const istHash = tokenHash();
      const secret = oneTimeSecret(p.projectId, { purpose: "magic_link", memberId: m.memberId, organizationId: org.organizationId });
      const registration = totpRegistration(m);
      const codes = recoveryCodes(registration);
      const message = outboxMessage(p.projectId);
      await store().incrementFailureCounter(p.projectId, `login:${m.memberId}`, T0);
      const updated: Member = { ...m, name: "Grace Hopper", mfaEnrolled: true, updatedAt: T0 + 99 };

      const result = await store().commit([
        { kind: "insert_organization", organization: org },
        { kind: "insert_member", member: m },
        { kind: "update_member", member: updated },
        { kind: "insert_session", session: s, tokenHash: sessionHash },
        { kind: "insert_intermediate_session", intermediateSession: ist, tokenHash: istHash },
        { kind: "insert_one_time_secret", secret, supersedePrevious: false },
        {
          kind: "set_member_password",
          projectId: p.projectId,
          memberId: m.memberId,
          memberPasswordId: m.memberPasswordId,
          passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
          now: T0,
        },
        { kind: "save_totp_registration", registration },
        { kind: "replace_recovery_codes", projectId: p.projectId, totpRegistrationId: registration.totpRegistrationId, codes },
        { kind: "enqueue_message", message },
        { kind: "reset_failure_counter", projectId: p.projectId, key: `login:${m.memberId}` },
      ]);
      assert.deepEqual(result, ok);

      assert.deepEqual(await store().findOrganization(p.projectId, org.organizationId), org);
      const found = await store().findMemberById(p.projectId, m.memberId);
      assert.deepEqual(found, updated);
      assertSameKeyOrder(found?.trustedMetadata, updated.trustedMetadata);
      assert.deepEqual(await store().findSessionByTokenHash(p.projectId, sessionHash), s);
      assert.deepEqual(await store().findIntermediateSessionByTokenHash(p.projectId, istHash), ist);
      const foundSecret = await store().findOneTimeSecretByHash(p.projectId, "magic_link", secret.secretHash);
      assert.deepEqual(foundSecret, secret);
      assertSameKeyOrder(foundSecret?.details, secret.details);
      assert.equal(await store().findMemberPasswordHash(p.projectId, m.memberId), "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
      assert.deepEqual(await store().listTotpRegistrations(p.projectId, m.memberId), [registration]);
      assert.deepEqual(await store().listRecoveryCodes(p.projectId, registration.totpRegistrationId), codes);
      assert.deepEqual(await store().listOutboxMessages(p.projectId, message.recipient, 10), [message]);
      assert.equal(await store().getFailureCounter(p.projectId, `login:${m.memberId}`), 0);
    });

    it("a precondition failing at the end rolls back every earlier change and reports its kind and index", async () => {
      const m = await newMember(store());
      const p = m.projectId;
      const org = organization(p);
      const newcomer = member(org);
      const s = session(m);
      const sessionHash = tokenHash();
      const ist = intermediateSession(m);
      const istHash = tokenHash();
      const older = oneTimeSecret(p, { subject: `member:${m.memberId}` });
      const fresh = oneTimeSecret(p);
      const expired = oneTimeSecret(p, { expiresAt: T0 + MINUTE });
      await store().commit([
        { kind: "insert_one_time_secret", secret: older, supersedePrevious: false },
        { kind: "insert_one_time_secret", secret: fresh, supersedePrevious: false },
        { kind: "insert_one_time_secret", secret: expired, supersedePrevious: false },
      ]);
      const newer = oneTimeSecret(p, { subject: older.subject, createdAt: T0 + 5 });
      const registration = totpRegistration(m);
      const message = outboxMessage(p);
      const counterKey = `login:${m.memberId}`;
      for (let index = 0; index < 3; index++) await store().incrementFailureCounter(p, counterKey, T0);

      const changes: Change[] = [
        { kind: "insert_organization", organization: org },
        { kind: "insert_member", member: newcomer },
        { kind: "update_member", member: { ...m, name: "Changed", updatedAt: T0 + 50 } },
        { kind: "insert_session", session: s, tokenHash: sessionHash },
        { kind: "insert_intermediate_session", intermediateSession: ist, tokenHash: istHash },
        { kind: "insert_one_time_secret", secret: newer, supersedePrevious: true },
        { kind: "set_member_password", projectId: p, memberId: m.memberId, memberPasswordId: m.memberPasswordId, passwordHash: "h", now: T0 },
        { kind: "save_totp_registration", registration },
        { kind: "replace_recovery_codes", projectId: p, totpRegistrationId: registration.totpRegistrationId, codes: recoveryCodes(registration) },
        { kind: "enqueue_message", message },
        { kind: "reset_failure_counter", projectId: p, key: counterKey },
        { kind: "consume_one_time_secret", projectId: p, secretId: fresh.secretId, now: T0 + 10 },
        { kind: "consume_one_time_secret", projectId: p, secretId: expired.secretId, now: T0 + MINUTE },
      ];
      assert.deepEqual(await store().commit(changes), failed("consume_one_time_secret", changes.length - 1));

      assert.equal(await store().findOrganization(p, org.organizationId), null);
      assert.equal(await store().findMemberById(p, newcomer.memberId), null);
      assert.deepEqual(await store().findMemberById(p, m.memberId), m);
      assert.equal(await store().findSession(p, s.sessionId), null);
      assert.equal(await store().findIntermediateSessionByTokenHash(p, istHash), null);
      assert.equal(await store().findOneTimeSecretByHash(p, newer.purpose, newer.secretHash), null);
      assert.deepEqual(await store().findOneTimeSecretByHash(p, older.purpose, older.secretHash), older, "the superseded secret came back consumed");
      assert.deepEqual(await store().findOneTimeSecretByHash(p, fresh.purpose, fresh.secretHash), fresh);
      assert.deepEqual(await store().findOneTimeSecretByHash(p, expired.purpose, expired.secretHash), expired);
      assert.equal(await store().findMemberPasswordHash(p, m.memberId), null);
      assert.deepEqual(await store().listTotpRegistrations(p, m.memberId), []);
      assert.deepEqual(await store().listRecoveryCodes(p, registration.totpRegistrationId), []);
      assert.deepEqual(await store().listOutboxMessages(p, message.recipient, 10), []);
      assert.equal(await store().getFailureCounter(p, counterKey), 3);
    });

    it("a unique violation inside a commit rejects with StoreConflict and writes nothing", async () => {
      const m = await newMember(store());
      const org = (await store().findOrganization(m.projectId, m.organizationId))!;
      const s = session(m);
      const message = outboxMessage(m.projectId);
      const twin = member(org, { emailAddress: m.emailAddress.toUpperCase() });
      await rejectsWithConflict(
        store().commit([
          { kind: "insert_session", session: s, tokenHash: tokenHash() },
          { kind: "enqueue_message", message },
          { kind: "insert_member", member: twin },
        ]),
        "member_email",
      );
      assert.equal(await store().findSession(m.projectId, s.sessionId), null);
      assert.deepEqual(await store().listOutboxMessages(m.projectId, message.recipient, 10), []);
      const slugTaken = organization(m.projectId, { slug: org.slug });
      await rejectsWithConflict(store().commit([{ kind: "insert_organization", organization: slugTaken }]), "organization_slug");
      // The store is usable afterwards.
      assert.deepEqual(await store().commit([{ kind: "insert_session", session: s, tokenHash: tokenHash() }]), ok);
    });

    it("consume_one_time_secret: once, not when consumed, expired (at expiresAt), unknown or in another project", async () => {
      const p = project();
      await store().insertProject(p);
      const secret = oneTimeSecret(p.projectId, { expiresAt: T0 + MINUTE });
      const other = oneTimeSecret(p.projectId, { expiresAt: T0 + MINUTE });
      await store().commit([
        { kind: "insert_one_time_secret", secret, supersedePrevious: false },
        { kind: "insert_one_time_secret", secret: other, supersedePrevious: false },
      ]);
      const consume = (secretId: string, now: number, projectId = p.projectId): Change => ({ kind: "consume_one_time_secret", projectId, secretId, now });
      assert.deepEqual(await store().commit([consume(secret.secretId, T0 + MINUTE, uid("project-test"))]), failed("consume_one_time_secret", 0));
      assert.deepEqual(await store().commit([consume(uid("secret-test"), T0)]), failed("consume_one_time_secret", 0));
      assert.deepEqual(await store().commit([consume(other.secretId, T0 + MINUTE)]), failed("consume_one_time_secret", 0));
      assert.deepEqual(await store().commit([consume(secret.secretId, T0 + 30_000)]), ok);
      assert.equal((await store().findOneTimeSecretByHash(p.projectId, secret.purpose, secret.secretHash))?.consumedAt, T0 + 30_000);
      assert.deepEqual(await store().commit([consume(secret.secretId, T0 + 30_001)]), failed("consume_one_time_secret", 0));
      assert.equal((await store().findOneTimeSecretByHash(p.projectId, secret.purpose, secret.secretHash))?.consumedAt, T0 + 30_000);
      assert.equal((await store().findOneTimeSecretByHash(p.projectId, other.purpose, other.secretHash))?.consumedAt, null);
    });

    it("insert_one_time_secret with supersedePrevious consumes the older unconsumed secrets of that subject only", async () => {
      const p = project();
      await store().insertProject(p);
      const subject = `email:${uid("org")}:ada@example.com`;
      const first = oneTimeSecret(p.projectId, { subject, purpose: "email_otp", createdAt: T0 });
      const usedEarlier = oneTimeSecret(p.projectId, { subject, purpose: "email_otp", createdAt: T0 + 1, consumedAt: T0 + 2 });
      const otherPurpose = oneTimeSecret(p.projectId, { subject, purpose: "magic_link", createdAt: T0 + 3 });
      const otherSubject = oneTimeSecret(p.projectId, { subject: `${subject}.other`, purpose: "email_otp", createdAt: T0 + 4 });
      const keptAlongside = oneTimeSecret(p.projectId, { subject, purpose: "email_otp", createdAt: T0 + 5 });
      for (const secret of [first, usedEarlier, otherPurpose, otherSubject]) {
        assert.deepEqual(await store().commit([{ kind: "insert_one_time_secret", secret, supersedePrevious: false }]), ok);
      }
      // Without supersedePrevious the older one stays usable.
      assert.deepEqual(await store().commit([{ kind: "insert_one_time_secret", secret: keptAlongside, supersedePrevious: false }]), ok);
      const find = async (secret: typeof first) => store().findOneTimeSecretByHash(p.projectId, secret.purpose, secret.secretHash);
      assert.equal((await find(first))?.consumedAt, null);
      assert.equal((await store().findLatestOneTimeSecret(p.projectId, "email_otp", subject))?.secretId, keptAlongside.secretId);

      const newest = oneTimeSecret(p.projectId, { subject, purpose: "email_otp", createdAt: T0 + 60_000 });
      assert.deepEqual(await store().commit([{ kind: "insert_one_time_secret", secret: newest, supersedePrevious: true }]), ok);
      assert.equal((await find(first))?.consumedAt, T0 + 60_000);
      assert.equal((await find(keptAlongside))?.consumedAt, T0 + 60_000);
      assert.equal((await find(usedEarlier))?.consumedAt, T0 + 2, "an already consumed secret keeps its consumption time");
      assert.equal((await find(otherPurpose))?.consumedAt, null);
      assert.equal((await find(otherSubject))?.consumedAt, null);
      assert.deepEqual(await find(newest), newest);
      assert.deepEqual(await store().findLatestOneTimeSecret(p.projectId, "email_otp", subject), newest);
      // A superseded secret can no longer be consumed.
      assert.deepEqual(
        await store().commit([{ kind: "consume_one_time_secret", projectId: p.projectId, secretId: first.secretId, now: T0 + 60_001 }]),
        failed("consume_one_time_secret", 0),
      );
    });

    it("findOneTimeSecretByHash matches project and purpose; findLatestOneTimeSecret is the newest unconsumed one", async () => {
      const p = project();
      await store().insertProject(p);
      const subject = `member:${uid("member")}`;
      const a = oneTimeSecret(p.projectId, { subject, purpose: "password_reset", createdAt: T0 + 10, organizationId: null, memberId: null, details: {} });
      const b = oneTimeSecret(p.projectId, { subject, purpose: "password_reset", createdAt: T0 + 20 });
      const c = oneTimeSecret(p.projectId, { subject, purpose: "password_reset", createdAt: T0 + 30, consumedAt: T0 + 31 });
      for (const secret of [a, b, c]) await store().commit([{ kind: "insert_one_time_secret", secret, supersedePrevious: false }]);
      assert.deepEqual(await store().findOneTimeSecretByHash(p.projectId, "password_reset", a.secretHash), a);
      assert.equal(await store().findOneTimeSecretByHash(p.projectId, "magic_link", a.secretHash), null);
      assert.equal(await store().findOneTimeSecretByHash(uid("project-test"), "password_reset", a.secretHash), null);
      assert.equal(await store().findOneTimeSecretByHash(p.projectId, "password_reset", tokenHash()), null);
      assert.deepEqual(await store().findLatestOneTimeSecret(p.projectId, "password_reset", subject), b);
      assert.equal(await store().findLatestOneTimeSecret(p.projectId, "email_otp", subject), null);
      assert.equal(await store().findLatestOneTimeSecret(p.projectId, "password_reset", `${subject}x`), null);
      assert.equal(await store().findLatestOneTimeSecret(uid("project-test"), "password_reset", subject), null);
    });

    it("claimOneTimeSecretAttempt counts up to maxAttempts, then null; null when consumed or unknown", async () => {
      const p = project();
      await store().insertProject(p);
      const secret = oneTimeSecret(p.projectId, { maxAttempts: 3, attempts: 1 });
      const consumed = oneTimeSecret(p.projectId, { consumedAt: T0 });
      for (const each of [secret, consumed]) await store().commit([{ kind: "insert_one_time_secret", secret: each, supersedePrevious: false }]);
      assert.equal(await store().claimOneTimeSecretAttempt(p.projectId, secret.secretId), 2);
      assert.equal(await store().claimOneTimeSecretAttempt(p.projectId, secret.secretId), 3);
      assert.equal(await store().claimOneTimeSecretAttempt(p.projectId, secret.secretId), null);
      assert.equal((await store().findOneTimeSecretByHash(p.projectId, secret.purpose, secret.secretHash))?.attempts, 3);
      assert.equal(await store().claimOneTimeSecretAttempt(p.projectId, consumed.secretId), null);
      assert.equal(await store().claimOneTimeSecretAttempt(p.projectId, uid("secret-test")), null);
      const fresh = oneTimeSecret(p.projectId);
      await store().commit([{ kind: "insert_one_time_secret", secret: fresh, supersedePrevious: false }]);
      assert.equal(await store().claimOneTimeSecretAttempt(uid("project-test"), fresh.secretId), null);
      assert.equal(await store().claimOneTimeSecretAttempt(p.projectId, fresh.secretId), 1);
    });

    it("intermediate sessions: update_live_ and consume_ succeed while live, fail when consumed or expired", async () => {
      const m = await newMember(store());
      const ist = intermediateSession(m, { expiresAt: T0 + 10 * MINUTE });
      const hash = tokenHash();
      await store().commit([{ kind: "insert_intermediate_session", intermediateSession: ist, tokenHash: hash }]);
      const factors = [factor(m), factor(m, "totp", "2026-01-15T10:01:00Z")];
      const update = (now: number): Change => ({
        kind: "update_live_intermediate_session",
        projectId: m.projectId,
        intermediateSessionId: ist.intermediateSessionId,
        factors,
        now,
      });
      const consume = (now: number, projectId = m.projectId): Change => ({
        kind: "consume_intermediate_session",
        projectId,
        intermediateSessionId: ist.intermediateSessionId,
        now,
      });
      assert.deepEqual(await store().commit([update(T0 + 10 * MINUTE)]), failed("update_live_intermediate_session", 0));
      assert.deepEqual(await store().commit([update(T0 + MINUTE)]), ok);
      assert.deepEqual(await store().findIntermediateSessionByTokenHash(m.projectId, hash), { ...ist, factors });
      assert.deepEqual(await store().commit([consume(T0 + 2 * MINUTE, uid("project-test"))]), failed("consume_intermediate_session", 0));
      assert.deepEqual(await store().commit([consume(T0 + 10 * MINUTE)]), failed("consume_intermediate_session", 0));
      assert.deepEqual(await store().commit([consume(T0 + 2 * MINUTE)]), ok);
      assert.deepEqual(await store().findIntermediateSessionByTokenHash(m.projectId, hash), { ...ist, factors, consumedAt: T0 + 2 * MINUTE });
      assert.deepEqual(await store().commit([consume(T0 + 3 * MINUTE)]), failed("consume_intermediate_session", 0));
      assert.deepEqual(await store().commit([update(T0 + 3 * MINUTE)]), failed("update_live_intermediate_session", 0));
      assert.equal(await store().findIntermediateSessionByTokenHash(m.projectId, tokenHash()), null);
      assert.equal(await store().findIntermediateSessionByTokenHash(uid("project-test"), hash), null);
    });

    it("discovery intermediate sessions: no organization or member until bindTo binds them; later updates keep the binding", async () => {
      const m = await newMember(store());
      const discovery = intermediateSession(null, { projectId: m.projectId, emailAddress: m.emailAddress, factors: [factor(m)] });
      const hash = tokenHash();
      assert.deepEqual(await store().commit([{ kind: "insert_intermediate_session", intermediateSession: discovery, tokenHash: hash }]), ok);
      const stored = await store().findIntermediateSessionByTokenHash(m.projectId, hash);
      assert.deepEqual(stored, discovery);
      assert.equal(stored?.organizationId, null);
      assert.equal(stored?.memberId, null);

      const base = { kind: "update_live_intermediate_session", projectId: m.projectId, intermediateSessionId: discovery.intermediateSessionId } as const;
      assert.deepEqual(await store().commit([{ ...base, factors: discovery.factors, now: T0 + 1 }]), ok);
      assert.equal((await store().findIntermediateSessionByTokenHash(m.projectId, hash))?.organizationId, null, "an update without bindTo bound it");

      const stepped = [factor(m), factor(m, "sms_otp")];
      const bindTo = { organizationId: m.organizationId, memberId: m.memberId };
      assert.deepEqual(await store().commit([{ ...base, factors: stepped, now: T0 + 2, bindTo }]), ok);
      const bound = { ...discovery, organizationId: m.organizationId, memberId: m.memberId, factors: stepped };
      assert.deepEqual(await store().findIntermediateSessionByTokenHash(m.projectId, hash), bound);
      assert.deepEqual(await store().commit([{ ...base, factors: [], now: T0 + 3 }]), ok);
      assert.deepEqual(await store().findIntermediateSessionByTokenHash(m.projectId, hash), { ...bound, factors: [] });
      // Binding a consumed session fails like any other update of it.
      await store().commit([{ kind: "consume_intermediate_session", projectId: m.projectId, intermediateSessionId: discovery.intermediateSessionId, now: T0 + 4 }]);
      assert.deepEqual(await store().commit([{ ...base, factors: [], now: T0 + 5, bindTo }]), failed("update_live_intermediate_session", 0));
    });

    it("require_live_session and update_live_session hold for a live session only (not revoked, not expired at now)", async () => {
      const m = await newMember(store());
      const live = session(m, { expiresAt: T0 + HOUR });
      const revoked = session(m, { revokedAt: T0 + 1 });
      for (const s of [live, revoked]) await store().insertSession(s, tokenHash());
      const require = (sessionId: string, now: number): Change => ({ kind: "require_live_session", projectId: m.projectId, sessionId, now });
      assert.deepEqual(await store().commit([require(live.sessionId, T0 + HOUR - 1)]), ok);
      assert.deepEqual(await store().commit([require(live.sessionId, T0 + HOUR)]), failed("require_live_session", 0));
      assert.deepEqual(await store().commit([require(revoked.sessionId, T0 + 2)]), failed("require_live_session", 0));
      assert.deepEqual(await store().commit([require(uid("session-test"), T0)]), failed("require_live_session", 0));
      assert.deepEqual(
        await store().commit([{ kind: "require_live_session", projectId: uid("project-test"), sessionId: live.sessionId, now: T0 }]),
        failed("require_live_session", 0),
      );

      const factors = [...live.factors, factor(m, "totp", "2026-01-15T10:05:00Z")];
      const updateAll: Change = {
        kind: "update_live_session",
        projectId: m.projectId,
        sessionId: live.sessionId,
        now: T0 + 5 * MINUTE,
        factors,
        expiresAt: T0 + 2 * HOUR,
        customClaims: { step: "up", nested: { a: [1] } },
      };
      assert.deepEqual(await store().commit([updateAll]), ok);
      const afterAll = { ...live, lastAccessedAt: T0 + 5 * MINUTE, factors, expiresAt: T0 + 2 * HOUR, customClaims: { step: "up", nested: { a: [1] } } };
      assert.deepEqual(await store().findSession(m.projectId, live.sessionId), afterAll);
      // Omitted fields stay as they are; only the last access moves.
      assert.deepEqual(await store().commit([{ kind: "update_live_session", projectId: m.projectId, sessionId: live.sessionId, now: T0 + 6 * MINUTE }]), ok);
      assert.deepEqual(await store().findSession(m.projectId, live.sessionId), { ...afterAll, lastAccessedAt: T0 + 6 * MINUTE });
      const updateAt = (sessionId: string, now: number): Change => ({ kind: "update_live_session", projectId: m.projectId, sessionId, now, factors: [] });
      assert.deepEqual(await store().commit([updateAt(live.sessionId, T0 + 2 * HOUR)]), failed("update_live_session", 0));
      assert.deepEqual(await store().commit([updateAt(revoked.sessionId, T0 + 2)]), failed("update_live_session", 0));
      assert.deepEqual(await store().findSession(m.projectId, revoked.sessionId), revoked);
      await store().revokeSession(m.projectId, live.sessionId, T0 + 7 * MINUTE);
      assert.deepEqual(await store().commit([updateAt(live.sessionId, T0 + 8 * MINUTE)]), failed("update_live_session", 0));
      assert.deepEqual(await store().commit([require(live.sessionId, T0 + 8 * MINUTE)]), failed("require_live_session", 0));
      assert.deepEqual((await store().findSession(m.projectId, live.sessionId))?.factors, factors);
    });

    it("update_member fails for an unknown member", async () => {
      const m = await newMember(store());
      const ghost = member((await store().findOrganization(m.projectId, m.organizationId))!);
      const s = session(m);
      assert.deepEqual(
        await store().commit([
          { kind: "insert_session", session: s, tokenHash: tokenHash() },
          { kind: "update_member", member: ghost },
        ]),
        failed("update_member", 1),
      );
      assert.equal(await store().findSession(m.projectId, s.sessionId), null);
    });

    it("member passwords: set, replace, delete; per member", async () => {
      const m = await newMember(store());
      const other = await newMember(store(), (await store().findOrganization(m.projectId, m.organizationId))!);
      const set = (memberId: string, passwordHash: string): Change => ({
        kind: "set_member_password",
        projectId: m.projectId,
        memberId,
        memberPasswordId: uid("member-password"),
        passwordHash,
        now: T0,
      });
      assert.equal(await store().findMemberPasswordHash(m.projectId, m.memberId), null);
      assert.deepEqual(await store().commit([set(m.memberId, "$2a$10$first"), set(other.memberId, "$2a$10$other")]), ok);
      assert.deepEqual(await store().commit([set(m.memberId, "$2a$10$second")]), ok);
      assert.equal(await store().findMemberPasswordHash(m.projectId, m.memberId), "$2a$10$second");
      assert.equal(await store().findMemberPasswordHash(uid("project-test"), m.memberId), null);
      assert.deepEqual(await store().commit([{ kind: "delete_member_password", projectId: m.projectId, memberId: m.memberId }]), ok);
      assert.equal(await store().findMemberPasswordHash(m.projectId, m.memberId), null);
      assert.equal(await store().findMemberPasswordHash(m.projectId, other.memberId), "$2a$10$other");
      // Deleting what is not there is not a failure.
      assert.deepEqual(await store().commit([{ kind: "delete_member_password", projectId: m.projectId, memberId: m.memberId }]), ok);
    });

    it("TOTP: save (re-saving verifies it, keeping secret and step), advance_totp_step only forward, delete with recovery codes", async () => {
      const m = await newMember(store());
      const other = await newMember(store(), (await store().findOrganization(m.projectId, m.organizationId))!);
      const registration = totpRegistration(m, { createdAt: T0 });
      const later = totpRegistration(m, { createdAt: T0 + 1 });
      const othersRegistration = totpRegistration(other);
      const othersCodes = recoveryCodes(othersRegistration, 2);
      for (const r of [registration, later, othersRegistration]) await store().commit([{ kind: "save_totp_registration", registration: r }]);
      await store().commit([
        { kind: "replace_recovery_codes", projectId: m.projectId, totpRegistrationId: registration.totpRegistrationId, codes: recoveryCodes(registration) },
        { kind: "replace_recovery_codes", projectId: m.projectId, totpRegistrationId: othersRegistration.totpRegistrationId, codes: othersCodes },
      ]);
      assert.deepEqual(await store().listTotpRegistrations(m.projectId, m.memberId), [registration, later]);
      assert.deepEqual(await store().listTotpRegistrations(uid("project-test"), m.memberId), []);

      const verified = { ...registration, verified: true, expiresAt: null, sealedSecret: "ignored", lastUsedStep: 999 };
      assert.deepEqual(await store().commit([{ kind: "save_totp_registration", registration: verified }]), ok);
      const afterVerify = { ...registration, verified: true, expiresAt: null };
      assert.deepEqual((await store().listTotpRegistrations(m.projectId, m.memberId))[0], afterVerify);

      const advance = (step: number): Change => ({ kind: "advance_totp_step", projectId: m.projectId, totpRegistrationId: registration.totpRegistrationId, step });
      assert.deepEqual(await store().commit([advance(59_000_000)]), ok);
      assert.deepEqual(await store().commit([advance(59_000_000)]), failed("advance_totp_step", 0), "the same step twice");
      assert.deepEqual(await store().commit([advance(58_999_999)]), failed("advance_totp_step", 0), "an earlier step");
      assert.deepEqual(await store().commit([advance(59_000_001)]), ok);
      assert.equal((await store().listTotpRegistrations(m.projectId, m.memberId))[0]?.lastUsedStep, 59_000_001);
      assert.deepEqual(
        await store().commit([{ kind: "advance_totp_step", projectId: m.projectId, totpRegistrationId: uid("totp"), step: 1 }]),
        failed("advance_totp_step", 0),
      );

      assert.deepEqual(await store().commit([{ kind: "delete_totp_registrations", projectId: m.projectId, memberId: m.memberId }]), ok);
      assert.deepEqual(await store().listTotpRegistrations(m.projectId, m.memberId), []);
      assert.deepEqual(await store().listRecoveryCodes(m.projectId, registration.totpRegistrationId), []);
      assert.deepEqual(await store().listTotpRegistrations(m.projectId, other.memberId), [othersRegistration]);
      assert.deepEqual(await store().listRecoveryCodes(m.projectId, othersRegistration.totpRegistrationId), othersCodes);
    });

    it("recovery codes: replace swaps the whole set; consume_recovery_code works once per code", async () => {
      const m = await newMember(store());
      const registration = totpRegistration(m, { verified: true, expiresAt: null });
      const first = recoveryCodes(registration, 4);
      const second = recoveryCodes(registration, 2).map((code, index) => ({ ...code, recoveryCodeId: `${code.recoveryCodeId}-second-${index}` }));
      const replace = (codes: typeof first): Change => ({ kind: "replace_recovery_codes", projectId: m.projectId, totpRegistrationId: registration.totpRegistrationId, codes });
      await store().commit([{ kind: "save_totp_registration", registration }, replace(first)]);
      assert.deepEqual(await store().listRecoveryCodes(m.projectId, registration.totpRegistrationId), first);
      const consume = (recoveryCodeId: string, now: number): Change => ({ kind: "consume_recovery_code", projectId: m.projectId, recoveryCodeId, now });
      assert.deepEqual(await store().commit([consume(first[1]!.recoveryCodeId, T0 + 5)]), ok);
      assert.deepEqual(await store().commit([consume(first[1]!.recoveryCodeId, T0 + 6)]), failed("consume_recovery_code", 0));
      assert.deepEqual(await store().commit([consume(uid("code"), T0 + 6)]), failed("consume_recovery_code", 0));
      assert.deepEqual(
        await store().commit([{ kind: "consume_recovery_code", projectId: uid("project-test"), recoveryCodeId: first[2]!.recoveryCodeId, now: T0 }]),
        failed("consume_recovery_code", 0),
      );
      const listed = await store().listRecoveryCodes(m.projectId, registration.totpRegistrationId);
      assert.deepEqual(listed[1], { ...first[1], consumedAt: T0 + 5 });
      assert.equal(listed.filter((code) => code.consumedAt !== null).length, 1);
      assert.deepEqual(await store().commit([replace(second)]), ok);
      assert.deepEqual(await store().listRecoveryCodes(m.projectId, registration.totpRegistrationId), second);
      assert.deepEqual(await store().commit([consume(first[0]!.recoveryCodeId, T0 + 7)]), failed("consume_recovery_code", 0), "a replaced code");
    });

    it("findMembersByEmail finds the person across organizations, case-insensitively, not deleted; findMemberById skips deleted", async () => {
      const orgA = await newOrganization(store());
      const orgB = await newOrganization(store(), orgA.projectId);
      const orgC = await newOrganization(store(), orgA.projectId);
      const email = `Person.${uid("x").slice(-12)}@Example.COM`;
      const a = member(orgA, { emailAddress: email });
      const b = member(orgB, { emailAddress: email.toLowerCase() });
      const c = member(orgC, { emailAddress: email.toUpperCase() });
      const elsewhere = await newOrganization(store());
      const otherProject = member(elsewhere, { emailAddress: email });
      for (const each of [a, b, c, otherProject]) await store().insertMember(each);
      await store().deleteMember(c.projectId, c.memberId, T0 + 1);
      assert.deepEqual(await store().findMembersByEmail(orgA.projectId, email.toUpperCase()), [a, b]);
      assert.deepEqual(await store().findMembersByEmail(orgA.projectId, `x${email}`), []);
      assert.deepEqual(await store().findMemberById(a.projectId, a.memberId), a);
      assert.equal(await store().findMemberById(c.projectId, c.memberId), null);
      assert.equal(await store().findMemberById(uid("project-test"), a.memberId), null);
      assert.equal(await store().findMemberById(a.projectId, uid("member-test")), null);
    });
  });
}
