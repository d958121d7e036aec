/**
 * @module Request rate limits per client IP, per project, per source session and per member, as
 * declared by each route. Counters live in the database (fixed windows), so every node enforces
 * the same budget. Numbers are per window and scaled by RATE_LIMIT_SCALE.
 */
import { createHash } from "node:crypto";
import type { Project } from "../domain/types.js";
import { AppError } from "../errors.js";
import type { Store } from "../store/store.js";

export type RateLimitScope = "ip" | "project" | "session" | "member";

export interface RateLimitRule {
  scope: RateLimitScope;
  limit: number;
  windowSeconds: number;
}

/**
 * Limits for endpoints that exchange, send or verify something. The IP and project budgets are
 * circuit breakers (callers are applications' backends, often one IP for all their users); the
 * per-session and per-member budgets are the ones abuse runs into.
 */
export const AUTH_ENDPOINT_LIMITS: RateLimitRule[] = [
  { scope: "ip", limit: 600_000, windowSeconds: 60 },
  { scope: "project", limit: 6_000_000, windowSeconds: 60 },
  { scope: "session", limit: 120, windowSeconds: 60 },
  { scope: "member", limit: 120, windowSeconds: 60 },
];

/** `sessions/authenticate` runs on every page an application serves: ten times the session budget. */
export const SESSION_AUTHENTICATE_LIMITS: RateLimitRule[] = AUTH_ENDPOINT_LIMITS.map((rule) =>
  rule.scope === "session" ? { ...rule, limit: rule.limit * 10 } : rule,
);

const digest = (value: string): string => createHash("sha256").update(value).digest("hex").slice(0, 32);

/** The key a rule counts under for this request, or null when the request has nothing to count (no session given, say). */
function keyFor(rule: RateLimitRule, route: string, project: Project, ip: string, body: Record<string, unknown>): string | null {
  switch (rule.scope) {
    case "ip":
      return `${route}|ip|${ip}`;
    case "project":
      return `${route}|project|${project.projectId}`;
    case "session": {
      const credential = [body.session_token, body.session_jwt, body.intermediate_session_token].find(
        (value): value is string => typeof value === "string" && value !== "",
      );
      // Credentials are hashed: a counter key must never hold a token.
      return credential === undefined ? null : `${route}|session|${digest(credential)}`;
    }
    case "member": {
      const member = [body.member_id, body.email_address].find((value): value is string => typeof value === "string" && value !== "");
      return member === undefined ? null : `${route}|member|${project.projectId}|${digest(member.toLowerCase())}`;
    }
  }
}

export class RateLimiter {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    /** Multiplies every limit (e.g. 10 for a load test); 0 turns limiting off. */
    private readonly scale: number,
  ) {}

  /** Counts this request against every rule; throws 429 `too_many_requests` with Retry-After when one is spent. */
  async check(rules: RateLimitRule[], route: string, project: Project, ip: string, body: Record<string, unknown>): Promise<void> {
    if (this.scale === 0) return;
    const now = this.now();
    const counted = rules
      .map((rule) => ({ rule, key: keyFor(rule, route, project, ip, body) }))
      .filter((entry): entry is { rule: RateLimitRule; key: string } => entry.key !== null);
    // All hits at once: they share one write transaction (and one fsync) instead of one each.
    const hits = await Promise.all(
      counted.map(({ rule, key }) => this.store.hitRateLimit(`rl|${key}`, rule.windowSeconds * 1000, Math.ceil(rule.limit * this.scale), now)),
    );
    const refused = hits.filter((hit) => !hit.allowed);
    if (refused.length > 0) {
      const retryAfterMs = Math.max(...refused.map((hit) => hit.retryAfterMs));
      throw new AppError("too_many_requests", undefined, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) });
    }
  }
}
