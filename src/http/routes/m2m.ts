/**
 * @module M2M routes: client management under `/v1/m2m/clients` (project Basic auth, no member
 * headers) and the OAuth 2.0 token endpoint `POST /v1/public/{project_id}/oauth2/token`, which
 * authenticates the client instead, takes JSON or form bodies, and answers errors in the OAuth
 * 2.0 shape (RFC 6749 §5.2) plus Stytch's `status_code` and `request_id`.
 */
import { createHash } from "node:crypto";
import { readTokenRequest } from "../../domain/m2m.js";
import { AppError } from "../../errors.js";
import type { Services } from "../../services/services.js";
import type { M2mClientRecord } from "../../store/m2m-clients.js";
import { RawReply, type RouteDefinition } from "../route.js";

/** Token requests per client per minute (every attempt counts, failed ones too), times RATE_LIMIT_SCALE. */
export const M2M_TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE = 1_200;

/** The `M2MClient` object; secrets are never in it (the create and rotate-start answers add them). */
export function m2mClientToWire(client: M2mClientRecord): Record<string, unknown> {
  return {
    client_id: client.clientId,
    client_name: client.clientName,
    client_description: client.clientDescription,
    status: client.status,
    scopes: client.scopes,
    client_secret_last_four: client.secretLastFour,
    next_client_secret_last_four: client.nextSecretLastFour,
    trusted_metadata: client.trustedMetadata,
  };
}

const OAUTH_ERRORS: ReadonlySet<string> = new Set(["invalid_client", "invalid_scope", "invalid_request", "unsupported_grant_type"]);

/** Every refusal of the token endpoint as an OAuth 2.0 error; malformed bodies of any kind are `invalid_request`. */
function oauthErrorReply(error: { status: number; errorType: string; message: string; retryAfterSeconds?: number }, requestId: string): RawReply {
  let code = error.errorType;
  let status = error.status;
  if (!OAUTH_ERRORS.has(code)) {
    if (status === 429) code = "too_many_requests";
    else if (status === 503) code = "temporarily_unavailable";
    else if (status >= 500) code = "server_error";
    else {
      code = "invalid_request";
      if (status !== 413 && status !== 415) status = 400;
    }
  }
  const headers: Record<string, string> = { "cache-control": "no-store", pragma: "no-cache" };
  if (code === "invalid_client") headers["www-authenticate"] = 'Basic realm="tessera", charset="UTF-8"';
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.retryAfterSeconds);
  return new RawReply({
    status,
    headers,
    body: { status_code: status, request_id: requestId, error: code, error_description: error.message, error_uri: "" },
  });
}

/** `Authorization: Basic` with form-urlencoded id and secret (RFC 6749 §2.3.1), or null. */
function basicClientCredentials(header: string | string[] | undefined): { username: string; password: string } | null {
  if (typeof header !== "string" || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  const formDecode = (value: string): string => {
    try {
      return decodeURIComponent(value.replace(/\+/g, " "));
    } catch {
      return value;
    }
  };
  return { username: formDecode(decoded.slice(0, colon)), password: formDecode(decoded.slice(colon + 1)) };
}

export function m2mRoutes(services: Services, rateLimitScale = 1): RouteDefinition[] {
  const { m2mClients, m2mTokens, audit } = services;
  const clientRoute = (method: RouteDefinition["method"], suffix: string, summary: string, handler: RouteDefinition["handler"], bodySchema?: string): RouteDefinition => ({
    method,
    url: `/v1/m2m/clients${suffix}`,
    summary,
    auth: "project",
    ...(bodySchema ? { bodySchema } : {}),
    handler,
  });

  const countTokenAttempt = async (projectId: string, clientId: string): Promise<void> => {
    if (rateLimitScale === 0) return;
    // Hashed: a counter key never holds caller-chosen text verbatim.
    const key = `rl|m2m-token|client|${createHash("sha256").update(`${projectId}\u0000${clientId}`).digest("hex").slice(0, 32)}`;
    const limit = Math.ceil(M2M_TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE * rateLimitScale);
    const hit = await services.context.store.hitRateLimit(key, 60_000, limit, services.context.clock.now());
    if (!hit.allowed) throw new AppError("too_many_requests", undefined, { retryAfterSeconds: Math.max(1, Math.ceil(hit.retryAfterMs / 1000)) });
  };

  return [
    clientRoute("POST", "", "Create an M2M client (the secret is shown only in this answer)", async ({ project, body }) => {
      const { client, clientSecret } = await m2mClients.create(project, body);
      return { m2m_client: { ...m2mClientToWire(client), client_secret: clientSecret } };
    }, "m2m-clients-create.request"),
    clientRoute("POST", "/search", "Search M2M clients", async ({ project, body }) => {
      const page = await m2mClients.search(project, body);
      return { m2m_clients: page.items.map(m2mClientToWire), results_metadata: { total: page.total, next_cursor: page.nextCursor } };
    }, "m2m-clients-search.request"),
    clientRoute("GET", "/:client_id", "Get an M2M client", async ({ project, params }) => ({
      m2m_client: m2mClientToWire(await m2mClients.get(project, params.client_id!)),
    })),
    clientRoute("PUT", "/:client_id", "Update an M2M client (only the fields given change)", async ({ project, params, body }) => ({
      m2m_client: m2mClientToWire(await m2mClients.update(project, params.client_id!, body)),
    }), "m2m-clients-update.request"),
    clientRoute("DELETE", "/:client_id", "Delete an M2M client (tokens already issued stay valid until they expire)", async ({ project, params }) => ({
      client_id: await m2mClients.delete(project, params.client_id!),
    })),
    clientRoute("POST", "/:client_id/secrets/rotate/start", "Start a secret rotation: a next secret, shown once; both secrets work until it completes", async ({ project, params }) => {
      const { client, nextClientSecret } = await m2mClients.rotateStart(project, params.client_id!);
      return { m2m_client: { ...m2mClientToWire(client), next_client_secret: nextClientSecret } };
    }),
    clientRoute("POST", "/:client_id/secrets/rotate", "Complete a secret rotation: the next secret becomes the only one", async ({ project, params }) => ({
      m2m_client: m2mClientToWire(await m2mClients.rotateComplete(project, params.client_id!)),
    })),
    clientRoute("POST", "/:client_id/secrets/rotate/cancel", "Cancel a secret rotation: the next secret is discarded", async ({ project, params }) => ({
      m2m_client: m2mClientToWire(await m2mClients.rotateCancel(project, params.client_id!)),
    })),
    {
      method: "POST",
      url: "/v1/public/:project_id/oauth2/token",
      summary: "OAuth 2.0 client-credentials grant: an M2M access token (JSON or form body; client credentials in the body or HTTP Basic)",
      auth: "public",
      bodySchema: "m2m-token.request",
      bodyEncodings: ["form"],
      errorReply: (error, requestId) => oauthErrorReply(error, requestId),
      handler: async ({ body, params, headers, requestId, clientIp, userAgent }) => {
        const projectId = params.project_id!;
        let clientId = "";
        try {
          const verdict = readTokenRequest(body as Record<string, unknown>, basicClientCredentials(headers.authorization));
          if (!verdict.ok) throw new AppError(verdict.error, verdict.description);
          clientId = verdict.grant.clientId;
          const token = await m2mTokens.issue(projectId, verdict.grant, countTokenAttempt(projectId, clientId));
          return new RawReply({
            status: 200,
            headers: { "cache-control": "no-store", pragma: "no-cache" },
            body: { status_code: 200, request_id: requestId, ...token },
          });
        } catch (error) {
          // Refusals are security events (successes are not recorded: this is a hot path).
          if (error instanceof AppError) {
            audit.record({
              projectId: projectId.slice(0, 256),
              requestId,
              kind: "m2m_token",
              outcome: "refused",
              reason: error.errorType,
              route: "/v1/public/:project_id/oauth2/token",
              organizationId: "",
              // The subject of an M2M event is the client.
              memberId: clientId.slice(0, 256),
              ipAddress: clientIp,
              userAgent,
            });
          }
          throw error;
        }
      },
    },
  ];
}
