/**
 * @module Drains the outbox: leases due messages, hands each to its channel's sender, and marks it
 * delivered or schedules a retry with exponential backoff. Several workers (one per node) can run
 * at once: a lease keeps a message with one worker at a time.
 */
import type { Logger } from "pino";
import type { OutboxMessage } from "../domain/types.js";
import type { Senders } from "../delivery/senders.js";
import type { ServiceContext } from "./context.js";
import type { InstanceKeys } from "./instance-keys.js";

export const LEASE_MS = 30_000;
export const MAX_DELIVERY_ATTEMPTS = 25;
const BATCH_SIZE = 50;

/** Seconds before retry n (1-based): 1, 2, 4 … capped at five minutes. */
export function retryDelayMs(attempt: number): number {
  return Math.min(2 ** (attempt - 1), 300) * 1000;
}

export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<number> | undefined;
  private drainAgain = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly instanceKeys: InstanceKeys,
    private readonly senders: Senders,
    /** Which projects are test projects (their messages need no sender: the test outbox is their destination). */
    private readonly isTestProject: (projectId: string) => Promise<boolean>,
    private readonly logger: Logger | undefined,
  ) {}

  start(pollIntervalMs = 1000): void {
    this.timer ??= setInterval(() => this.kick(), pollIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.draining;
  }

  /** Drains now (coalescing concurrent kicks). */
  kick(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drain()
      .catch((error: unknown) => {
        this.logger?.warn({ err: error }, "outbox drain failed; will retry");
        return 0;
      })
      .finally(() => {
        this.draining = undefined;
        if (this.drainAgain) {
          this.drainAgain = false;
          this.kick();
        }
      });
  }

  /** Delivers everything due now; returns how many messages were delivered. */
  async drain(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const batch = await this.ctx.store.claimOutboxMessages(this.ctx.clock.now(), LEASE_MS, BATCH_SIZE);
      if (batch.length === 0) return delivered;
      for (const message of batch) if (await this.deliver(message)) delivered++;
    }
  }

  private async deliver(message: OutboxMessage): Promise<boolean> {
    const isTest = await this.isTestProject(message.projectId);
    try {
      const text = await this.instanceKeys.open(message.body);
      if (message.channel === "email") {
        if (this.senders.email) {
          const html = message.htmlBody === "" ? "" : await this.instanceKeys.open(message.htmlBody);
          await this.senders.email.sendEmail({ to: message.recipient, subject: message.subject, text, html, locale: message.locale });
        } else if (!isTest) {
          throw new Error("no email sender is configured (SMTP_URL)");
        }
      } else if (this.senders.sms) {
        await this.senders.sms.sendSms({ to: message.recipient, body: text, locale: message.locale, messageId: message.messageId });
      } else if (!isTest) {
        throw new Error("no SMS sender is configured (TWILIO_* or SMS_WEBHOOK_URL)");
      }
      // Test projects keep the message readable for their outbox; live ones keep no secret once it is out.
      await this.ctx.store.markOutboxDelivered(message.messageId, this.ctx.clock.now(), !isTest);
      this.logger?.info({ message_id: message.messageId, channel: message.channel }, "message delivered");
      return true;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const nextAttemptAt = message.attempts >= MAX_DELIVERY_ATTEMPTS ? null : this.ctx.clock.now() + retryDelayMs(message.attempts);
      await this.ctx.store.markOutboxFailed(message.messageId, reason, nextAttemptAt);
      this.logger?.warn({ message_id: message.messageId, channel: message.channel, attempts: message.attempts, reason }, "message delivery failed");
      return false;
    }
  }
}
