/**
 * @module Forwards security events to a webhook: JSON POST signed like every Tessera webhook,
 * `X-Tessera-Timestamp` and `X-Tessera-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
 */
import { createHmac } from "node:crypto";

export function signWebhookBody(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex")}`;
}

export class EventWebhook {
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs = 2000,
  ) {}

  async send(payload: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(this.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-tessera-timestamp": String(timestamp),
        "x-tessera-signature": signWebhookBody(this.secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`event webhook answered ${response.status}`);
  }
}
