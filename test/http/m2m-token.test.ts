/**
 * The token endpoint over raw HTTP, as each official SDK and a plain OAuth 2.0 client send it:
 * form and JSON bodies, credentials in the body or in HTTP Basic, the Python SDK's JSON body with
 * the project's own Basic credentials; every refusal in the OAuth 2.0 shape with its status, and
 * recorded as a security event; the per-client rate limit.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startHarness, type Harness } from "../support/harness.js";

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

async function post(h: Harness, body: string | Buffer, contentType: string, headers: Record<string, string> = {}, projectId = h.project.projectId): Promise<Reply> {
  const response = await fetch(`${h.baseUrl}/v1/public/${encodeURIComponent(projectId)}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": contentType, ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, headers: response.headers };
}

const form = (h: Harness, fields: Record<string, string>, headers: Record<string, string> = {}, projectId?: string) =>
  post(h, new URLSearchParams(fields).toString(), "application/x-www-form-urlencoded", headers, projectId);
const json = (h: Harness, fields: unknown, headers: Record<string, string> = {}) => post(h, JSON.stringify(fields), "application/json", headers);

function assertGranted(reply: Reply): void {
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.deepEqual(Object.keys(reply.body).sort(), ["access_token", "expires_in", "request_id", "status_code", "token_type"]);
  assert.deepEqual([reply.body.status_code, reply.body.token_type, reply.body.expires_in], [200, "bearer", 3600]);
  assert.match(String(reply.body.request_id), /^request-id-test-/);
  assert.equal(String(reply.body.access_token).split(".").length, 3);
  assert.equal(reply.headers.get("cache-control"), "no-store");
}

function assertOAuthError(reply: Reply, status: number, error: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body.error, error, JSON.stringify(reply.body));
  assert.equal(reply.body.status_code, status);
  assert.equal(typeof reply.body.request_id, "string");
  assert.equal(typeof reply.body.error_description, "string");
  assert.equal("error_type" in reply.body, false);
  assert.equal(reply.headers.get("cache-control"), "no-store");
  if (error === "invalid_client") assert.match(String(reply.headers.get("www-authenticate")), /^Basic /);
}

describe("POST /v1/public/{project_id}/oauth2/token over raw HTTP", () => {
  let h: Harness;
  let clientId: string;
  let clientSecret: string;
  const grant = () => ({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret });

  before(async () => {
    h = await startHarness();
    const created = (await h.client.m2m.clients.create({ scopes: ["read:users", "write:users"] })).m2m_client;
    clientId = created.client_id;
    clientSecret = created.client_secret;
  });
  after(() => h.close());

  it("form body with the credentials (what the Node and Go SDKs send)", async () => {
    assertGranted(await form(h, { ...grant(), scope: "read:users" }));
  });

  it("JSON body with the credentials", async () => {
    assertGranted(await json(h, grant()));
  });

  it("HTTP Basic client credentials with a form body (RFC 6749 client_secret_basic), values form-urlencoded", async () => {
    assertGranted(await form(h, { grant_type: "client_credentials" }, { authorization: basic(encodeURIComponent(clientId), encodeURIComponent(clientSecret)) }));
    assertGranted(await json(h, { grant_type: "client_credentials", scope: "write:users" }, { authorization: basic(clientId, clientSecret) }));
  });

  it("the Python SDK's shape: JSON body credentials plus the project's own Basic auth — the body wins", async () => {
    assertGranted(await json(h, { ...grant(), scope: "read:users write:users" }, { authorization: basic(h.project.projectId, h.secret) }));
  });

  it("body credentials win over other Basic client credentials too", async () => {
    assertGranted(await form(h, grant(), { authorization: basic(clientId, "wrong-secret") }));
    assertOAuthError(await form(h, { ...grant(), client_secret: "wrong" }, { authorization: basic(clientId, clientSecret) }), 401, "invalid_client");
  });

  it("the project's Basic credentials alone are not client credentials: invalid_client", async () => {
    assertOAuthError(await json(h, { grant_type: "client_credentials" }, { authorization: basic(h.project.projectId, h.secret) }), 401, "invalid_client");
  });

  it("refusals, each with its OAuth 2.0 code and status", async () => {
    const cases: [string, Promise<Reply>, number, string][] = [
      ["no grant_type", form(h, { client_id: clientId, client_secret: clientSecret }), 400, "invalid_request"],
      ["empty grant_type", form(h, { ...grant(), grant_type: "" }), 400, "invalid_request"],
      ["password grant", form(h, { ...grant(), grant_type: "password" }), 400, "unsupported_grant_type"],
      ["authorization_code grant", json(h, { ...grant(), grant_type: "authorization_code" }), 400, "unsupported_grant_type"],
      ["client_id without client_secret", form(h, { grant_type: "client_credentials", client_id: clientId }), 400, "invalid_request"],
      ["no credentials at all", form(h, { grant_type: "client_credentials" }), 401, "invalid_client"],
      ["wrong secret", form(h, { ...grant(), client_secret: "secret-test-wrong" }), 401, "invalid_client"],
      ["unknown client", form(h, { ...grant(), client_id: "m2m-client-test-unknown" }), 401, "invalid_client"],
      ["wrong Basic secret", form(h, { grant_type: "client_credentials" }, { authorization: basic(clientId, "nope") }), 401, "invalid_client"],
      ["malformed Basic", form(h, { grant_type: "client_credentials" }, { authorization: "Basic !!!" }), 401, "invalid_client"],
      ["scope not assigned", form(h, { ...grant(), scope: "read:users delete:users" }), 400, "invalid_scope"],
      ["numeric client_id in JSON", json(h, { ...grant(), client_id: 42 }), 400, "invalid_request"],
      ["array scope in JSON", json(h, { ...grant(), scope: ["read:users"] }), 400, "invalid_request"],
      ["malformed JSON", post(h, '{"grant_type": "client_credentials",', "application/json"), 400, "invalid_request"],
      ["JSON array body", post(h, "[1,2]", "application/json"), 400, "invalid_request"],
      ["JSON string body", post(h, '"client_credentials"', "application/json"), 400, "invalid_request"],
      ["invalid UTF-8 form body", post(h, Buffer.concat([Buffer.from("grant_type=client_credentials&client_id="), Buffer.from([0xff, 0xfe])]), "application/x-www-form-urlencoded"), 400, "invalid_request"],
      ["NUL in a form value", form(h, { ...grant(), client_id: "a\u0000b" }), 400, "invalid_request"],
      ["text/plain body", post(h, "grant_type=client_credentials", "text/plain"), 415, "invalid_request"],
      ["another project's path", form(h, grant(), {}, "project-test-00000000-0000-4000-8000-000000000000"), 401, "invalid_client"],
    ];
    for (const [label, reply, status, error] of cases) {
      await it(label, async () => assertOAuthError(await reply, status, error));
    }
  });

  it("an inactive client is invalid_client; reactivated it gets tokens again", async () => {
    const { client_id, client_secret } = (await h.client.m2m.clients.create({ scopes: [] })).m2m_client;
    await h.client.m2m.clients.update({ client_id, status: "inactive" });
    assertOAuthError(await form(h, { grant_type: "client_credentials", client_id, client_secret }), 401, "invalid_client");
    await h.client.m2m.clients.update({ client_id, status: "active" });
    assertGranted(await form(h, { grant_type: "client_credentials", client_id, client_secret }));
  });

  it("refusals are security events (kind m2m_token, reason the OAuth error, the client as subject), never holding the secret", async () => {
    await form(h, { ...grant(), client_secret: "secret-test-audited-wrong-secret" });
    const events = await h.app.store.listSecurityEvents(h.project.projectId, { limit: 200 });
    const refused = events.find((event) => event.kind === "m2m_token" && event.reason === "invalid_client" && event.memberId === clientId);
    assert.ok(refused, "no m2m_token refusal recorded");
    assert.equal(refused.outcome, "refused");
    assert.doesNotMatch(JSON.stringify(events), /audited-wrong-secret/);
    assert.ok(events.some((event) => event.kind === "m2m_token" && event.reason === "unsupported_grant_type"));
  });
});

describe("token endpoint rate limit per client", () => {
  let h: Harness;
  before(async () => {
    // 1,200 per minute scaled down to 2.
    h = await startHarness({ env: { RATE_LIMIT_SCALE: "0.001" } });
  });
  after(() => h.close());

  it("the third grant of a client within a minute is 429 too_many_requests with Retry-After; other clients are unaffected", async () => {
    const first = (await h.client.m2m.clients.create({ scopes: [] })).m2m_client;
    const second = (await h.client.m2m.clients.create({ scopes: [] })).m2m_client;
    const fields = (client: { client_id: string; client_secret: string }) => ({ grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret });
    assertGranted(await form(h, fields(first)));
    assertGranted(await form(h, fields(first)));
    const limited = await form(h, fields(first));
    assertOAuthError(limited, 429, "too_many_requests");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assertGranted(await form(h, fields(second)));
  });
});
