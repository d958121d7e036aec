/**
 * @module Store contract: authentication steps racing each other, on several stores over one
 * database (several nodes) where the adapter can open them. Every single-use thing has exactly one
 * winner, every budget holds exactly, and a revoke is never outrun by a commit that checked the
 * session before the revoke and wrote after it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type { Member } from "../../domain/types.js";
import type { Change, CommitResult, Store } from "../store.js";
import { HOUR, MINUTE, T0, intermediateSession, member, oneTimeSecret, organization, outboxMessage, project, recoveryCodes, session, signingKey, tokenHash, totpRegistration, uid } from "./fixtures.js";
import { freshNodes, type StoreFactory } from "./harness.js";

const NODES = 3;

const times = <T>(count: number, make: (index: number) => T): T[] => Array.from({ length: count }, (_, index) => make(index));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const okCount = (results: CommitResult[]): number => results.filter((result) => result.ok).length;

async function newMember(store: Store): Promise<Member> {
  const p = project();
  await store.insertProject(p);
  const org = organization(p.projectId);
  await store.insertOrganization(org);
  const m = member(org);
  await store.insertMember(m);
  return m;
}

export function authenticationConcurrencyContract(makeStore: StoreFactory): void {
  describe("authentication concurrency", () => {
    const nodes = freshNodes(makeStore, NODES);
    /** The store of "node" `index`, round robin. */
    const node = (index: number): Store => nodes()[index % nodes().length]!;
    const store = (): Store => node(0);

    it("20 parallel commits consuming one intermediate session: exactly one succeeds, and only its writes remain", async () => {
      const m = await newMember(store());
      const ist = intermediateSession(m);
      await store().commit([{ kind: "insert_intermediate_session", intermediateSession: ist, tokenHash: tokenHash() }]);
      const minted = times(20, () => session(m));
      const results = await Promise.all(
        minted.map((s, index) =>
          node(index).commit([
            { kind: "insert_session", session: s, tokenHash: tokenHash() },
            { kind: "consume_intermediate_session", projectId: m.projectId, intermediateSessionId: ist.intermediateSessionId, now: T0 + 1 + index },
          ]),
        ),
      );
      assert.equal(okCount(results), 1);
      for (const result of results) if (!result.ok) assert.deepEqual(result, { ok: false, failed: "consume_intermediate_session", index: 1 });
      assert.equal((await store().listLiveSessions(m.projectId, m.memberId, T0 + 100)).length, 1);
      const winner = results.findIndex((result) => result.ok);
      assert.equal((await store().findSession(m.projectId, minted[winner]!.sessionId))?.sessionId, minted[winner]!.sessionId);
    });

    it("20 parallel commits consuming one one-time secret: exactly one succeeds", async () => {
      const p = project();
      await store().insertProject(p);
      const secret = oneTimeSecret(p.projectId);
      await store().commit([{ kind: "insert_one_time_secret", secret, supersedePrevious: false }]);
      const recipient = `race.${uid("r").slice(-12)}@example.com`;
      const results = await Promise.all(
        times(20, (index) =>
          node(index).commit([
            { kind: "consume_one_time_secret", projectId: p.projectId, secretId: secret.secretId, now: T0 + 1 },
            { kind: "enqueue_message", message: outboxMessage(p.projectId, { recipient, nextAttemptAt: T0 + 1000 * HOUR }) },
          ]),
        ),
      );
      assert.equal(okCount(results), 1);
      assert.equal((await store().listOutboxMessages(p.projectId, recipient, 100)).length, 1);
    });

    it("10 parallel uses of one TOTP step and of one recovery code: one each", async () => {
      const m = await newMember(store());
      const registration = totpRegistration(m, { verified: true, expiresAt: null });
      const [code] = recoveryCodes(registration, 1);
      await store().commit([
        { kind: "save_totp_registration", registration },
        { kind: "replace_recovery_codes", projectId: m.projectId, totpRegistrationId: registration.totpRegistrationId, codes: [code!] },
      ]);
      const step: Change = { kind: "advance_totp_step", projectId: m.projectId, totpRegistrationId: registration.totpRegistrationId, step: 59_000_000 };
      const recovery: Change = { kind: "consume_recovery_code", projectId: m.projectId, recoveryCodeId: code!.recoveryCodeId, now: T0 + 1 };
      const [steps, codes] = await Promise.all([
        Promise.all(times(10, (index) => node(index).commit([step]))),
        Promise.all(times(10, (index) => node(index + 1).commit([recovery]))),
      ]);
      assert.equal(okCount(steps), 1);
      assert.equal(okCount(codes), 1);
    });

    it("50 parallel claimOneTimeSecretAttempt on a secret allowing 5: exactly 5 win, numbered 1 to 5", async () => {
      const p = project();
      await store().insertProject(p);
      const secret = oneTimeSecret(p.projectId, { maxAttempts: 5 });
      await store().commit([{ kind: "insert_one_time_secret", secret, supersedePrevious: false }]);
      const claims = await Promise.all(times(50, (index) => node(index).claimOneTimeSecretAttempt(p.projectId, secret.secretId)));
      const won = claims.filter((claim): claim is number => claim !== null).sort((a, b) => a - b);
      assert.deepEqual(won, [1, 2, 3, 4, 5]);
      assert.equal((await store().findOneTimeSecretByHash(p.projectId, secret.purpose, secret.secretHash))?.attempts, 5);
    });

    it("parallel hitRateLimit never lets more than `limit` through in one window", async () => {
      const key = uid("rate");
      const now = T0 + 7;
      const hits = await Promise.all(times(40, (index) => node(index).hitRateLimit(key, MINUTE, 7, now + (index % 3))));
      assert.equal(hits.filter((hit) => hit.allowed).length, 7);
      // And the next window starts over, again exactly `limit`.
      const next = now - (now % MINUTE) + MINUTE;
      const nextHits = await Promise.all(times(40, (index) => node(index).hitRateLimit(key, MINUTE, 7, next + (index % 3))));
      assert.equal(nextHits.filter((hit) => hit.allowed).length, 7);
    });

    it("parallel incrementFailureCounter calls each get their own count", async () => {
      const p = project();
      await store().insertProject(p);
      const key = uid("failures");
      const counts = await Promise.all(times(30, (index) => node(index).incrementFailureCounter(p.projectId, key, T0 + index)));
      assert.deepEqual(
        counts.sort((a, b) => a - b),
        times(30, (index) => index + 1),
      );
      assert.equal(await store().getFailureCounter(p.projectId, key), 30);
    });

    it("parallel claimOutboxMessages (several workers, several nodes) never hand out one message twice", async () => {
      const p = project();
      await store().insertProject(p);
      const base = T0 + 5000 * HOUR;
      const messages = times(60, (index) => outboxMessage(p.projectId, { nextAttemptAt: base - index }));
      for (let index = 0; index < messages.length; index += 20) {
        await store().commit(messages.slice(index, index + 20).map((message): Change => ({ kind: "enqueue_message", message })));
      }
      const claimed: string[] = [];
      for (let round = 0; round < 20; round++) {
        const batches = await Promise.all(times(6, (index) => node(index).claimOutboxMessages(base, 60_000, 7)));
        const ids = batches.flat().map((message) => message.messageId);
        claimed.push(...ids);
        if (ids.length === 0) break;
      }
      assert.equal(new Set(claimed).size, claimed.length, "a message was claimed twice");
      // Other cases in this group leave messages of their own projects due as well.
      const ours = new Set(messages.map((message) => message.messageId));
      assert.deepEqual(claimed.filter((id) => ours.has(id)).sort(), [...ours].sort());
    });

    it("recordMemberDevice racing on a new device: exactly one sighting reports it new", async () => {
      const m = await newMember(store());
      const visitorId = uid("visitor");
      const sightings = await Promise.all(
        times(10, (index) =>
          node(index).recordMemberDevice({ projectId: m.projectId, memberId: m.memberId, visitorId, ipAddress: "198.51.100.4", userAgent: "ua", now: T0 + index }),
        ),
      );
      assert.equal(sightings.filter((seen) => seen.visitorFirstSeenAt === null).length, 1);
      assert.equal(sightings.filter((seen) => seen.ipFirstSeenAt === null).length, 1);
    });

    it("first signing keys created concurrently on several nodes: one set, one current key", async () => {
      const p = project();
      await store().insertProject(p);
      const attempts = await Promise.all(
        times(8, (index) =>
          node(index).insertFirstSigningKeys([
            signingKey(p.projectId, "current", { createdAt: T0 + index }),
            signingKey(p.projectId, "next", { createdAt: T0 + index }),
          ]),
        ),
      );
      assert.equal(attempts.filter(Boolean).length, 1);
      const keys = await store().listSigningKeys(p.projectId);
      assert.deepEqual(keys.map((key) => key.state).sort(), ["current", "next"]);
    });

    it("instanceSecret created concurrently on several nodes yields one value", async () => {
      const name = uid("sealing-key");
      const candidates = times(12, () => randomBytes(32));
      const values = await Promise.all(candidates.map((candidate, index) => node(index).instanceSecret(name, () => candidate)));
      const distinct = new Set(values.map((value) => value.toString("hex")));
      assert.equal(distinct.size, 1);
      assert.ok(candidates.some((candidate) => candidate.equals(values[0]!)));
      assert.deepEqual(await store().instanceSecret(name, () => randomBytes(32)), values[0]);
    });

    it("a commit requiring a live origin session never mints a session after the origin's revocation committed", async () => {
      const m = await newMember(store());
      const rounds = 24;
      const outcomes = await Promise.all(
        times(rounds, async (index) => {
          const origin = session(m, { expiresAt: T0 + HOUR });
          await store().insertSession(origin, tokenHash());
          const minted = session(m, { startedAt: T0 + MINUTE, expiresAt: T0 + 2 * HOUR });
          const recipient = `exchange.${uid("r").slice(-12)}@example.com`;
          // The check comes first and the new session last, with other writes between, so a check
          // that does not hold the origin until commit leaves a wide window for the revoke.
          const exchange = node(index).commit([
            { kind: "require_live_session", projectId: m.projectId, sessionId: origin.sessionId, now: T0 + MINUTE },
            ...times(15, (): Change => ({ kind: "enqueue_message", message: outboxMessage(m.projectId, { recipient, nextAttemptAt: T0 + 1000 * HOUR }) })),
            { kind: "insert_session", session: minted, tokenHash: tokenHash() },
          ]);
          await sleep(index % 4);
          const revoked = await node(index + 1).revokeSession(m.projectId, origin.sessionId, T0 + MINUTE);
          // The revoke has committed; whatever is not visible now commits after it.
          const visibleAtRevoke = (await node(index + 2).findSession(m.projectId, minted.sessionId)) !== null;
          const result = await exchange;
          return { revoked, visibleAtRevoke, result, minted, recipient };
        }),
      );
      for (const { revoked, visibleAtRevoke, result, minted, recipient } of outcomes) {
        assert.equal(revoked, true);
        const stored = await store().findSession(m.projectId, minted.sessionId);
        const messages = await store().listOutboxMessages(m.projectId, recipient, 100);
        if (result.ok) {
          assert.ok(visibleAtRevoke, "the exchange committed after the revoke of its origin");
          assert.deepEqual(stored, minted);
          assert.equal(messages.length, 15);
        } else {
          assert.deepEqual(result, { ok: false, failed: "require_live_session", index: 0 });
          assert.equal(stored, null);
          assert.equal(messages.length, 0);
        }
      }
    });
  });
}
