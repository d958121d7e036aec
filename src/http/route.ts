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
  /** The request's headers as Node parsed them (lower-case names), for routes that read cookies or their own credentials. */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A response sent as it is, without the Stytch `{status_code, request_id, …}` envelope: redirects
 * of browser flows, OAuth 2.0 and SCIM bodies, the frontend SDK's `{data: …}`.
 */
export class RawReply {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  /** An object is sent as JSON (with `contentType`, default application/json); a string as it is. */
  readonly body: unknown;
  readonly contentType: string;
  constructor(options: { status: number; headers?: Record<string, string | string[]>; body?: unknown; contentType?: string }) {
    this.status = options.status;
    this.headers = options.headers ?? {};
    this.body = options.body ?? "";
    this.contentType = options.contentType ?? (typeof options.body === "string" ? "text/plain; charset=utf-8" : "application/json");
  }

  /** A 302 to `location`, with optional Set-Cookie values. */
  static redirect(location: string, setCookies: string[] = []): RawReply {
    return new RawReply({ status: 302, headers: { location, ...(setCookies.length > 0 ? { "set-cookie": setCookies } : {}) } });
  }
}

export interface RouteDefinition {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  summary: string;
  /** `project`: HTTP Basic project_id:secret. `public`: no credentials (JWKS, health). */
  auth: "project" | "public";
  bodySchema?: string;
  /**
   * Body encodings besides JSON that this route takes: `form` (application/x-www-form-urlencoded,
   * parsed to an object of strings), `scim` (application/scim+json). Elsewhere they are a 415.
   */
  bodyEncodings?: ("form" | "scim")[];
  querySchema?: string;
  /** Rate limits counted before the handler runs (after credentials and validation). */
  rateLimits?: RateLimitRule[];
  /**
   * What a caller acting as a member (X-Stytch-Member-Session / X-Stytch-Member-SessionJWT headers)
   * must be allowed to do; without those headers the project's credentials alone suffice.
   * "unsupported": Stytch accepts the headers here but Tessera cannot check them yet, so a call
   * carrying them is refused. Routes without this field do not take the headers and ignore them.
   */
  memberAuthorization?: "unsupported" | ((request: { params: Record<string, string>; body: any }) => {
    organizationRef: string;
    resource: string;
    action: string;
    /** The member the call acts on, when it may be the caller's own record. */
    memberRef?: string;
  });
  /** Every answer of this route, success or refusal, goes to the security audit trail as this kind. */
  audit?: SecurityEventKind;
  /**
   * Answers a refusal of this route in its own shape (OAuth 2.0 token errors, SCIM errors, the
   * SDK's CORS headers) instead of the Stytch error body. Runs for every error of the route,
   * validation and credentials included.
   */
  errorReply?: (error: { status: number; errorType: string; message: string; retryAfterSeconds?: number }, requestId: string, headers: Record<string, string | string[] | undefined>) => RawReply;
  /** Returns the response fields; `status_code` and `request_id` are added around them. A RawReply is sent as it is. */
  handler(request: RouteRequest): Promise<Record<string, unknown> | RawReply>;
}
