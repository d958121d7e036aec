/**
 * @module The ports through which messages leave the server. Adapters (SMTP, Twilio, webhook)
 * implement them; the outbox worker is their only caller.
 */

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  locale: string;
}

export interface SmsMessage {
  to: string;
  body: string;
  locale: string;
  /** The outbox message id: the same on every retry, so a receiver can drop duplicates. */
  messageId?: string;
}

export interface EmailSender {
  readonly name: string;
  /** Resolves when the provider accepted the message; rejects (to be retried) otherwise. */
  sendEmail(message: EmailMessage): Promise<void>;
}

export interface SmsSender {
  readonly name: string;
  sendSms(message: SmsMessage): Promise<void>;
}

export interface Senders {
  email: EmailSender | null;
  sms: SmsSender | null;
}
