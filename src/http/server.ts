/**
 * @module The HTTP server: Fastify with our own JSON parsing, Basic auth, schema validation per
 * route, the success envelope, and the single mapping from any failure to a Stytch error body.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import secureJson from "secure-json-parse";
import type { Logger } from "pino";
import type { Environment, Project } from "../domain/types.js";
import { uuidV4, type RandomSource } from "../crypto/random.js";
import { AppError, errorUrl } from "../errors.js";
import type { Services } from "../services/services.js";
import { StoreUnavailable } from "../store/store.js";
import { redactingLogger } from "./log-redaction.js";
import { HttpMetrics } from "./metrics.js";
import { RoundTripTally, roundTrips } from "../store/round-trips.js";
import { drainRefusedBody } from "./oversized-body.js";
import { RateLimiter } from "./rate-limits.js";
import { buildOpenApi } from "./openapi.js";
import { RawReply, type RouteDefinition } from "./route.js";
import { discoveryRoutes } from "./routes/discovery.js";
import { rbacRoutes } from "./routes/rbac.js";
import { healthRoutes } from "./routes/health.js";
import { memberRoutes } from "./routes/members.js";
import { organizationRoutes } from "./routes/organizations.js";
import { sessionRoutes } from "./routes/sessions.js";
import { testOutboxRoutes } from "./routes/test-outbox.js";
// --- MFA (issue 4) ---
import { memberMfaRoutes } from "./routes/members.js";
import { smsOtpRoutes } from "./routes/otps-sms.js";
import { recoveryCodeRoutes } from "./routes/recovery-codes.js";
import { totpRoutes } from "./routes/totp.js";
// --- end MFA ---
// ---- Logins (issue 3) ----
import { emailOtpRoutes } from "./routes/email-otps.js";
import { magicLinkRoutes } from "./routes/magic-links.js";
import { passwordRoutes } from "./routes/passwords.js";
import { SchemaRegistry } from "./validation.js";
import { adminRoutes } from "./routes/admin.js";
import { m2mRoutes } from "./routes/m2m.js";
import { scimConnectionRoutes } from "./routes/scim-connections.js";
import { scimServerRoutes } from "./routes/scim-server.js";
// >>> sso
import { ssoConnectionRoutes } from "./routes/sso-connections.js";
import { ssoLoginRoutes } from "./routes/sso-login.js";
// <<< sso
// >>> oauth
import { oauthRoutes } from "./routes/oauth.js";
// <<< oauth
// >>> sdk
// <<< sdk
// >>> surface
// <<< surface
// >>> pgperf
// <<< pgperf
// >>> hardening
// <<< hardening
// >>> webhooks
// <<< webhooks
// >>> scim
// <<< scim

export const BODY_LIMIT_BYTES = 512 * 1024;
export interface HttpOptions {
  services: Services;
  random: RandomSource;
  logger: Logger | false;
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDRs); none by default. */
  trustedProxies?: string[];
  /** Multiplies every route's rate limits; 0 turns them off. Default 1. */
  rateLimitScale?: number;
}

declare module "fastify" {
  interface FastifyRequest {
    stytchRequestId: string;
    /** Set once Basic credentials are verified. */
    tesseraProject: Project | null;
    /** The audit kind of the matched route, if it is audited. */
    tesseraAudit: RouteDefinition["audit"] | null;
    tesseraRoundTrips: RoundTripTally | null;
    /** The matched route's own error shape, if it has one. */
    tesseraErrorReply: RouteDefinition["errorReply"] | null;
  }
}

/** The organization and member a response is about, for the audit trail. */
function subjectOf(result: Record<string, unknown>): { organizationId: string; memberId: string; sessionId: string } {
  const session = result.member_session as { member_session_id?: string; organization_id?: string } | null | undefined;
  const organization = result.organization as { organization_id?: string } | undefined;
  return {
    organizationId: String(result.organization_id ?? organization?.organization_id ?? session?.organization_id ?? ""),
    memberId: String(result.member_id ?? ""),
    sessionId: session?.member_session_id ?? "",
  };
}

/** Credentials from an `Authorization: Basic` header, or null when absent or malformed. */
function basicCredentials(header: string | undefined): { projectId: string; secret: string } | null {
  if (!header || !header.startsWith("Basic ")) return null;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  return { projectId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function environmentOfProjectId(projectId: string | undefined): Environment {
  return projectId?.startsWith("project-live-") ? "live" : "test";
}

/** Deepest nesting of arrays and objects a request body may have (SEC-IN-2). */
export const MAX_JSON_DEPTH = 32;

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Walks a parsed body without recursion: too deep a nesting, a key or string holding a NUL or an
 * unpaired surrogate (which no identifier may contain and PostgreSQL cannot store), or a number
 * too large to be finite, is a 400.
 */
function bodyProblem(body: unknown): AppError | null {
  const pending: [unknown, number][] = [[body, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value === "string") {
      if (value.includes("\u0000") || UNPAIRED_SURROGATE.test(value)) {
        return new AppError("invalid_field_value", "Strings may not contain NUL characters or unpaired surrogates.");
      }
      continue;
    }
    // `1e400` parses to Infinity, which JSON cannot carry back (a signed claim would become null).
    if (typeof value === "number" && !Number.isFinite(value)) {
      return new AppError("invalid_field_value", "Numbers must be finite: 1e400 and the like cannot be stored or signed.");
    }
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_JSON_DEPTH) return new AppError("bad_request", `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
    if (Array.isArray(value)) {
      for (const item of value) pending.push([item, depth + 1]);
    } else {
      for (const [key, item] of Object.entries(value)) pending.push([key, depth], [item, depth + 1]);
    }
  }
  return null;
}

/** Turns any thrown value into the catalogue error to answer with. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof StoreUnavailable) return new AppError("service_unavailable", undefined, { retryAfterSeconds: 1 });
  const fastifyError = error as { code?: string; statusCode?: number };
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new AppError("request_body_too_large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new AppError("unsupported_media_type");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new AppError("invalid_json");
  }
  if (error instanceof SyntaxError) return new AppError("invalid_json");
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new AppError("bad_request");
  }
  return new AppError("internal_server_error");
}

export function buildHttpServer(options: HttpOptions): FastifyInstance {
  const { services, random } = options;
  const newRequestId = (authorization: string | undefined): string =>
    `request-id-${environmentOfProjectId(basicCredentials(authorization)?.projectId)}-${uuidV4(random)}`;
  const schemas = new SchemaRegistry();
  const rateLimiter = new RateLimiter(services.context.store, () => services.context.clock.now(), options.rateLimitScale ?? 1);
  const app = Fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: redactingLogger(options.logger) }),
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // The client IP comes from X-Forwarded-For only when the peer is a configured proxy.
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false,
    // Route params are looked up verbatim; ids never contain these, and it keeps `%2F` from splitting paths.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    // A malformed percent-encoding or an over-long path parameter is refused before routing (and
    // before the onRequest hook); answer it in the Stytch shape too, not Fastify's `{error, …}`.
    frameworkErrors: (_error, request, reply) => {
      request.stytchRequestId = newRequestId(request.headers.authorization);
      return sendError(reply, request, new AppError("bad_request"));
    },
  });

  app.decorateRequest("stytchRequestId", "");
  app.decorateRequest("tesseraProject", null);
  app.decorateRequest("tesseraAudit", null);
  app.decorateRequest("tesseraRoundTrips", null);
  app.decorateRequest("tesseraErrorReply", null);
  app.addHook("onRequest", async (request) => {
    request.stytchRequestId = newRequestId(request.headers.authorization);
  });

  // Graceful shutdown: close() ends the connections idle at that moment and waits for the rest.
  // A response finished while closing therefore says `Connection: close`, so its keep-alive
  // connection ends with it instead of holding the process open until the client lets go.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    if (closing) reply.header("connection", "close");
    return payload;
  });

  // JSON bodies (and the form and SCIM bodies below). An empty body is `{}` (DELETEs from some clients); prototype-poisoning keys are refused.
  app.removeAllContentTypeParsers();
  const parseJsonBody = (_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void): void => {
    let text: string;
    try {
      // Strict UTF-8: invalid or overlong sequences are refused, never replaced with U+FFFD.
      text = STRICT_UTF8.decode(body as Buffer);
    } catch {
      return done(new AppError("invalid_json", "The request body is not valid UTF-8."), undefined);
    }
    if (text.trim() === "") return done(null, {});
    let parsed: unknown;
    try {
      parsed = secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" });
    } catch {
      return done(new AppError("invalid_json"), undefined);
    }
    const problem = bodyProblem(parsed);
    if (problem) return done(problem, undefined);
    done(null, parsed);
  };
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, parseJsonBody);
  // SCIM clients send the same JSON as application/scim+json.
  app.addContentTypeParser("application/scim+json", { parseAs: "buffer" }, parseJsonBody);
  // Form bodies (OAuth 2.0 token requests, SAML POST bindings): an object of strings, the last
  // value of a repeated name winning; the same string checks as JSON bodies.
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "buffer" }, (_request, body, done) => {
    let text: string;
    try {
      text = STRICT_UTF8.decode(body as Buffer);
    } catch {
      return done(new AppError("invalid_json", "The request body is not valid UTF-8."), undefined);
    }
    const parsed: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [name, value] of new URLSearchParams(text)) {
      if (name === "__proto__" || name === "constructor" || name === "prototype") continue;
      parsed[name] = value;
    }
    const plain = { ...parsed };
    const problem = bodyProblem(plain);
    if (problem) return done(problem, undefined);
    done(null, plain);
  });

  const sendError = (reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply => {
    if (error.retryAfterSeconds !== undefined) reply.header("Retry-After", String(error.retryAfterSeconds));
    if (request.tesseraErrorReply) {
      return sendRaw(reply, request.tesseraErrorReply(
        { status: error.status, errorType: error.errorType, message: error.message, ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}) },
        request.stytchRequestId,
        request.headers,
      ));
    }
    return reply
      .code(error.status)
      .type("application/json")
      .send({
        status_code: error.status,
        request_id: request.stytchRequestId,
        error_type: error.errorType,
        error_message: error.message,
        error_url: errorUrl(error.status, error.errorType),
        ...(error.details ? { error_details: error.details } : {}),
      });
  };

  const sendRaw = (reply: FastifyReply, raw: RawReply): FastifyReply => {
    for (const [name, value] of Object.entries(raw.headers)) reply.header(name, value);
    reply.code(raw.status);
    if (raw.status === 302 || raw.status === 303 || raw.status === 204) return reply.send();
    return reply.type(raw.contentType).send(typeof raw.body === "string" ? raw.body : JSON.stringify(raw.body));
  };

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.errorType === "request_body_too_large") drainRefusedBody(request.raw, (name, value) => reply.header(name, value));
    if (appError.status >= 500) request.log.error({ err: error, request_id: request.stytchRequestId }, "request failed");
    if (request.tesseraAudit) {
      const body = (request.body ?? {}) as Record<string, unknown>;
      services.audit.record({
        projectId: request.tesseraProject?.projectId ?? "",
        requestId: request.stytchRequestId,
        kind: request.tesseraAudit,
        outcome: "refused",
        reason: appError.errorType,
        route: request.routeOptions.url ?? "",
        organizationId: typeof body.organization_id === "string" ? body.organization_id : "",
        memberId: typeof body.member_id === "string" ? body.member_id.slice(0, 256) : "",
        ipAddress: request.ip,
        userAgent: String(request.headers["user-agent"] ?? ""),
      });
    }
    return sendError(reply, request, appError);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, request, new AppError("route_not_found")));

  const routes: RouteDefinition[] = [
    ...healthRoutes(services),
    ...organizationRoutes(services),
    ...memberRoutes(services),
    ...sessionRoutes(services),
    ...discoveryRoutes(services),
    ...rbacRoutes(services),
    ...testOutboxRoutes(services.outbox),
    // --- MFA (issue 4) ---
    ...memberMfaRoutes(services),
    ...smsOtpRoutes(services),
    ...totpRoutes(services),
    ...recoveryCodeRoutes(services),
    // --- end MFA ---
    // ---- Logins (issue 3) ----
    ...magicLinkRoutes(services),
    ...emailOtpRoutes(services),
    ...passwordRoutes(services),
    ...m2mRoutes(services, options.rateLimitScale ?? 1),
    ...scimConnectionRoutes(services),
    ...scimServerRoutes(services),
    ...adminRoutes(services),
    // >>> sso
    ...ssoConnectionRoutes(services),
    ...ssoLoginRoutes(services),
    // <<< sso
    // >>> oauth
    ...oauthRoutes(services),
    // <<< oauth
    // >>> sdk
    // <<< sdk
    // >>> surface
    // <<< surface
    // >>> pgperf
    // <<< pgperf
    // >>> hardening
    // <<< hardening
    // >>> webhooks
    // <<< webhooks
    // >>> scim
    // <<< scim
  ];

  // Round trips per request are counted where there are any (SQLite is embedded: none).
  const countsRoundTrips = services.context.store.sqlExecutor().dialect === "postgres";
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      // Before the body is parsed, so a malformed body is answered in the route's own error shape too.
      onRequest: async (request) => {
        request.tesseraAudit = route.audit ?? null;
        request.tesseraRoundTrips = countsRoundTrips ? new RoundTripTally() : null;
        request.tesseraErrorReply = route.errorReply ?? null;
      },
      // In a round-trip scope of its own: what the request costs the database is counted per route.
      handler: (request, reply) => roundTrips.run(request.tesseraRoundTrips, async () => {
        let project: Project | undefined;
        const contentType = String(request.headers["content-type"] ?? "").toLowerCase();
        if (request.body !== undefined) {
          const encoding = contentType.startsWith("application/x-www-form-urlencoded") ? "form" : contentType.startsWith("application/scim+json") ? "scim" : null;
          if (encoding && !route.bodyEncodings?.includes(encoding)) throw new AppError("unsupported_media_type");
        }
        if (route.auth === "project") {
          const credentials = basicCredentials(request.headers.authorization);
          if (!credentials) throw new AppError("unauthorized_credentials");
          project = await services.projects.authenticate(credentials.projectId, credentials.secret);
          request.tesseraProject = project;
        }
        const body = route.bodySchema ? schemas.validate(route.bodySchema, request.body ?? {}) : undefined;
        const query = route.querySchema ? schemas.validate(route.querySchema, { ...(request.query as object) }) : undefined;
        const memberSessionToken = request.headers["x-stytch-member-session"];
        const memberSessionJwt = request.headers["x-stytch-member-sessionjwt"];
        if ((memberSessionToken || memberSessionJwt) && project && route.memberAuthorization) {
          // Acting as a member: refuse what the member may not do, rather than ignore the headers.
          if (route.memberAuthorization === "unsupported") {
            throw new AppError("session_authorization_error", "Member-session authorization headers are not supported on this endpoint yet.");
          }
          await services.authorization.checkHeaders(
            project,
            { token: typeof memberSessionToken === "string" ? memberSessionToken : undefined, jwt: typeof memberSessionJwt === "string" ? memberSessionJwt : undefined },
            route.memberAuthorization({ params: request.params as Record<string, string>, body: body ?? {} }),
          );
        }
        if (route.rateLimits && project) {
          await rateLimiter.check(route.rateLimits, route.url, project, request.ip, (body ?? {}) as Record<string, unknown>);
        }
        const result = await route.handler({
          project: project as Project,
          body,
          query,
          params: request.params as Record<string, string>,
          requestId: request.stytchRequestId,
          clientIp: request.ip,
          userAgent: String(request.headers["user-agent"] ?? ""),
          headers: request.headers,
        });
        if (result instanceof RawReply) return sendRaw(reply, result);
        if (route.audit && project) {
          const subject = subjectOf(result);
          services.audit.record({
            projectId: project.projectId,
            requestId: request.stytchRequestId,
            kind: route.audit,
            outcome:
              route.audit === "revocation"
                ? "revoked"
                : "discovered_organizations" in result
                  ? // A discovery email authenticate lists too, but what it yields is an intermediate session.
                    typeof result.intermediate_session_token === "string" && result.intermediate_session_token !== ""
                    ? "intermediate_session"
                    : "listed"
                  : result.member_authenticated === false
                    ? "intermediate_session"
                    : "session",
            reason: "",
            route: route.url,
            organizationId: subject.organizationId,
            memberId: subject.memberId,
            sessionId: subject.sessionId,
            ipAddress: request.ip,
            userAgent: String(request.headers["user-agent"] ?? ""),
          });
        }
        return reply.code(200).send({ status_code: 200, request_id: request.stytchRequestId, ...result });
      }),
    });
  }

  const openApi = buildOpenApi(routes, schemas.documents);
  app.get("/openapi.json", async () => openApi);

  const metrics = new HttpMetrics();
  app.addHook("onResponse", async (request, reply) => {
    // The route pattern, never the raw URL: ids and emails stay out of the labels.
    const route = request.routeOptions.url ?? "unmatched";
    const tally = request.tesseraRoundTrips;
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000, tally?.count ?? 0);
    if (tally) tally.late = (count) => metrics.addRoundTrips(request.method, route, count);
  });
  app.get("/metrics", async (_request, reply) => {
    const pool = services.context.store.poolStats();
    let outboxDepth = -1;
    try {
      outboxDepth = await services.context.store.countPendingOutboxMessages();
    } catch {
      // Scraping must work while the database is down; -1 says "unknown".
    }
    return reply.type("text/plain; version=0.0.4").send(
      metrics.render([
        { name: "tessera_outbox_pending_messages", help: "Emails and SMS waiting for delivery (-1: database unreachable).", value: outboxDepth },
        { name: "tessera_db_pool_connections", help: "Database connections open.", value: pool.total },
        { name: "tessera_db_pool_idle_connections", help: "Database connections idle.", value: pool.idle },
        { name: "tessera_db_round_trips_process_total", help: "Database round trips of this process (requests and background work; SQLite: none).", value: roundTrips.total(), type: "counter" },
        { name: "tessera_db_pool_waiting_requests", help: "Queries waiting for a connection (SQLite: writes waiting for the next group commit).", value: pool.waiting },
      ]),
    );
  });
  return app as unknown as FastifyInstance;
}
