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
import { buildOpenApi } from "./openapi.js";
import type { RouteDefinition } from "./route.js";
import { discoveryRoutes } from "./routes/discovery.js";
import { healthRoutes } from "./routes/health.js";
import { memberRoutes } from "./routes/members.js";
import { organizationRoutes } from "./routes/organizations.js";
import { sessionRoutes } from "./routes/sessions.js";
import { testOutboxRoutes } from "./routes/test-outbox.js";
import { SchemaRegistry } from "./validation.js";

export const BODY_LIMIT_BYTES = 512 * 1024;

export interface HttpOptions {
  services: Services;
  random: RandomSource;
  logger: Logger | false;
  /** Extra route groups (features register themselves here). */
  extraRoutes?: RouteDefinition[];
}

declare module "fastify" {
  interface FastifyRequest {
    stytchRequestId: string;
  }
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
  const schemas = new SchemaRegistry();
  const app = Fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: options.logger }),
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // Route params are looked up verbatim; ids never contain these, and it keeps `%2F` from splitting paths.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
  });

  app.decorateRequest("stytchRequestId", "");
  app.addHook("onRequest", async (request) => {
    const credentials = basicCredentials(request.headers.authorization);
    request.stytchRequestId = `request-id-${environmentOfProjectId(credentials?.projectId)}-${uuidV4(random)}`;
  });

  // JSON bodies only. An empty body is `{}` (DELETEs from some clients); prototype-poisoning keys are refused.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, {});
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" }));
    } catch {
      done(new AppError("invalid_json"), undefined);
    }
  });

  const sendError = (reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply => {
    if (error.retryAfterSeconds !== undefined) reply.header("Retry-After", String(error.retryAfterSeconds));
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

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error, request_id: request.stytchRequestId }, "request failed");
    return sendError(reply, request, appError);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, request, new AppError("route_not_found")));

  const routes: RouteDefinition[] = [
    ...healthRoutes(services),
    ...organizationRoutes(services),
    ...memberRoutes(services),
    ...sessionRoutes(services),
    ...discoveryRoutes(services),
    ...testOutboxRoutes(services.outbox),
    ...(options.extraRoutes ?? []),
  ];

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        let project: Project | undefined;
        if (route.auth === "project") {
          const credentials = basicCredentials(request.headers.authorization);
          if (!credentials) throw new AppError("unauthorized_credentials");
          project = await services.projects.authenticate(credentials.projectId, credentials.secret);
        }
        const body = route.bodySchema ? schemas.validate(route.bodySchema, request.body ?? {}) : undefined;
        const query = route.querySchema ? schemas.validate(route.querySchema, { ...(request.query as object) }) : undefined;
        const result = await route.handler({
          project: project as Project,
          body,
          query,
          params: request.params as Record<string, string>,
          requestId: request.stytchRequestId,
          clientIp: request.ip,
          userAgent: String(request.headers["user-agent"] ?? ""),
        });
        return reply.code(200).send({ status_code: 200, request_id: request.stytchRequestId, ...result });
      },
    });
  }

  const openApi = buildOpenApi(routes, schemas.documents);
  app.get("/openapi.json", async () => openApi);
  return app as unknown as FastifyInstance;
}
