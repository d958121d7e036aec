/**
 * The server's logs, at debug level, through every kind of flow — logins, exchange, MFA, refusals,
 * delivery — never contain a token, JWT, code, password or secret (SEC-TOK-4's log half).
 */
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { after, before, describe, it } from "node:test";
import { Writable } from "node:stream";
import { FakeClock, startHarness, type Harness } from "./support/harness.js";

const EMAIL = "logs@example.com";
const PASSWORD = "a long and secret passphrase 9!";
const PHONE = "+14155550777";

describe("logs carry no secrets", () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter((line) => line !== ""));
      done();
    },
  });
  const clock = new FakeClock(Date.now());
  const secrets: string[] = [];
  let h: Harness;

  before(async () => {
    h = await startHarness({ clock, env: { LOG_LEVEL: "debug" }, logDestination: destination });
    secrets.push(h.secret);
  });
  after(() => h.close());

  async function outboxMessage(to: string): Promise<{ magic_links_token?: string; code?: string }> {
    await h.app.services.delivery.drain();
    const response = await h.request("GET", `/v1/test/outbox?to=${encodeURIComponent(to)}`);
    return response.body.messages[0];
  }

  it("runs logins, an exchange with SMS step-up, refusals and deliveries", async () => {
    const orgA = (await h.client.organizations.create({ organization_name: "Logs A" })).organization.organization_id;
    const orgB = (await h.client.organizations.create({ organization_name: "Logs B", mfa_policy: "REQUIRED_FOR_ALL" })).organization.organization_id;
    await h.client.organizations.members.create({ organization_id: orgA, email_address: EMAIL });
    await h.client.organizations.members.create({ organization_id: orgB, email_address: EMAIL, mfa_phone_number: PHONE });

    await h.client.magicLinks.email.loginOrSignup({ organization_id: orgA, email_address: EMAIL });
    const link = (await outboxMessage(EMAIL)).magic_links_token!;
    secrets.push(link);
    const login = await h.client.magicLinks.authenticate({ magic_links_token: link });
    secrets.push(login.session_token, login.session_jwt);

    const exchanged = await h.client.sessions.exchange({ organization_id: orgB, session_token: login.session_token });
    secrets.push(exchanged.intermediate_session_token);
    const code = (await outboxMessage(PHONE)).code!;
    secrets.push(code);
    const finished = await h.client.otps.sms.authenticate({
      organization_id: orgB,
      member_id: exchanged.member_id,
      code,
      intermediate_session_token: exchanged.intermediate_session_token,
    });
    secrets.push(finished.session_token, finished.session_jwt);

    await h.client.passwords.migrate({ organization_id: orgA, email_address: EMAIL, hash: bcrypt.hashSync(PASSWORD, 4), hash_type: "bcrypt" });
    secrets.push(PASSWORD);
    const byPassword = await h.client.passwords.authenticate({ organization_id: orgA, email_address: EMAIL, password: PASSWORD });
    secrets.push(byPassword.session_token, byPassword.session_jwt);

    // M2M: a client, a grant by form body, a refused grant, a rotation.
    const m2m = (await h.client.m2m.clients.create({ scopes: ["read:x"] })).m2m_client;
    secrets.push(m2m.client_secret);
    secrets.push((await h.client.m2m.token({ client_id: m2m.client_id, client_secret: m2m.client_secret })).access_token);
    await h.client.m2m.token({ client_id: m2m.client_id, client_secret: `${m2m.client_secret}-wrong` }).catch(() => {});
    secrets.push((await h.client.m2m.clients.secrets.rotateStart({ client_id: m2m.client_id })).m2m_client.next_client_secret);

    // Refusals, which log at warn or error when they go wrong.
    await h.request("POST", "/v1/b2b/sessions/authenticate", { session_token: `${login.session_token}x` });
    await h.request("POST", "/v1/b2b/passwords/authenticate", { organization_id: orgA, email_address: EMAIL, password: `${PASSWORD}-wrong` });
    secrets.push(`${PASSWORD}-wrong`);
    await h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: orgB, session_jwt: `${login.session_jwt.slice(0, -4)}AAAA` });
    await h.client.sessions.revoke({ session_token: finished.session_token });
    await h.app.services.delivery.drain();
  });

  it("logs every route's path and query parameter names, never their values", async () => {
    const openApi = (await h.request("GET", "/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const names = ["token", "public_token", "session_token", "code", "state", "SAMLResponse", "RelayState", "to", "member_id", "email_address"];
    const targets = Object.entries(openApi.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, "some-id") })),
    );
    // Any URL at all, matched or not, and the Tessera-only endpoints outside the OpenAPI document.
    targets.push({ method: "GET", path: "/no/such/route" }, { method: "GET", path: "/readyz" }, { method: "GET", path: "/v1/test/outbox" });
    assert.ok(targets.length > 30, `expected every route, got ${targets.length}`);
    for (const [index, target] of targets.entries()) {
      const values = names.map((name) => `qv${index}x${name.replace(/[^A-Za-z]/g, "")}Zq${Math.random().toString(36).slice(2, 10)}`);
      secrets.push(...values);
      const query = names.map((name, at) => `${name}=${encodeURIComponent(values[at]!)}`).join("&");
      await h.request(target.method as "GET", `${target.path}?${query}`, target.method === "GET" || target.method === "DELETE" ? undefined : {});
    }
    const logged = lines.map((line) => JSON.parse(line) as { req?: { path?: string; query_params?: string[] } });
    const described = logged.find((line) => line.req?.path === "/no/such/route");
    assert.deepEqual(described?.req?.query_params, names, "the names of the query parameters are logged");
  });

  it("logged something, and none of it is a secret or looks like a JWT", () => {
    assert.ok(lines.length > 20, `expected request logs, got ${lines.length} lines`);
    const text = lines.join("\n");
    for (const secret of secrets) {
      assert.ok(secret.length >= 6);
      assert.equal(text.includes(secret), false, `a secret (${secret.slice(0, 4)}…) appears in the logs`);
    }
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./, "something shaped like a JWT is logged");
    assert.doesNotMatch(text, /secret-(test|live)-[A-Za-z0-9_-]{20,}/, "a project secret is logged");
    assert.doesNotMatch(text, /authorization/i, "request headers with credentials are logged");
  });
});
