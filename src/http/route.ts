/** @module The shape of a route: what it accepts (by schema $id), who may call it, what it does. */
import type { Project, SecurityEventKind } from "../domain/types.js";
import type { RateLimitRule } from "./rate-limits.js";

export interface RouteRequest<Body = any, Query = any> {
  /** The project whose Basic credentials authenticated the call (absent on public routes). */
  project: Project;
  body: Body;
  query: Query;
  params: Record<string, string>;
  requestId: string;
  /** The caller's address as the server sees it (behind a trusted proxy: from X-Forwarded-For). */
  clientIp: string;
  userAgent: string;
}

export interface RouteDefinition {
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  summary: string;
  /** `project`: HTTP Basic project_id:secret. `public`: no credentials (JWKS, health). */
  auth: "project" | "public";
  bodySchema?: string;
  querySchema?: string;
  /** Rate limits counted before the handler runs (after credentials and validation). */
  rateLimits?: RateLimitRule[];
  /**
   * What a caller acting as a member (X-Stytch-Member-Session / X-Stytch-Member-SessionJWT headers)
   * must be allowed to do; without those headers the project's credentials alone suffice.
   */
  memberAuthorization?: (request: { params: Record<string, string>; body: any }) => {
    organizationRef: string;
    resource: string;
    action: string;
    /** The member the call acts on, when it may be the caller's own record. */
    memberRef?: string;
  };
  /** Every answer of this route, success or refusal, goes to the security audit trail as this kind. */
  audit?: SecurityEventKind;
  /** Returns the response fields; `status_code` and `request_id` are added around them. */
  handler(request: RouteRequest): Promise<Record<string, unknown>>;
}
