/** @module The SMS sender the configuration asks for: Twilio, a signed webhook, or none (test outbox only). */
import type { Config } from "../config.js";
import type { Clock } from "../domain/time.js";
import type { SmsSender } from "./senders.js";
import { TwilioSmsSender } from "./twilio-sender.js";
import { WebhookSmsSender } from "./webhook-sender.js";

export function smsSenderFromConfig(config: Config, clock?: Clock): SmsSender | null {
  if (config.twilio) {
    return new TwilioSmsSender({
      accountSid: config.twilio.accountSid,
      authToken: config.twilio.authToken,
      fromNumber: config.twilio.fromNumber,
      ...(config.twilio.baseUrl ? { baseUrl: config.twilio.baseUrl } : {}),
    });
  }
  if (config.smsWebhook) return new WebhookSmsSender({
      url: config.smsWebhook.url,
      secret: config.smsWebhook.secret,
      ...(clock ? { now: () => clock.now() } : {}),
    });
  return null;
}
