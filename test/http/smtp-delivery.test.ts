import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SMTPServer } from "smtp-server";
import type { Organization } from "../../src/domain/types.js";
import { expectStytchError, FakeClock, sdkClient, startHarness, type Harness } from "../support/harness.js";
import { expectSdkError, latestMessage } from "./login-helpers.js";
import { parseMail, type ParsedMail } from "./mime.js";

interface Received {
  from: string;
  to: string[];
  mail: ParsedMail;
}

/** A local SMTP server on 127.0.0.1 that requires AUTH and records what it accepts. */
class RecordingSmtpServer {
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];
  private server: SMTPServer | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      authMethods: ["PLAIN", "LOGIN"],
      logger: false,
      onAuth: (auth, _session, callback) =>
        auth.username === "tessera" && auth.password === "s3cret"
          ? callback(null, { user: auth.username })
          : callback(new Error("Invalid username or password")),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            mail: parseMail(Buffer.concat(chunks).toString("utf8")),
          });
          for (const wake of this.waiters.splice(0)) wake();
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Resolves once `count` messages have arrived (or fails after a few seconds). */
  async waitFor(count: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.received.length < count) {
      if (Date.now() > deadline) assert.fail(`expected ${count} messages, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }
}

describe("email delivery over real SMTP", () => {
  const clock = new FakeClock();
  const smtp = new RecordingSmtpServer();
  let h: Harness;
  let org: Organization;

  before(async () => {
    await smtp.start();
    h = await startHarness({
      clock,
      env: { SMTP_URL: `smtp://tessera:s3cret@127.0.0.1:${smtp.port}`, EMAIL_FROM: "Acme Login <login@acme.test>" },
    });
    org = await h.app.services.organizations.create(h.project, {
      organization_name: "Acme",
      organization_slug: "acme",
      email_jit_provisioning: "RESTRICTED",
      email_allowed_domains: ["acme.test"],
      email_invites: "ALL_ALLOWED",
    });
  });
  after(async () => {
    await h.close();
    await smtp.stop();
  });

  it("delivers a Spanish signup link whose link logs the member in", async () => {
    const sent = await h.client.magicLinks.email.loginOrSignup({
      organization_id: "acme",
      email_address: "Rosa@acme.test",
      signup_redirect_url: "http://localhost:4000/auth",
      locale: "es",
    });
    await smtp.waitFor(1);
    const { from, to, mail } = smtp.received[0]!;
    assert.equal(from, "login@acme.test");
    assert.deepEqual(to, ["rosa@acme.test"]);
    assert.match(mail.headers.get("from")!, /Acme Login <login@acme.test>/);
    assert.equal(mail.headers.get("content-language"), "es");
    assert.equal(mail.subject, "Termina tu registro en Acme");
    assert.match(mail.text, /Haz clic en el enlace de abajo para confirmar tu correo electrónico y unirte a Acme\./);
    assert.match(mail.text, /Este enlace caduca en 1 hora/);
    assert.match(mail.html, /<html lang="es">/);
    assert.match(mail.html, /Confirmar y unirme/);

    // Follow the link exactly as the application would: take the token from the URL in the email.
    const link = /http:\/\/localhost:4000\/auth\?\S+/.exec(mail.text)?.[0];
    assert.ok(link, mail.text);
    const url = new URL(link);
    assert.equal(url.searchParams.get("stytch_token_type"), "multi_tenant_magic_links");
    const token = url.searchParams.get("token")!;
    const auth = await h.client.magicLinks.authenticate({ magic_links_token: token });
    assert.equal(auth.member_authenticated, true);
    assert.equal(auth.member_id, sent.member_id);
    assert.equal(auth.member.status, "active");

    // The test outbox saw the same message, now delivered.
    const recorded = await latestMessage(h, "rosa@acme.test");
    assert.equal(recorded.magic_links_token, token);
    assert.equal(recorded.status, "delivered");
  });

  it("delivers email passcodes, password resets and invites in their languages", async () => {
    const before = smtp.received.length;
    await h.app.services.members.create(h.project, org.organizationId, { email_address: "ines@acme.test" });
    await h.client.otps.email.loginOrSignup({ organization_id: "acme", email_address: "ines@acme.test", locale: "pt-br" });
    await smtp.waitFor(before + 1);
    const otpMail = smtp.received[before]!.mail;
    assert.equal(otpMail.subject, "Seu código de verificação para Acme");
    const code = /\b(\d{6})\b/.exec(otpMail.text)?.[1];
    assert.ok(code);
    const auth = await h.client.otps.email.authenticate({ organization_id: "acme", email_address: "ines@acme.test", code });
    assert.equal(auth.member_authenticated, true);

    clock.advanceSeconds(1);
    await h.client.passwords.email.resetStart({ organization_id: "acme", email_address: "ines@acme.test", locale: "fr" });
    await smtp.waitFor(before + 2);
    assert.equal(smtp.received[before + 1]!.mail.subject, "Réinitialisez votre mot de passe Acme");

    await h.client.magicLinks.email.invite({ organization_id: "acme", email_address: "jo@acme.test" });
    await smtp.waitFor(before + 3);
    assert.equal(smtp.received[before + 2]!.mail.subject, "You're invited to join Acme");
  });

  it("keeps a message through an SMTP outage and delivers it on retry, without failing the request", async () => {
    const before = smtp.received.length;
    const port = smtp.port;
    await smtp.stop();
    const sent = await h.client.magicLinks.email.loginOrSignup({ organization_id: "acme", email_address: "kai@acme.test" });
    assert.equal(sent.status_code, 200);
    // Let the worker's first attempt fail against the closed port.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const [row] = await h.app.store.listOutboxMessages(h.project.projectId, "kai@acme.test", 1);
      if (row && row.attempts >= 1 && row.lastError !== "") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const pending = await latestMessage(h, "kai@acme.test");
    assert.equal(pending.status, "pending");

    await smtp.start(port);
    clock.advanceSeconds(60);
    await h.app.services.delivery.drain();
    await smtp.waitFor(before + 1);
    assert.deepEqual(smtp.received[before]!.to, ["kai@acme.test"]);
    assert.equal((await latestMessage(h, "kai@acme.test")).status, "delivered");
  });
});

describe("email delivery without SMTP", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({});
  });
  after(() => h.close());

  it("still works for test projects (outbox only) and refuses for live projects", async () => {
    const org = await h.app.services.organizations.create(h.project, { organization_name: "T", email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["t.test"] });
    await h.client.magicLinks.email.loginOrSignup({ organization_id: org.organizationId, email_address: "a@t.test" });
    const message = await latestMessage(h, "a@t.test");
    assert.ok(message.magic_links_token);

    const live = await h.app.services.projects.create({ environment: "live", name: "live" });
    const liveOrg = await h.app.services.organizations.create(live.project, { organization_name: "L", email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["l.test"] });
    const client = sdkClient(h.baseUrl, live.project.projectId, live.secret);
    const error = await expectSdkError(
      client.magicLinks.email.loginOrSignup({ organization_id: liveOrg.organizationId, email_address: "a@l.test" }),
      400,
      "email_delivery_not_configured",
    );
    expectStytchError(JSON.parse(error.message), 400, "email_delivery_not_configured");
    // Nothing was written: no member was created by the refused request.
    assert.equal(await h.app.store.findMemberByEmail(live.project.projectId, liveOrg.organizationId, "a@l.test"), null);
  });
});
