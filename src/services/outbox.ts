/**
 * @module The message outbox: messages are written in the same transaction as what caused them
 * and delivered after commit by the worker, so a provider outage neither loses a message nor
 * fails the request. Bodies, tokens and codes are sealed at rest; a live project's delivered
 * messages are redacted. Test projects keep theirs readable through `GET /v1/test/outbox`.
 */
import type { MessageChannel, OutboxMessage, Project } from "../domain/types.js";
import { newStytchId } from "../crypto/random.js";
import type { Senders } from "../delivery/senders.js";
import { AppError } from "../errors.js";
import type { Change } from "../store/store.js";
import type { ServiceContext } from "./context.js";
import type { InstanceKeys } from "./instance-keys.js";

export interface MessageContent {
  channel: MessageChannel;
  recipient: string;
  subject: string;
  text: string;
  html: string;
  locale: string;
  /** The secret the message carries, kept (sealed) for the test outbox. */
  magicLinksToken?: string;
  code?: string;
}

/** A message as the test outbox shows it, unsealed. */
export interface ReadableMessage {
  message_id: string;
  channel: MessageChannel;
  to: string;
  subject: string;
  body: string;
  locale: string;
  created_at: number;
  status: OutboxMessage["status"];
  magic_links_token?: string;
  code?: string;
}

export class OutboxService {
  /** Called after a commit that enqueued something, to deliver without waiting for the next poll. */
  onEnqueued: () => void = () => {};

  constructor(
    private readonly ctx: ServiceContext,
    private readonly instanceKeys: InstanceKeys,
    private readonly senders: Senders,
  ) {}

  /** Refuses up front when a live project has no way to deliver on this channel: say why, lose nothing. */
  assertCanDeliver(project: Project, channel: MessageChannel): void {
    if (project.environment === "test") return;
    if (channel === "email" && !this.senders.email) {
      throw new AppError("email_delivery_not_configured");
    }
    if (channel === "sms" && !this.senders.sms) {
      throw new AppError("sms_delivery_not_configured");
    }
  }

  /** The change that enqueues `content` for `project` (to be committed with its cause). */
  async enqueue(project: Project, content: MessageContent): Promise<Change> {
    this.assertCanDeliver(project, content.channel);
    const now = this.ctx.clock.now();
    const message: OutboxMessage = {
      projectId: project.projectId,
      messageId: newStytchId("message", project.environment, this.ctx.random),
      channel: content.channel,
      recipient: content.channel === "email" ? content.recipient.toLowerCase() : content.recipient,
      subject: content.subject,
      body: await this.instanceKeys.seal(content.text),
      htmlBody: content.html === "" ? "" : await this.instanceKeys.seal(content.html),
      locale: content.locale,
      magicLinksToken: content.magicLinksToken === undefined ? null : await this.instanceKeys.seal(content.magicLinksToken),
      code: content.code === undefined ? null : await this.instanceKeys.seal(content.code),
      status: "pending",
      attempts: 0,
      nextAttemptAt: now,
      lastError: "",
      createdAt: now,
      deliveredAt: null,
    };
    return { kind: "enqueue_message", message };
  }

  /** A test project's messages to `recipient`, newest first, with bodies and secrets readable. */
  async listForTestProject(project: Project, recipient: string, limit = 20): Promise<ReadableMessage[]> {
    const normalized = recipient.includes("@") ? recipient.toLowerCase() : recipient;
    const messages = await this.ctx.store.listOutboxMessages(project.projectId, normalized, limit);
    const readable: ReadableMessage[] = [];
    for (const message of messages) {
      readable.push({
        message_id: message.messageId,
        channel: message.channel,
        to: message.recipient,
        subject: message.subject,
        body: message.body === "" ? "" : await this.instanceKeys.open(message.body),
        locale: message.locale,
        created_at: message.createdAt,
        status: message.status,
        ...(message.magicLinksToken ? { magic_links_token: await this.instanceKeys.open(message.magicLinksToken) } : {}),
        ...(message.code ? { code: await this.instanceKeys.open(message.code) } : {}),
      });
    }
    return readable;
  }
}
