/**
 * @module Issuing SMS passcodes: a 6-digit code from a CSPRNG, valid two minutes, stored only as a
 * keyed hash, superseding the previous code for the member, queued for delivery in the same
 * commit. Used by `otps/sms/send` and by the pre-emptive send of logins and exchange.
 */
import type { Member, OneTimeSecret, Organization, Project } from "../domain/types.js";
import { newNumericCode } from "../crypto/codes.js";
import { newStytchId } from "../crypto/random.js";
import type { Locale } from "../messages/locales.js";
import { smsOtpText } from "../messages/sms-templates.js";
import type { Change } from "../store/store.js";
import type { ServiceContext } from "./context.js";
import type { InstanceKeys } from "./instance-keys.js";
import type { OutboxService } from "./outbox.js";

export const SMS_OTP_TTL_MS = 2 * 60_000;
export const SMS_OTP_MAX_ATTEMPTS = 5;
/** Sends per phone number and per member within one window. */
export const SMS_SENDS_PER_WINDOW = 5;
export const SMS_SEND_WINDOW_MS = 60_000;

export function smsOtpSubject(memberId: string): string {
  return `member:${memberId}`;
}

export class SmsOtpService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly instanceKeys: InstanceKeys,
    private readonly outbox: OutboxService,
  ) {}

  /** Counts a send against the phone's and the member's limits; false when either is spent. */
  async withinSendLimits(project: Project, member: Member, phoneNumber: string): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const now = this.ctx.clock.now();
    // Both counters in one go: they share one write transaction.
    const hits = await Promise.all(
      [`sms-send:phone:${phoneNumber}`, `sms-send:member:${project.projectId}:${member.memberId}`].map((key) =>
        this.ctx.store.hitRateLimit(key, SMS_SEND_WINDOW_MS, SMS_SENDS_PER_WINDOW, now),
      ),
    );
    return hits.find((hit) => !hit.allowed) ?? { allowed: true, retryAfterMs: 0 };
  }

  /** The changes that issue a fresh code to `phoneNumber` for `member` and queue the SMS. */
  async prepareSend(project: Project, organization: Organization, member: Member, phoneNumber: string, locale: Locale): Promise<Change[]> {
    const now = this.ctx.clock.now();
    const code = newNumericCode(this.ctx.random);
    const secret: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("otp-sms", project.environment, this.ctx.random),
      purpose: "sms_otp",
      subject: smsOtpSubject(member.memberId),
      secretHash: await this.instanceKeys.hashCode("sms_otp", code),
      organizationId: organization.organizationId,
      memberId: member.memberId,
      details: { phone_number: phoneNumber, locale },
      attempts: 0,
      maxAttempts: SMS_OTP_MAX_ATTEMPTS,
      createdAt: now,
      expiresAt: now + SMS_OTP_TTL_MS,
      consumedAt: null,
    };
    const message = await this.outbox.enqueue(project, {
      channel: "sms",
      recipient: phoneNumber,
      subject: "",
      text: smsOtpText(locale, code, SMS_OTP_TTL_MS / 60_000),
      html: "",
      locale,
      code,
    });
    return [{ kind: "insert_one_time_secret", secret, supersedePrevious: true }, message];
  }
}
