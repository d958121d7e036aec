/**
 * @module The email port over SMTP (nodemailer): `SMTP_URL` names the server
 * (`smtp://user:pass@host:587`, STARTTLS when the server offers it; `smtps://…:465` for implicit
 * TLS) and `EMAIL_FROM` the sender. The outbox worker is the only caller: a rejected send is
 * retried by it, so this adapter does no retrying of its own.
 */
import nodemailer, { type Transporter } from "nodemailer";
import type { EmailMessage, EmailSender } from "./senders.js";

export interface SmtpSenderOptions {
  /** `smtp://[user:pass@]host[:port]` or `smtps://…`. */
  url: string;
  /** `Name <address>` or a bare address. */
  from: string;
  /** Milliseconds to wait for the connection, greeting and each command (default 10 s). */
  timeoutMs?: number;
}

/** The URL with its password replaced, fit for logs and error messages. */
export function redactSmtpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable SMTP_URL)";
  }
}

export class SmtpEmailSender implements EmailSender {
  readonly name: string;
  private readonly transport: Transporter;
  private readonly from: string;

  constructor(options: SmtpSenderOptions) {
    const timeout = options.timeoutMs ?? 10_000;
    this.name = `smtp ${redactSmtpUrl(options.url)}`;
    this.from = options.from;
    // The URL form keeps user, password, host, port and TLS mode in one setting; timeouts are ours.
    this.transport = nodemailer.createTransport(options.url, {
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 3,
    });
  }

  async sendEmail(message: EmailMessage): Promise<void> {
    const info = await this.transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html !== "" ? { html: message.html } : {}),
      headers: { "Content-Language": message.locale },
    });
    // nodemailer resolves even when some recipients were refused; for a single recipient that is a failure.
    const rejected = (info as { rejected?: unknown[] }).rejected ?? [];
    if (rejected.length > 0) throw new Error(`the SMTP server refused the recipient (${rejected.length})`);
  }

  close(): void {
    this.transport.close();
  }
}
