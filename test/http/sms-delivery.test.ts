/**
 * Real SMS delivery: the Twilio adapter against a local fake that speaks Twilio's REST protocol,
 * the signed webhook adapter against a receiving server that checks the signature, and the
 * outbox keeping a message queued through a provider outage until the provider is back. The
 * server is configured only through environment variables, as an operator would.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createApp, type App } from "../../src/app.js";
import { readConfig } from "../../src/config.js";
import { verifyWebhookSignature } from "../../src/delivery/webhook-sender.js";
import type { Project } from "../../src/domain/types.js";
import { FakeClock, sdkClient } from "../support/harness.js";
import { expectSdkError } from "./mfa-fixtures.js";

interface Received {
  headers: IncomingMessage["headers"];
  path: string;
  rawBody: string;
}

/** A local HTTP server whose answer the test controls; records every request. */
class FakeProvider {
  readonly received: Received[] = [];
  answer: (request: Received) => { status: number; body: unknown } = () => ({ status: 200, body: {} });
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const received = { headers: request.headers, path: request.url ?? "", rawBody: Buffer.concat(chunks).toString("utf8") };
        this.received.push(received);
        const { status, body } = this.answer(received);
        response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
const AUTH_TOKEN = "twilio-test-auth-token-0001";
const FROM = "+15005550006";

/** Twilio's answer to `POST /2010-04-01/Accounts/{sid}/Messages.json`, checked the way Twilio checks it. */
function twilioAnswer(request: Received): { status: number; body: unknown } {
  const expectedAuth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`;
  if (request.headers.authorization !== expectedAuth) {
    return { status: 401, body: { code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 } };
  }
  if (request.path !== `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`) return { status: 404, body: { code: 20404, message: "Not found", status: 404 } };
  if (!String(request.headers["content-type"]).startsWith("application/x-www-form-urlencoded")) {
    return { status: 400, body: { code: 21000, message: "bad content type", status: 400 } };
  }
  const form = new URLSearchParams(request.rawBody);
  if (!form.get("To") || !form.get("From") || !form.get("Body")) return { status: 400, body: { code: 21604, message: "A 'To' phone number is required.", status: 400 } };
  return {
    status: 201,
    body: {
      sid: `SM${"a".repeat(32)}`,
      account_sid: ACCOUNT_SID,
      to: form.get("To"),
      from: form.get("From"),
      body: form.get("Body"),
      status: "queued",
      num_segments: "1",
      direction: "outbound-api",
      api_version: "2010-04-01",
      uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/SM${"a".repeat(32)}.json`,
    },
  };
}

interface Server2 {
  app: App;
  project: Project;
  client: ReturnType<typeof sdkClient>;
  baseUrl: string;
  directory: string;
  close(): Promise<void>;
}

/** A server configured from `env`, with the outbox drained only by hand (no poller, no kick). */
async function startServer(env: Record<string, string>, clock: FakeClock, environment: "test" | "live" = "test"): Promise<Server2> {
  const directory = mkdtempSync(join(tmpdir(), "tessera-sms-"));
  const config = readConfig({ DATABASE_URL: `sqlite:${join(directory, "t.db")}`, PORT: "0", ...env });
  const app = await createApp(config, { logging: false, clock, deliveryPollMs: 0 });
  app.services.outbox.onEnqueued = () => {};
  const { project, secret } = await app.services.projects.create({ environment, name: "delivery" });
  const baseUrl = (await app.http.listen({ host: "127.0.0.1", port: 0 })).replace("localhost", "127.0.0.1");
  return {
    app,
    project,
    client: sdkClient(baseUrl, project.projectId, secret),
    baseUrl,
    directory,
    async close() {
      await app.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

let phoneCounter = 0;
async function memberWithPhone(server: Server2): Promise<{ organizationId: string; memberId: string; phone: string }> {
  phoneCounter += 1;
  const phone = `+1415555${String(2000 + phoneCounter)}`;
  const org = await server.client.organizations.create({ organization_name: `Delivery ${phoneCounter}`, organization_slug: `delivery-${phoneCounter}` });
  const member = await server.client.organizations.members.create({
    organization_id: org.organization.organization_id,
    email_address: `d${phoneCounter}@delivery.example.com`,
    mfa_phone_number: phone,
  });
  return { organizationId: org.organization.organization_id, memberId: member.member_id, phone };
}

async function newestMessage(server: Server2, phone: string) {
  const [message] = await server.app.store.listOutboxMessages(server.project.projectId, phone, 1);
  assert.ok(message, `no message to ${phone}`);
  return message;
}

describe("SMS delivery through Twilio", () => {
  const clock = new FakeClock();
  const twilio = new FakeProvider();
  let server: Server2;
  before(async () => {
    await twilio.start();
    twilio.answer = twilioAnswer;
    server = await startServer(
      { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_FROM_NUMBER: FROM, TWILIO_BASE_URL: twilio.url },
      clock,
    );
  });
  after(async () => {
    await server.close();
    await twilio.stop();
  });

  it("delivers the passcode to Twilio's Messages API, form-encoded, with Basic auth", async () => {
    const { organizationId, memberId, phone } = await memberWithPhone(server);
    await server.client.otps.sms.send({ organization_id: organizationId, member_id: memberId, locale: "fr" });
    const before = twilio.received.length;
    assert.equal(await server.app.services.delivery.drain(), 1);
    assert.equal(twilio.received.length, before + 1);
    const form = new URLSearchParams(twilio.received.at(-1)!.rawBody);
    assert.equal(form.get("To"), phone);
    assert.equal(form.get("From"), FROM);
    const code = /(\d{6})/.exec(form.get("Body") ?? "")?.[1];
    assert.ok(code, form.get("Body") ?? "");
    assert.match(form.get("Body")!, /^Votre code de vérification est \d{6}\./);
    const message = await newestMessage(server, phone);
    assert.equal(message.status, "delivered");
    assert.equal(message.attempts, 1);
  });

  it("with Twilio answering 500 the message stays queued (attempts counted) and goes out once Twilio is back", async () => {
    const { organizationId, memberId, phone } = await memberWithPhone(server);
    twilio.answer = () => ({ status: 500, body: { code: 20500, message: "Internal Server Error", status: 500 } });
    // The outage does not fail the request.
    const sent = await server.client.otps.sms.send({ organization_id: organizationId, member_id: memberId });
    assert.equal(sent.status_code, 200);
    assert.equal(await server.app.services.delivery.drain(), 0);
    let message = await newestMessage(server, phone);
    assert.equal(message.status, "pending");
    assert.equal(message.attempts, 1);
    assert.match(message.lastError, /HTTP 500.*20500/);
    // Not due again before its backoff.
    assert.equal(await server.app.services.delivery.drain(), 0);
    assert.equal((await newestMessage(server, phone)).attempts, 1);

    twilio.answer = twilioAnswer;
    clock.advanceSeconds(2);
    assert.equal(await server.app.services.delivery.drain(), 1);
    message = await newestMessage(server, phone);
    assert.equal(message.status, "delivered");
    assert.equal(message.attempts, 2);
    assert.equal(new URLSearchParams(twilio.received.at(-1)!.rawBody).get("To"), phone);
  });

  it("with Twilio unreachable (server stopped) the message waits, and is delivered once it listens again", async () => {
    const { organizationId, memberId, phone } = await memberWithPhone(server);
    const port = twilio.port;
    await twilio.stop();
    await server.client.otps.sms.send({ organization_id: organizationId, member_id: memberId });
    assert.equal(await server.app.services.delivery.drain(), 0);
    const waiting = await newestMessage(server, phone);
    assert.equal(waiting.status, "pending");
    assert.match(waiting.lastError, /Twilio unreachable/);

    await twilio.start(port);
    clock.advanceSeconds(2);
    assert.equal(await server.app.services.delivery.drain(), 1);
    assert.equal((await newestMessage(server, phone)).status, "delivered");
  });

  it("a wrong auth token is a failure to retry, never a silent success", async () => {
    const { organizationId, memberId, phone } = await memberWithPhone(server);
    twilio.answer = (request) => twilioAnswer({ ...request, headers: { ...request.headers, authorization: "Basic wrong" } });
    await server.client.otps.sms.send({ organization_id: organizationId, member_id: memberId });
    assert.equal(await server.app.services.delivery.drain(), 0);
    const message = await newestMessage(server, phone);
    assert.equal(message.status, "pending");
    assert.match(message.lastError, /HTTP 401 \(Twilio error 20003/);
    assert.ok(!message.lastError.includes(message.code ?? "no code"), "the error does not carry the text");
    twilio.answer = twilioAnswer;
  });
});

describe("SMS delivery through a signed webhook", () => {
  const clock = new FakeClock();
  const receiver = new FakeProvider();
  const SECRET = "whsec-tessera-test-0123456789";
  let server: Server2;
  before(async () => {
    await receiver.start();
    server = await startServer({ SMS_WEBHOOK_URL: `${receiver.url}/sms`, SMS_WEBHOOK_SECRET: SECRET }, clock);
  });
  after(async () => {
    await server.close();
    await receiver.stop();
  });

  it("posts {to, body, locale, message_id, sent_at} with a signature the receiver verifies; a refused delivery is retried", async () => {
    // The receiving server verifies exactly as docs/mfa.md tells integrators to, and refuses the first delivery.
    let verifiedByRecipe = 0;
    receiver.answer = (request) => {
      const timestamp = String(request.headers["x-tessera-timestamp"]);
      const expected = `v1=${createHmac("sha256", SECRET).update(`${timestamp}.${request.rawBody}`).digest("hex")}`;
      if (request.headers["x-tessera-signature"] !== expected) return { status: 401, body: { error: "bad signature" } };
      verifiedByRecipe++;
      return verifiedByRecipe === 1 ? { status: 503, body: { error: "try later" } } : { status: 200, body: { ok: true } };
    };
    const { organizationId, memberId, phone } = await memberWithPhone(server);
    await server.client.otps.sms.send({ organization_id: organizationId, member_id: memberId, locale: "pt-br" });

    assert.equal(await server.app.services.delivery.drain(), 0, "503 is a failure");
    assert.equal((await newestMessage(server, phone)).status, "pending");
    clock.advanceSeconds(2);
    assert.equal(await server.app.services.delivery.drain(), 1);
    assert.equal(verifiedByRecipe, 2);

    const [first, second] = receiver.received.slice(-2);
    assert.equal(second!.path, "/sms");
    assert.equal(second!.headers["content-type"], "application/json");
    const payload = JSON.parse(second!.rawBody);
    const message = await newestMessage(server, phone);
    assert.deepEqual(Object.keys(payload).sort(), ["body", "locale", "message_id", "sent_at", "to"]);
    assert.equal(payload.to, phone);
    assert.equal(payload.locale, "pt-br");
    assert.match(payload.body, /^Seu código de verificação é \d{6}\./);
    assert.equal(payload.message_id, message.messageId);
    assert.equal(JSON.parse(first!.rawBody).message_id, message.messageId, "a retry carries the same message_id");
    assert.equal(payload.sent_at, new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"));
    assert.equal(second!.headers["x-tessera-timestamp"], String(Math.floor(clock.now() / 1000)));

    // The exported verifier agrees, and refuses tampering, a wrong secret and stale timestamps.
    const check = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({
        secret: SECRET,
        timestamp: String(second!.headers["x-tessera-timestamp"]),
        signatureHeader: String(second!.headers["x-tessera-signature"]),
        rawBody: second!.rawBody,
        nowSeconds: Math.floor(clock.now() / 1000),
        ...overrides,
      });
    assert.equal(check({}), true);
    assert.equal(check({ rawBody: second!.rawBody.replace(phone, "+14155550000") }), false);
    assert.equal(check({ secret: `${SECRET}x` }), false);
    assert.equal(check({ nowSeconds: Math.floor(clock.now() / 1000) + 301 }), false);
    assert.equal(check({ signatureHeader: `v1=${"0".repeat(64)}, ${String(second!.headers["x-tessera-signature"])}` }), true, "rotation: any listed value");
  });
});

describe("SMS delivery configuration", () => {
  it("a live project with no SMS provider refuses to send, and says why", async () => {
    const clock = new FakeClock();
    const server = await startServer({}, clock, "live");
    try {
      const { organizationId, memberId } = await memberWithPhone(server);
      await expectSdkError(server.client.otps.sms.send({ organization_id: organizationId, member_id: memberId }), 400, "sms_delivery_not_configured");
    } finally {
      await server.close();
    }
  });
});
