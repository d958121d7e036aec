/**
 * @module SMS through any gateway of your own: a JSON POST `{to, body, locale, message_id?,
 * sent_at}` signed like Stripe-style webhooks. Headers `X-Tessera-Timestamp: <unix seconds>` and
 * `X-Tessera-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. Receivers
 * verify with `verifyWebhookSignature` (or the recipe in docs/mfa.md): recompute over the raw
 * bytes, compare in constant time, and refuse timestamps older than a few minutes. A 2xx answer
 * is acceptance; anything else rejects and the outbox worker retries (same `message_id`).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { SmsMessage, SmsSender } from "./senders.js";

export const TIMESTAMP_HEADER = "X-Tessera-Timestamp";
export const SIGNATURE_HEADER = "X-Tessera-Signature";
/** Receivers should refuse deliveries whose timestamp is further than this from their clock. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs?: number;
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
}

/** `v1=<hex>` over `"<timestamp>.<raw body>"`. */
export function webhookSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`, "utf8").digest("hex")}`;
}

/**
 * Whether a delivery is authentic: the signature header holds a `v1=` value matching the raw
 * body and timestamp, and the timestamp is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhookSignature(options: {
  secret: string;
  timestamp: string | null | undefined;
  signatureHeader: string | null | undefined;
  rawBody: string;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): boolean {
  const { timestamp, signatureHeader } = options;
  if (!timestamp || !signatureHeader || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(webhookSignature(options.secret, timestamp, options.rawBody), "utf8");
  // Several comma-separated values are allowed, so a receiver can accept old and new secrets during rotation.
  return signatureHeader.split(",").some((candidate) => {
    const given = Buffer.from(candidate.trim(), "utf8");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export class WebhookSmsSender implements SmsSender {
  readonly name = "webhook";

  constructor(private readonly options: WebhookOptions) {}

  async sendSms(message: SmsMessage): Promise<void> {
    const nowMs = (this.options.now ?? Date.now)();
    const timestamp = String(Math.floor(nowMs / 1000));
    const rawBody = JSON.stringify({
      to: message.to,
      body: message.body,
      locale: message.locale,
      ...(message.messageId !== undefined ? { message_id: message.messageId } : {}),
      sent_at: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Tessera-SMS-Webhook/1",
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: webhookSignature(this.options.secret, timestamp, rawBody),
        },
        body: rawBody,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new Error(`SMS webhook unreachable: ${cause}`);
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.status < 200 || response.status >= 300) throw new Error(`SMS webhook answered HTTP ${response.status}`);
  }
}
