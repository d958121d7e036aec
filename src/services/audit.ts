/**
 * @module The security audit trail: one event per authentication, exchange, step-up, revocation
 * and refusal — request id, project, hashed session id, target organization, outcome, reason, IP,
 * user agent; never a secret. Stored in the database (queryable with `tessera events`) and
 * optionally forwarded to a webhook. Recording never fails or delays the request it describes.
 */
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { rfc3339 } from "../domain/time.js";
import type { SecurityEvent } from "../domain/types.js";
import { newStytchId } from "../crypto/random.js";
import type { EventWebhook } from "../delivery/event-webhook.js";
import type { ServiceContext } from "./context.js";

export type SecurityEventInput = Omit<SecurityEvent, "eventId" | "createdAt" | "sessionIdHash"> & { sessionId?: string };

/** Session ids are not secrets, but the trail need not hold them in the clear either. */
export function hashSessionId(sessionId: string): string {
  return sessionId === "" ? "" : createHash("sha256").update(sessionId).digest("hex").slice(0, 32);
}

export function securityEventToJson(event: SecurityEvent): Record<string, unknown> {
  return {
    event_id: event.eventId,
    project_id: event.projectId,
    request_id: event.requestId,
    kind: event.kind,
    outcome: event.outcome,
    reason: event.reason,
    route: event.route,
    organization_id: event.organizationId,
    member_id: event.memberId,
    session_id_hash: event.sessionIdHash,
    ip_address: event.ipAddress,
    user_agent: event.userAgent,
    created_at: rfc3339(event.createdAt),
  };
}

export class AuditService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly webhook: EventWebhook | null,
    private readonly logger?: Logger,
  ) {}

  /** Records `input` in the background (it joins the next group commit); failures are logged, never thrown. */
  record(input: SecurityEventInput): void {
    const { sessionId, ...rest } = input;
    const event: SecurityEvent = {
      ...rest,
      eventId: newStytchId("event", rest.projectId.startsWith("project-live-") ? "live" : "test", this.ctx.random),
      sessionIdHash: hashSessionId(sessionId ?? ""),
      userAgent: rest.userAgent.slice(0, 512),
      organizationId: rest.organizationId.slice(0, 256),
      createdAt: this.ctx.clock.now(),
    };
    this.ctx.store.recordSecurityEvent(event).catch((error: unknown) => {
      this.logger?.warn({ err: error instanceof Error ? error.message : String(error), event_id: event.eventId }, "security event not stored");
    });
    this.webhook?.send(securityEventToJson(event)).catch((error: unknown) => {
      this.logger?.warn({ err: error instanceof Error ? error.message : String(error), event_id: event.eventId }, "security event not forwarded");
    });
  }
}
