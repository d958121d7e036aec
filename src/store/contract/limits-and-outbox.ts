/**
 * @module Store contract: failure counters, fixed-window rate limits, the message outbox (lease,
 * delivery, retry, give-up, test-project listing), security events, pool figures, member device
 * sightings and instance secrets.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type { OutboxMessage, SecurityEvent } from "../../domain/types.js";
import type { Store } from "../store.js";
import { MINUTE, T0, outboxMessage, project, securityEvent, uid } from "./fixtures.js";
import { freshStore, type StoreFactory } from "./harness.js";

async function newProjectId(store: Store): Promise<string> {
  const p = project();
  await store.insertProject(p);
  return p.projectId;
}

async function enqueue(store: Store, messages: OutboxMessage[]): Promise<void> {
  assert.deepEqual(await store.commit(messages.map((message) => ({ kind: "enqueue_message", message }))), { ok: true });
}

export function limitsAndOutboxContract(makeStore: StoreFactory): void {
  describe("failure counters and rate limits", () => {
    const store = freshStore(makeStore);

    it("incrementFailureCounter counts per project and key; reset_failure_counter sets it back to zero", async () => {
      const projectId = await newProjectId(store());
      const key = `password:${uid("member")}`;
      assert.equal(await store().getFailureCounter(projectId, key), 0);
      assert.equal(await store().incrementFailureCounter(projectId, key, T0), 1);
      assert.equal(await store().incrementFailureCounter(projectId, key, T0 + 1), 2);
      assert.equal(await store().incrementFailureCounter(projectId, `${key}.other`, T0), 1);
      assert.equal(await store().incrementFailureCounter(uid("project-test"), key, T0), 1);
      assert.equal(await store().getFailureCounter(projectId, key), 2);
      assert.deepEqual(await store().commit([{ kind: "reset_failure_counter", projectId, key }]), { ok: true });
      assert.equal(await store().getFailureCounter(projectId, key), 0);
      assert.equal(await store().getFailureCounter(projectId, `${key}.other`), 1);
      assert.equal(await store().incrementFailureCounter(projectId, key, T0 + 2), 1);
      // Resetting a counter that does not exist is not a failure.
      assert.deepEqual(await store().commit([{ kind: "reset_failure_counter", projectId, key: uid("nothing") }]), { ok: true });
    });

    it("hitRateLimit allows `limit` hits per window, says how long until the window ends, and starts over in the next", async () => {
      const key = uid("sms-send");
      const windowMs = 10 * MINUTE;
      const windowStart = T0 - (T0 % windowMs);
      const results = [];
      for (let index = 0; index < 5; index++) results.push(await store().hitRateLimit(key, windowMs, 3, T0 + index));
      assert.deepEqual(results.slice(0, 3), [
        { allowed: true, retryAfterMs: 0 },
        { allowed: true, retryAfterMs: 0 },
        { allowed: true, retryAfterMs: 0 },
      ]);
      assert.deepEqual(results[3], { allowed: false, retryAfterMs: windowStart + windowMs - (T0 + 3) });
      assert.deepEqual(results[4], { allowed: false, retryAfterMs: windowStart + windowMs - (T0 + 4) });
      assert.deepEqual(await store().hitRateLimit(`${key}.other`, windowMs, 3, T0), { allowed: true, retryAfterMs: 0 });
      const next = windowStart + windowMs;
      assert.deepEqual(await store().hitRateLimit(key, windowMs, 3, next), { allowed: true, retryAfterMs: 0 });
      assert.deepEqual(await store().hitRateLimit(key, windowMs, 3, next + 1), { allowed: true, retryAfterMs: 0 });
      assert.deepEqual(await store().hitRateLimit(key, windowMs, 3, next + windowMs - 1), { allowed: true, retryAfterMs: 0 });
      assert.deepEqual(await store().hitRateLimit(key, windowMs, 3, next + windowMs - 1), { allowed: false, retryAfterMs: 1 });
    });

    it("a hit stamped in an earlier window (a node whose clock is behind) counts against the current window instead of resetting it", async () => {
      const key = uid("sms-send");
      const windowMs = MINUTE;
      const boundary = T0 - (T0 % windowMs) + windowMs;
      const allowed: boolean[] = [];
      // Two nodes, one a little behind, alternate across the boundary: 6 hits with a limit of 3 in
      // the new window must not all pass by each resetting the other's window.
      for (let index = 0; index < 6; index++) {
        const now = index % 2 === 0 ? boundary + 10 : boundary - 10;
        allowed.push((await store().hitRateLimit(key, windowMs, 3, now)).allowed);
      }
      assert.deepEqual(allowed, [true, true, true, false, false, false]);
      const late = await store().hitRateLimit(key, windowMs, 3, boundary - 10);
      assert.deepEqual(late, { allowed: false, retryAfterMs: windowMs + 10 });
    });
  });

  // Claims see every project's messages, so each outbox case has a database of its own.
  describe("outbox: leases", () => {
    const store = freshStore(makeStore);

    it("claimOutboxMessages leases due pending messages, earliest first, counting the attempt; not again until the lease ends", async () => {
      const projectId = await newProjectId(store());
      const base = T0 + 1000 * MINUTE;
      const first = outboxMessage(projectId, { nextAttemptAt: base - 3 });
      const second = outboxMessage(projectId, { nextAttemptAt: base - 2, channel: "sms", htmlBody: "", magicLinksToken: null });
      const third = outboxMessage(projectId, { nextAttemptAt: base - 1 });
      const notDue = outboxMessage(projectId, { nextAttemptAt: base + 1 });
      await enqueue(store(), [third, notDue, first, second]);
      const pendingBefore = await store().countPendingOutboxMessages();

      const claimed = await store().claimOutboxMessages(base, 30_000, 2);
      assert.deepEqual(claimed, [
        { ...first, attempts: 1 },
        { ...second, attempts: 1 },
      ]);
      const [leased] = await store().listOutboxMessages(projectId, first.recipient, 1);
      assert.deepEqual(leased, { ...first, attempts: 1, nextAttemptAt: base + 30_000 }, "the lease pushes the due time forward");
      assert.deepEqual(await store().claimOutboxMessages(base, 30_000, 10), [{ ...third, attempts: 1 }]);
      assert.deepEqual(await store().claimOutboxMessages(base, 30_000, 10), []);
      assert.equal(await store().countPendingOutboxMessages(), pendingBefore, "leased messages are still pending");
      // A worker that died leaves its lease to run out; the message is then claimed again. The
      // message due at base + 1 comes before the three whose leases ended at base + 30 000.
      const again = await store().claimOutboxMessages(base + 30_000, 30_000, 10);
      assert.deepEqual(again[0], { ...notDue, attempts: 1 });
      assert.deepEqual(
        again.slice(1).map((message) => `${message.messageId} ${message.attempts}`).sort(),
        [first, second, third].map((message) => `${message.messageId} 2`).sort(),
      );
    });

  });

  describe("outbox: delivery", () => {
    const store = freshStore(makeStore);

    it("markOutboxDelivered stops delivery; it redacts body, HTML, token and code when asked to", async () => {
      const projectId = await newProjectId(store());
      const base = T0 + 2000 * MINUTE;
      const redacted = outboxMessage(projectId, { nextAttemptAt: base });
      const kept = outboxMessage(projectId, { nextAttemptAt: base });
      await enqueue(store(), [redacted, kept]);
      const pendingBefore = await store().countPendingOutboxMessages();
      await store().claimOutboxMessages(base, 30_000, 10);
      await store().markOutboxDelivered(redacted.messageId, base + 5, true);
      await store().markOutboxDelivered(kept.messageId, base + 6, false);
      assert.equal(await store().countPendingOutboxMessages(), pendingBefore - 2);
      assert.deepEqual(await store().listOutboxMessages(projectId, redacted.recipient, 10), [
        {
          ...redacted,
          body: "",
          htmlBody: "",
          magicLinksToken: null,
          code: null,
          status: "delivered",
          attempts: 1,
          nextAttemptAt: base + 30_000,
          deliveredAt: base + 5,
        },
      ]);
      assert.deepEqual(await store().listOutboxMessages(projectId, kept.recipient, 10), [
        { ...kept, status: "delivered", attempts: 1, nextAttemptAt: base + 30_000, deliveredAt: base + 6 },
      ]);
      assert.deepEqual(await store().claimOutboxMessages(base + HOURS_LATER, 30_000, 10), []);
    });

  });

  describe("outbox: failures", () => {
    const store = freshStore(makeStore);

    it("markOutboxFailed schedules a retry (error kept, cut to 500 characters) or gives up with a null next attempt", async () => {
      const projectId = await newProjectId(store());
      const base = T0 + 3000 * MINUTE;
      const retried = outboxMessage(projectId, { nextAttemptAt: base });
      const givenUp = outboxMessage(projectId, { nextAttemptAt: base });
      await enqueue(store(), [retried, givenUp]);
      const pendingBefore = await store().countPendingOutboxMessages();
      await store().claimOutboxMessages(base, 30_000, 10);
      const longError = `SMTP 451 ${"é".repeat(600)}`;
      await store().markOutboxFailed(retried.messageId, longError, base + 2000);
      await store().markOutboxFailed(givenUp.messageId, "mailbox unavailable", null);
      assert.equal(await store().countPendingOutboxMessages(), pendingBefore - 1);
      const [afterRetry] = await store().listOutboxMessages(projectId, retried.recipient, 1);
      assert.deepEqual(afterRetry, { ...retried, attempts: 1, nextAttemptAt: base + 2000, lastError: longError.slice(0, 500) });
      const [afterGiveUp] = await store().listOutboxMessages(projectId, givenUp.recipient, 1);
      assert.deepEqual(afterGiveUp, { ...givenUp, attempts: 1, status: "failed", nextAttemptAt: base + 30_000, lastError: "mailbox unavailable" });
      assert.deepEqual(await store().claimOutboxMessages(base + 1999, 30_000, 10), []);
      assert.deepEqual(
        (await store().claimOutboxMessages(base + 2000, 30_000, 10)).map((message) => [message.messageId, message.attempts]),
        [[retried.messageId, 2]],
      );
    });

  });

  describe("outbox: listing", () => {
    const store = freshStore(makeStore);

    it("listOutboxMessages: one project's messages to one recipient, newest first, at most `limit`", async () => {
      const projectId = await newProjectId(store());
      const recipient = `+1555${randomBytes(3).readUIntBE(0, 3)}`;
      const base = T0 + 4000 * MINUTE;
      const messages = [0, 1, 2, 3].map((index) => outboxMessage(projectId, { recipient, channel: "sms", createdAt: base + index, nextAttemptAt: base + HOURS_LATER }));
      // Two in the same millisecond: the one enqueued later is listed first.
      const sameInstant = outboxMessage(projectId, { recipient, channel: "sms", createdAt: base + 3, nextAttemptAt: base + HOURS_LATER });
      await enqueue(store(), messages);
      await enqueue(store(), [sameInstant]);
      await enqueue(store(), [outboxMessage(projectId, { nextAttemptAt: base + HOURS_LATER }), outboxMessage(await newProjectId(store()), { recipient, nextAttemptAt: base + HOURS_LATER })]);
      assert.deepEqual(await store().listOutboxMessages(projectId, recipient, 3), [sameInstant, messages[3], messages[2]]);
      assert.equal((await store().listOutboxMessages(projectId, recipient, 10)).length, 5);
      assert.deepEqual(await store().listOutboxMessages(projectId, `${recipient}0`, 10), []);
    });
  });

  // Listing all projects' events needs a database that holds only this case's events.
  describe("security events", () => {
    const store = freshStore(makeStore);

    it("recordSecurityEvent keeps every field; listSecurityEvents is newest first, per project or all, from sinceAt, at most limit", async () => {
      const projectId = await newProjectId(store());
      const otherProjectId = await newProjectId(store());
      const events = [
        securityEvent(projectId, { createdAt: T0 }),
        securityEvent(projectId, { createdAt: T0 + 10, kind: "exchange", outcome: "refused", reason: "session_not_found", sessionIdHash: "" }),
        securityEvent(otherProjectId, { createdAt: T0 + 20, kind: "revocation", outcome: "revoked", organizationId: "", memberId: "" }),
        // Recorded later with an earlier timestamp (another node's clock): order is recording order.
        securityEvent(projectId, { createdAt: T0 + 5, kind: "step_up", outcome: "intermediate_session", ipAddress: "", userAgent: "" }),
      ];
      for (const event of events) await store().recordSecurityEvent(event);
      const [first, second, third, fourth] = events as [SecurityEvent, SecurityEvent, SecurityEvent, SecurityEvent];
      assert.deepEqual(await store().listSecurityEvents(projectId, { limit: 10 }), [fourth, second, first]);
      assert.deepEqual(await store().listSecurityEvents(projectId, { limit: 2 }), [fourth, second]);
      assert.deepEqual(await store().listSecurityEvents(projectId, { sinceAt: T0 + 5, limit: 10 }), [fourth, second]);
      assert.deepEqual(await store().listSecurityEvents(otherProjectId, { limit: 10 }), [third]);
      assert.deepEqual(await store().listSecurityEvents(null, { limit: 10 }), [fourth, third, second, first]);
      assert.deepEqual(await store().listSecurityEvents(null, { sinceAt: T0 + 11, limit: 10 }), [third]);
      assert.deepEqual(await store().listSecurityEvents(uid("project-test"), { limit: 10 }), []);
    });

    it("poolStats reports connection counts that add up", async () => {
      await store().ping();
      const { total, idle, waiting } = store().poolStats();
      for (const value of [total, idle, waiting]) assert.ok(Number.isInteger(value) && value >= 0, `not a count: ${value}`);
      assert.ok(total >= 1, "no connection after a successful ping");
      assert.ok(idle <= total);
    });
  });

  describe("member devices and instance secrets", () => {
    const store = freshStore(makeStore);

    it("recordMemberDevice reports when the device and the IP address were first seen, null when new", async () => {
      const projectId = await newProjectId(store());
      const memberId = uid("member-test");
      const visitorId = uid("visitor");
      const sight = (overrides: { visitorId?: string; ipAddress?: string; memberId?: string; now: number }) =>
        store().recordMemberDevice({ projectId, memberId, visitorId, ipAddress: "203.0.113.7", userAgent: "Mozilla/5.0 (X11) ünï", ...overrides });
      assert.deepEqual(await sight({ now: T0 }), { visitorFirstSeenAt: null, ipFirstSeenAt: null });
      assert.deepEqual(await sight({ now: T0 + 5 }), { visitorFirstSeenAt: T0, ipFirstSeenAt: T0 });
      assert.deepEqual(await sight({ now: T0 + 6, ipAddress: "2001:db8::1" }), { visitorFirstSeenAt: T0, ipFirstSeenAt: null });
      assert.deepEqual(await sight({ now: T0 + 7, visitorId: uid("visitor") }), { visitorFirstSeenAt: null, ipFirstSeenAt: T0 });
      assert.deepEqual(await sight({ now: T0 + 8, ipAddress: "2001:db8::1" }), { visitorFirstSeenAt: T0, ipFirstSeenAt: T0 + 6 });
      // No IP address: nothing to compare, nothing recorded.
      assert.deepEqual(await sight({ now: T0 + 9, ipAddress: "" }), { visitorFirstSeenAt: T0, ipFirstSeenAt: null });
      assert.deepEqual(await sight({ now: T0 + 10, ipAddress: "" }), { visitorFirstSeenAt: T0, ipFirstSeenAt: null });
      // Per member.
      assert.deepEqual(await sight({ now: T0 + 11, memberId: uid("member-test") }), { visitorFirstSeenAt: null, ipFirstSeenAt: null });
    });

    it("instanceSecret creates a secret on first use and returns the same bytes ever after", async () => {
      const name = uid("hmac-key");
      const value = Buffer.concat([Buffer.from([0x00, 0xff]), randomBytes(30)]);
      let created = 0;
      const create = (): Buffer => {
        created++;
        return value;
      };
      assert.deepEqual(await store().instanceSecret(name, create), value);
      assert.deepEqual(await store().instanceSecret(name, () => randomBytes(32)), value);
      assert.equal(created, 1);
      const other = await store().instanceSecret(`${name}.other`, () => randomBytes(32));
      assert.notDeepEqual(other, value);
      assert.deepEqual(await store().instanceSecret(name, () => randomBytes(32)), value);
    });
  });
}

const HOURS_LATER = 100 * 60 * MINUTE;
