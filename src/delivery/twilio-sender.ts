/**
 * @module SMS through Twilio's Programmable Messaging REST API: `POST
 * {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`, `From`, `Body`,
 * HTTP Basic `AccountSid:AuthToken`. Twilio answers 201 with the message resource; anything else
 * rejects, and the outbox worker retries with backoff. Errors carry Twilio's code and message,
 * never the text (it holds the passcode).
 */
import type { SmsMessage, SmsSender } from "./senders.js";

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** An E.164 number (or a messaging service / alphanumeric sender id Twilio accepts in `From`). */
  fromNumber: string;
  /** Defaults to https://api.twilio.com; tests point it at a local fake. */
  baseUrl?: string;
  timeoutMs?: number;
}

export const TWILIO_DEFAULT_BASE_URL = "https://api.twilio.com";

export class TwilioSmsSender implements SmsSender {
  readonly name = "twilio";
  private readonly endpoint: string;
  private readonly authorization: string;

  constructor(private readonly options: TwilioOptions) {
    const base = (options.baseUrl ?? TWILIO_DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.endpoint = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
  }

  async sendSms(message: SmsMessage): Promise<void> {
    const form = new URLSearchParams({ To: message.to, From: this.options.fromNumber, Body: message.body });
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        headers: {
          authorization: this.authorization,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new Error(`Twilio unreachable: ${cause}`);
    }
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) {
      let detail = "";
      try {
        const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
        detail = ` (Twilio error ${String(parsed.code ?? "?")}: ${String(parsed.message ?? "").slice(0, 200)})`;
      } catch {
        // Not JSON (a proxy's error page, say): the status is all we report.
      }
      throw new Error(`Twilio answered HTTP ${response.status}${detail}`);
    }
    // A 2xx is acceptance; Twilio's `status` (queued, accepted …) and `sid` are informational here.
  }
}
