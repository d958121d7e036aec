/**
 * @module The scenarios: what each request looks like and which pool entry it uses. Pure data
 * and functions, shared by the load generator (which sends them) and the orchestrator (which
 * checks one of each before measuring).
 */
import type { Fixtures } from "./fixtures.js";

export type TesseraScenario = "authenticate-token" | "authenticate-jwt" | "exchange" | "exchange-mfa" | "jwks" | "m2m-token";
export type PeerScenario = "peer-set-active" | "peer-get-session";
export type ScenarioName = TesseraScenario | PeerScenario;

export const TESSERA_SCENARIOS: readonly TesseraScenario[] = ["authenticate-token", "authenticate-jwt", "exchange", "jwks", "exchange-mfa", "m2m-token"];
export const PEER_SCENARIOS: readonly PeerScenario[] = ["peer-set-active", "peer-get-session"];

export const SCENARIO_TITLES: Record<ScenarioName, string> = {
  "authenticate-token": "POST /v1/b2b/sessions/authenticate (session_token)",
  "authenticate-jwt": "POST /v1/b2b/sessions/authenticate (session_jwt)",
  exchange: "POST /v1/b2b/sessions/exchange, no-MFA path (A⇄B)",
  "exchange-mfa": "POST /v1/b2b/sessions/exchange, MFA path (IST + SMS)",
  jwks: "GET /v1/b2b/sessions/jwks/{project_id}",
  "m2m-token": "POST /v1/public/{project_id}/oauth2/token (client_credentials, form body)",
  "peer-set-active": "Better Auth POST /api/auth/organization/set-active (A⇄B)",
  "peer-get-session": "Better Auth GET /api/auth/get-session",
};

/** What each side does per request, for the side-by-side table. */
export const SCENARIO_WORK: Record<ScenarioName, string> = {
  "authenticate-token":
    "Basic auth (project lookup + SHA-256), schema validation, 4 rate-limit counters + 1 audit event (group-committed, no fsync), token SHA-256 → indexed lookup, liveness, organization + member reads; last access re-recorded (forced commit) and a fresh RS256 JWT only once a minute per session",
  "authenticate-jwt":
    "Basic auth, rate-limit counters + audit event, RS256 verification, session read by id, organization + member reads; last access and a fresh JWT once a minute per session",
  exchange:
    "Basic auth, 4 rate-limit counters + 1 audit event, token lookup, target organization + both members read, factor transfer, policy decision, INSERT of a new session with the origin's liveness re-checked in the same transaction (forced commit, shared by concurrent requests), RS256 signature",
  "exchange-mfa":
    "as exchange up to the decision, then two rate-limit upserts, code HMAC, two AES-GCM seals, one transaction (intermediate session + one-time secret + outbox message); no signature; the outbox worker later marks the SMS delivered",
  jwks: "project lookup, cached key set → JSON",
  "m2m-token":
    "form parsing, 1 rate-limit counter (group-committed, no fsync), client read by primary key, HMAC-SHA256 of the secret + constant-time compare, scope check, RS256 signature; no audit event on success",
  "peer-set-active":
    "session lookup (session + user), membership check, organization read, UPDATE session.activeOrganizationId, re-signed cookie (HMAC); no new session, no JWT, no policy",
  "peer-get-session": "session lookup (session + user) with a session-expiry refresh check; no JWT",
};

export interface PeerFixtures {
  token: string;
  orgA: string;
  orgB: string;
}

export interface RequestPlan {
  method: "GET" | "POST";
  /** Path of request number i (0-based, counted across all connections). */
  path(i: number): string;
  headers: Record<string, string>;
  body(i: number): string | undefined;
  /** Sorts a 2xx response body into an outcome to count (MFA path: was the SMS queued?). */
  classify?(body: string): string;
}

function basic(projectId: string, secret: string): string {
  return `Basic ${Buffer.from(`${projectId}:${secret}`).toString("base64")}`;
}

export function tesseraPlan(scenario: TesseraScenario, fixtures: Fixtures): RequestPlan {
  const headers = { authorization: basic(fixtures.projectId, fixtures.secret), "content-type": "application/json" };
  const post = (path: string, body: (i: number) => string): RequestPlan => ({ method: "POST", path: () => path, headers, body });
  switch (scenario) {
    case "authenticate-token": {
      const pool = fixtures.authenticate;
      return post("/v1/b2b/sessions/authenticate", (i) => JSON.stringify({ session_token: pool[i % pool.length]!.token }));
    }
    case "authenticate-jwt": {
      const pool = fixtures.authenticate;
      return post("/v1/b2b/sessions/authenticate", (i) => JSON.stringify({ session_jwt: pool[i % pool.length]!.jwt }));
    }
    case "exchange": {
      // Request 2n: person n's session in A into B; request 2n+1: the same person's session in B into A.
      const pool = fixtures.exchange;
      return post("/v1/b2b/sessions/exchange", (i) => {
        const pair = pool[Math.floor(i / 2) % pool.length]!;
        return JSON.stringify(i % 2 === 0 ? { session_token: pair.tokenA, organization_id: pair.orgB } : { session_token: pair.tokenB, organization_id: pair.orgA });
      });
    }
    case "exchange-mfa": {
      const pool = fixtures.exchangeMfa;
      return {
        ...post("/v1/b2b/sessions/exchange", (i) => {
          const entry = pool[i % pool.length]!;
          return JSON.stringify({ session_token: entry.token, organization_id: entry.targetOrg });
        }),
        classify: (body) =>
          body.includes('"secondary_auth_initiated":"sms_otp"')
            ? "ist_sms_queued"
            : body.includes('"secondary_auth_initiated":null')
              ? "ist_sms_rate_limited"
              : "other",
      };
    }
    case "jwks":
      return { method: "GET", path: () => `/v1/b2b/sessions/jwks/${fixtures.projectId}`, headers: {}, body: () => undefined };
    case "m2m-token": {
      // What the Node and Go SDKs send: a form body, no Authorization header.
      const pool = fixtures.m2mClients;
      return {
        method: "POST",
        path: () => `/v1/public/${fixtures.projectId}/oauth2/token`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: (i) => {
          const client = pool[i % pool.length]!;
          return new URLSearchParams({ grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret, scope: "read:invoices" }).toString();
        },
      };
    }
  }
}

export function peerPlan(scenario: PeerScenario, peer: PeerFixtures): RequestPlan {
  const headers = { authorization: `Bearer ${peer.token}`, "content-type": "application/json" };
  switch (scenario) {
    case "peer-set-active":
      return {
        method: "POST",
        path: () => "/api/auth/organization/set-active",
        headers,
        body: (i) => JSON.stringify({ organizationId: i % 2 === 0 ? peer.orgA : peer.orgB }),
      };
    case "peer-get-session":
      return { method: "GET", path: () => "/api/auth/get-session", headers: { authorization: headers.authorization }, body: () => undefined };
  }
}

/** What a correct 2xx answer of the scenario contains (checked once before measuring). */
export function expectedShape(scenario: ScenarioName, body: any): string | null {
  switch (scenario) {
    case "authenticate-token":
    case "authenticate-jwt":
      return typeof body?.session_jwt === "string" && body.session_jwt.split(".").length === 3 && body.member_session ? null : "no session_jwt";
    case "exchange":
      return body?.member_authenticated === true && typeof body.session_jwt === "string" && body.session_jwt !== "" && body.session_token !== ""
        ? null
        : `not an authenticated exchange: ${JSON.stringify(body).slice(0, 300)}`;
    case "exchange-mfa":
      return body?.member_authenticated === false && typeof body.intermediate_session_token === "string" && body.intermediate_session_token !== "" && body.mfa_required
        ? null
        : `not an MFA step-up: ${JSON.stringify(body).slice(0, 300)}`;
    case "jwks":
      return Array.isArray(body?.keys) && body.keys.length > 0 ? null : "no keys";
    case "m2m-token":
      return body?.token_type === "bearer" && typeof body.access_token === "string" && body.access_token.split(".").length === 3 && body.expires_in === 3600
        ? null
        : `not an access token: ${JSON.stringify(body).slice(0, 300)}`;
    case "peer-set-active":
      return typeof body?.id === "string" ? null : `not an organization: ${JSON.stringify(body).slice(0, 300)}`;
    case "peer-get-session":
      return body?.session && body.user ? null : `no session: ${JSON.stringify(body).slice(0, 300)}`;
  }
}
