import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { signWebhookBody } from "../../src/delivery/event-webhook.js";
import type { Member, Organization } from "../../src/domain/types.js";
import { hashSessionId } from "../../src/services/audit.js";
import { startHarness, type Harness } from "../support/harness.js";

const run = promisify(execFile);
const WEBHOOK_SECRET = "whsec-test-0123456789";

/** Lets background audit writes reach their group commit. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("security audit trail", () => {
  let h: Harness;
  let webhook: Server;
  const received: { body: string; timestamp: string; signature: string }[] = [];
  let orgA: Organization;
  let orgB: Organization;
  let member: Member;

  before(async () => {
    webhook = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        received.push({ body, timestamp: String(request.headers["x-tessera-timestamp"]), signature: String(request.headers["x-tessera-signature"]) });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
    const port = (webhook.address() as AddressInfo).port;
    h = await startHarness({ env: { SECURITY_EVENTS_WEBHOOK_URL: `http://127.0.0.1:${port}/events`, SECURITY_EVENTS_WEBHOOK_SECRET: WEBHOOK_SECRET } });
    orgA = await h.app.services.organizations.create(h.project, { organization_name: "Audit A" });
    orgB = await h.app.services.organizations.create(h.project, { organization_name: "Audit B", mfa_policy: "REQUIRED_FOR_ALL" });
    member = (await h.app.services.members.create(h.project, orgA.organizationId, { email_address: "audit@example.com" })).member;
    await h.app.services.members.create(h.project, orgB.organizationId, { email_address: "audit@example.com" });
  });
  after(async () => {
    await h.close();
    webhook.close();
  });

  it("records authentication, exchange step-up, refusal and revocation, with hashed session ids and no secrets", async () => {
    const session = await h.app.services.sessions.start(h.project, orgA, member, [
      { type: "magic_link", delivery_method: "email", last_authenticated_at: "2026-01-15T09:00:00Z", email_factor: { email_id: member.emailId, email_address: member.emailAddress } },
    ]);
    await h.client.sessions.authenticate({ session_token: session.sessionToken });
    const stepUp = await h.client.sessions.exchange({ organization_id: orgB.organizationId, session_token: session.sessionToken });
    await h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: orgB.organizationId, session_token: "not-a-token" }, { "user-agent": "audit-test" });
    await h.client.sessions.revoke({ session_token: session.sessionToken });
    await settle();

    const events = await h.app.services.context.store.listSecurityEvents(h.project.projectId, { limit: 10 });
    const summary = events.map((event) => `${event.kind}:${event.outcome}:${event.reason}`).reverse();
    assert.deepEqual(summary, [
      "authentication:session:",
      "exchange:intermediate_session:",
      "exchange:refused:session_not_found",
      "revocation:revoked:",
    ]);
    const authentication = events.find((event) => event.kind === "authentication")!;
    assert.equal(authentication.sessionIdHash, hashSessionId(session.session.sessionId));
    assert.equal(authentication.organizationId, orgA.organizationId);
    const refusal = events.find((event) => event.outcome === "refused")!;
    assert.equal(refusal.userAgent, "audit-test");
    assert.equal(refusal.organizationId, orgB.organizationId);
    assert.ok(refusal.requestId.startsWith("request-id-test-"));

    const everything = JSON.stringify(events);
    for (const secret of [session.sessionToken, session.sessionJwt, stepUp.intermediate_session_token, h.secret, session.session.sessionId]) {
      assert.equal(everything.includes(secret), false);
    }
  });

  it("forwards each event to the webhook with a verifiable signature", async () => {
    for (let attempt = 0; attempt < 50 && received.length < 4; attempt++) await settle();
    assert.ok(received.length >= 4);
    for (const delivery of received) {
      assert.equal(delivery.signature, signWebhookBody(WEBHOOK_SECRET, Number(delivery.timestamp), delivery.body));
      assert.equal(JSON.parse(delivery.body).project_id, h.project.projectId);
    }
  });

  it("is queryable from the CLI", async () => {
    const { stdout } = await run(process.execPath, ["dist/src/cli/main.js", "events", "--project", h.project.projectId, "--limit", "2"], {
      env: { ...process.env, DATABASE_URL: `sqlite:${h.databasePath}` },
    });
    const lines = stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].kind, "revocation");
    assert.equal(lines[0].project_id, h.project.projectId);
  });
});
