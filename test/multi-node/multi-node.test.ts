/**
 * Two Tessera nodes on one PostgreSQL database, driven through the official `stytch` SDK — the
 * promises of docs/multi-node.md, proved on real processes (issue 6, "Done when"):
 *
 * 1. both nodes start at once on a fresh schema (migrations under the advisory lock, the same
 *    project bootstrapped by both) and publish the same keys;
 * 2. a magic-link login and an exchange on node 1 are authenticated on node 2;
 * 3. a revoke on node 2 is refused by node 1 on the very next request, by token and by JWT;
 * 4. `tessera keys rotate` (the CLI, same DATABASE_URL) reaches both nodes within the key cache's
 *    lifetime, and JWTs minted by both nodes under the old and the new key verify with
 *    `authenticateJwtLocal` — also in an SDK that fetched the JWKS before the rotation;
 * 5. 200 SMS passcodes sent through both nodes reach a signed-webhook receiver exactly once each;
 * 6. SIGTERM ends both nodes cleanly and closes their database pools.
 *
 * Runs when TEST_DATABASE_URL is set (`.ci/run` sets it); the schema is created for the run and
 * dropped afterwards.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { after, before, describe, it, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { KEY_CACHE_TTL_MS } from "../../src/services/keys.js";
import { MAIN_JS, startServer, type ChildServer } from "../support/child-server.js";
import { sdkClient } from "../support/harness.js";

const databaseUrl = process.env.TEST_DATABASE_URL;
const MIGRATIONS_DIR = fileURLToPath(new URL("../../../src/store/postgres/migrations", import.meta.url));
const SMS_COUNT = 200;
/** Requests in flight at once from the test (the machine may have two cores). */
const PARALLEL = 8;

type Client = ReturnType<typeof sdkClient>;

interface Delivery {
  node: string;
  to: string;
  messageId: string;
  body: string;
}

/** Receives the nodes' signed SMS webhooks; each node posts to its own path so deliveries can be attributed. */
class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  readonly rejected: string[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly secret: string) {}

  async start(): Promise<void> {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const rawBody = Buffer.concat(chunks).toString("utf8");
        const problem = this.check(request, rawBody);
        if (problem) {
          this.rejected.push(`${request.url}: ${problem}`);
          response.writeHead(401).end();
          return;
        }
        const payload = JSON.parse(rawBody) as { to: string; message_id: string; body: string };
        this.deliveries.push({ node: request.url!.slice("/sms/".length), to: payload.to, messageId: payload.message_id, body: payload.body });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  url(node: string): string {
    return `http://127.0.0.1:${this.port}/sms/${node}`;
  }

  /** The verification docs/mfa.md tells receivers to do, written out independently of the sender's code. */
  private check(request: IncomingMessage, rawBody: string): string | null {
    if (request.method !== "POST" || !/^\/sms\/node[12]$/.test(request.url ?? "")) return `unexpected ${request.method} ${request.url}`;
    if (!String(request.headers["content-type"]).startsWith("application/json")) return "not JSON";
    const timestamp = request.headers["x-tessera-timestamp"];
    const signature = request.headers["x-tessera-signature"];
    if (typeof timestamp !== "string" || !/^\d+$/.test(timestamp)) return "no timestamp";
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return "timestamp out of tolerance";
    if (typeof signature !== "string") return "no signature";
    const expected = Buffer.from(`v1=${createHmac("sha256", this.secret).update(`${timestamp}.${rawBody}`).digest("hex")}`);
    const matches = signature.split(",").some((value) => {
      const given = Buffer.from(value.trim());
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    return matches ? null : "bad signature";
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Runs `call`, which must fail with this Stytch error (the SDK's StytchError carries the body's fields). */
async function expectSdkError(call: Promise<unknown>, status: number, errorType: string, what: string): Promise<void> {
  const outcome = await call.then(
    () => null,
    (error: any) => error,
  );
  assert.ok(outcome, `${what}: expected ${status} ${errorType}, but the call succeeded`);
  assert.equal(outcome.error_type, errorType, `${what}: expected ${errorType}, got ${outcome.error_type ?? outcome}: ${outcome.message}`);
  assert.equal(outcome.status_code, status, `${what}: status of ${errorType}`);
}

/** The `kid` in a JWT's header (not verified: the SDK does that). */
function kidOf(jwt: string): string {
  return JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString("utf8")).kid;
}

/** The promise's value, or `late` if it takes longer than `ms` (the timer does not outlive the call). */
async function within<T>(promise: Promise<T>, ms: number, late: string): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<string>((resolve) => (timer = setTimeout(() => resolve(late), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function adminQuery(url: string, sql: string, values: unknown[] = []): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

if (!databaseUrl) {
  test("two Tessera nodes on one PostgreSQL database", { skip: "TEST_DATABASE_URL is not set (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test)" }, () => {});
} else {
  describe("two Tessera nodes on one PostgreSQL database, through the official SDK", { timeout: 120_000 }, () => {
    const adminUrl = databaseUrl;
    // One name for the schema and for the nodes' connections (application_name), so the test can
    // see their pools in pg_stat_activity; both nodes get exactly the same DATABASE_URL.
    const schema = `tessera_multinode_${process.pid}_${randomBytes(4).toString("hex")}`;
    const nodeDatabaseUrl = (() => {
      const url = new URL(adminUrl);
      url.searchParams.set("schema", schema);
      url.searchParams.set("application_name", schema);
      return url.toString();
    })();
    const projectId = `project-test-${randomUUID()}`;
    const secret = `multi-node-secret-${randomBytes(12).toString("hex")}`;
    const webhookSecret = `sms-webhook-secret-${randomBytes(12).toString("hex")}`;
    const receiver = new WebhookReceiver(webhookSecret);
    const EMAIL = "ada@multi-node.example.com";

    let node1: ChildServer;
    let node2: ChildServer;
    let client1: Client;
    let client2: Client;
    const logs = (): string => `\n--- node 1 ---\n${node1?.output() ?? ""}\n--- node 2 ---\n${node2?.output() ?? ""}`;

    // Carried from one step to the next.
    let originToken = "";
    let exchangedToken = "";
    let exchangedJwt = "";

    before(async () => {
      await receiver.start();
      const start = (name: string): Promise<ChildServer> =>
        startServer({
          databaseUrl: nodeDatabaseUrl,
          projectId,
          secret,
          env: { SMS_WEBHOOK_URL: receiver.url(name), SMS_WEBHOOK_SECRET: webhookSecret },
          timeoutMs: 30_000,
        });
      // At the same moment, on a schema that does not exist yet: one migrates, the other waits for it.
      const started = await Promise.allSettled([start("node1"), start("node2")]);
      // Keep whichever came up, so that `after` stops it even if the other did not.
      if (started[0].status === "fulfilled") node1 = started[0].value;
      if (started[1].status === "fulfilled") node2 = started[1].value;
      for (const outcome of started) if (outcome.status === "rejected") throw outcome.reason;
      client1 = sdkClient(node1.baseUrl, projectId, secret);
      client2 = sdkClient(node2.baseUrl, projectId, secret);
    });

    after(async () => {
      await Promise.all([node1?.kill("SIGKILL"), node2?.kill("SIGKILL")]);
      await receiver.stop();
      await adminQuery(adminUrl, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    });

    it("both nodes came up together: one migration history, one project, one key set, both ready", async () => {
      const versions = (await adminQuery(adminUrl, `SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).map((row) => row.version);
      // Numbers may have gaps (each feature owns its number), so they are read from the file names.
      const files = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith(".sql")).sort();
      assert.deepEqual(versions, files.map((name) => Number(name.slice(0, 3))), "every migration applied, once");
      assert.deepEqual(await adminQuery(adminUrl, `SELECT project_id FROM "${schema}".projects`), [{ project_id: projectId }]);
      const keyStates = await adminQuery(adminUrl, `SELECT state FROM "${schema}".signing_keys WHERE project_id = $1 ORDER BY state`, [projectId]);
      assert.deepEqual(keyStates.map((row) => row.state), ["current", "next"], "both nodes ensured keys; one set survived");
      const jwks = await Promise.all(
        [node1, node2].map(async (node) => {
          assert.equal((await fetch(`${node.baseUrl}/readyz`)).status, 200);
          const body = (await (await fetch(`${node.baseUrl}/v1/b2b/sessions/jwks/${projectId}`)).json()) as { keys: { kid: string }[] };
          return body.keys.map((key) => key.kid).sort();
        }),
      );
      assert.equal(jwks[0]!.length, 2);
      assert.deepEqual(jwks[0], jwks[1], "both nodes publish the same keys");
    });

    it("logs in and exchanges on node 1; node 2 authenticates the exchanged session", async () => {
      const orgA = (await client1.organizations.create({ organization_name: "Alpha", organization_slug: "alpha" })).organization.organization_id;
      const orgB = (await client1.organizations.create({ organization_name: "Beta", organization_slug: "beta" })).organization.organization_id;
      await client1.organizations.members.create({ organization_id: orgA, email_address: EMAIL });
      await client1.organizations.members.create({ organization_id: orgB, email_address: EMAIL });

      await client1.magicLinks.email.loginOrSignup({ organization_id: orgA, email_address: EMAIL });
      // The test outbox is a table: node 2 reads the email node 1 wrote.
      const outbox = await fetch(`${node2.baseUrl}/v1/test/outbox?to=${encodeURIComponent(EMAIL)}`, {
        headers: { authorization: `Basic ${Buffer.from(`${projectId}:${secret}`).toString("base64")}` },
      });
      assert.equal(outbox.status, 200);
      const token = ((await outbox.json()) as { messages: { magic_links_token?: string }[] }).messages[0]?.magic_links_token;
      assert.ok(token, "the login email carries a magic link token");
      const login = await client1.magicLinks.authenticate({ magic_links_token: token });
      assert.equal(login.member_authenticated, true);
      assert.equal(login.organization_id, orgA);
      originToken = login.session_token;

      const exchanged = await client1.sessions.exchange({ organization_id: orgB, session_token: login.session_token });
      assert.equal(exchanged.member_authenticated, true);
      assert.equal(exchanged.organization.organization_id, orgB);
      exchangedToken = exchanged.session_token;
      exchangedJwt = exchanged.session_jwt;

      const byToken = await client2.sessions.authenticate({ session_token: exchangedToken });
      assert.equal(byToken.member_session.member_session_id, exchanged.member_session!.member_session_id);
      assert.equal(byToken.member_session.organization_id, orgB);
      const byJwt = await client2.sessions.authenticate({ session_jwt: exchangedJwt });
      assert.equal(byJwt.member_session.member_session_id, exchanged.member_session!.member_session_id);
    });

    it("a session revoked on node 2 is refused by node 1 on the very next request, by token and by JWT", async () => {
      assert.ok(exchangedToken, "needs the exchanged session of the previous step");
      await client2.sessions.revoke({ session_token: exchangedToken });
      await expectSdkError(client1.sessions.authenticate({ session_token: exchangedToken }), 404, "session_not_found", "node 1, token");
      await expectSdkError(client1.sessions.authenticate({ session_jwt: exchangedJwt }), 404, "session_not_found", "node 1, JWT");
      await expectSdkError(
        client1.sessions.exchange({ organization_id: "alpha", session_token: exchangedToken }),
        404,
        "session_not_found",
        "node 1, exchange out of the revoked session",
      );
      // Only that session: the login it was exchanged from still lives, on both nodes.
      await client1.sessions.authenticate({ session_token: originToken });
      await client2.sessions.authenticate({ session_token: originToken });
    });

    it("a key rotation by the CLI reaches both nodes; old- and new-key JWTs from both verify with authenticateJwtLocal", async (t) => {
      assert.ok(originToken, "needs the login session of the exchange step");
      // A fresh JWT (the session changes) from each node, signed by the key in use now.
      const mint = async (client: Client): Promise<string> =>
        (await client.sessions.authenticate({ session_token: originToken, session_duration_minutes: 60 })).session_jwt;
      const oldJwts = { node1: await mint(client1), node2: await mint(client2) };
      const oldKid = kidOf(oldJwts.node1);
      assert.equal(kidOf(oldJwts.node2), oldKid, "both nodes sign with the same key");
      const published = (await (await fetch(`${node1.baseUrl}/v1/b2b/sessions/jwks/${projectId}`)).json()) as { keys: { kid: string }[] };
      const nextKid = published.keys.map((key) => key.kid).find((kid) => kid !== oldKid);
      assert.ok(nextKid, "a next key is published besides the signing key");
      // An application whose SDK fetched the JWKS before the rotation (and may not refetch for 30 s).
      const earlyClient = sdkClient(node2.baseUrl, projectId, secret);
      await earlyClient.sessions.authenticateJwtLocal({ session_jwt: oldJwts.node2 });

      const { stdout } = await promisify(execFile)(process.execPath, [MAIN_JS, "keys", "rotate", "--project", projectId], {
        env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: nodeDatabaseUrl, TESSERA_PROJECT_ID: "", TESSERA_PROJECT_SECRET: "" },
        timeout: 30_000,
      });
      const rotated = JSON.parse(stdout) as { rotated: { project_id: string; signing_kid: string }[] };
      assert.deepEqual(rotated.rotated, [{ project_id: projectId, signing_kid: nextKid }], "the published next key now signs");

      // Each node switches once its cached key set expires (KEY_CACHE_TTL_MS); bounded well past that.
      const rotatedAt = Date.now();
      const newJwts: Record<"node1" | "node2", string> = { node1: "", node2: "" };
      const switchedAfterMs: Record<"node1" | "node2", number> = { node1: 0, node2: 0 };
      for (const [name, client] of [["node1", client1], ["node2", client2]] as const) {
        for (;;) {
          const jwt = await mint(client);
          if (kidOf(jwt) === nextKid) {
            newJwts[name] = jwt;
            switchedAfterMs[name] = Date.now() - rotatedAt;
            break;
          }
          assert.equal(kidOf(jwt), oldKid, `${name} signs with the old key until it switches`);
          assert.ok(Date.now() - rotatedAt < KEY_CACHE_TTL_MS + 5_000, `${name} still signs with the old key ${Date.now() - rotatedAt} ms after the rotation`);
          await sleep(200);
        }
      }
      for (const name of ["node1", "node2"] as const) {
        assert.ok(switchedAfterMs[name] <= KEY_CACHE_TTL_MS + 2_000, `${name} switched after ${switchedAfterMs[name]} ms`);
      }
      t.diagnostic(`new signing key in use ${switchedAfterMs.node1} ms (node 1) and ${switchedAfterMs.node2} ms (node 2) after the rotation`);
      // Having re-read the keys, both nodes publish the same three: retired, signing, and the fresh next.
      const republished = await Promise.all(
        [node1, node2].map(async (node) =>
          ((await (await fetch(`${node.baseUrl}/v1/b2b/sessions/jwks/${projectId}`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid).sort(),
        ),
      );
      assert.deepEqual(republished[0], republished[1]);
      assert.equal(republished[0]!.length, 3);
      assert.ok(republished[0]!.includes(oldKid) && republished[0]!.includes(nextKid));

      const jwts = { "old key, node 1": oldJwts.node1, "old key, node 2": oldJwts.node2, "new key, node 1": newJwts.node1, "new key, node 2": newJwts.node2 };
      const verifiers = {
        "a fresh SDK on node 1": sdkClient(node1.baseUrl, projectId, secret),
        "a fresh SDK on node 2": sdkClient(node2.baseUrl, projectId, secret),
        "an SDK that fetched the JWKS before the rotation": earlyClient,
      };
      for (const [verifierName, verifier] of Object.entries(verifiers)) {
        for (const [jwtName, jwt] of Object.entries(jwts)) {
          const local = await verifier.sessions.authenticateJwtLocal({ session_jwt: jwt }).catch((error: unknown) => {
            throw new Error(`${verifierName} refused the JWT (${jwtName}): ${String(error)}`);
          });
          assert.equal(local.organization_slug, "alpha", `${verifierName}, ${jwtName}`);
        }
      }
    });

    it(`${SMS_COUNT} SMS passcodes sent through both nodes are each delivered exactly once, signed`, async (t) => {
      const clients = [client1, client2];
      const organizationId = (await client1.organizations.create({ organization_name: "Texting", organization_slug: "texting" })).organization
        .organization_id;
      const indexes = Array.from({ length: SMS_COUNT }, (_, index) => index);
      // One member and one phone per message: the per-phone and per-member send limits (5 a minute) never apply.
      const phones = indexes.map((index) => `+1415555${String(2000 + index).padStart(4, "0")}`);
      const memberIds = await mapLimit(indexes, PARALLEL, async (index) => {
        const created = await clients[index % 2]!.organizations.members.create({
          organization_id: organizationId,
          email_address: `texter-${index}@multi-node.example.com`,
        });
        return created.member_id;
      });
      // Members without an MFA factor: the backend may start enrollment without a session (docs/mfa.md, anti-bypass).
      const sendStartedAt = Date.now();
      await mapLimit(indexes, PARALLEL, async (index) => {
        const sent = await clients[index % 2]!.otps.sms.send({
          organization_id: organizationId,
          member_id: memberIds[index]!,
          mfa_phone_number: phones[index]!,
        });
        assert.equal(sent.member.mfa_phone_number, phones[index]);
      });

      const distinct = (): number => new Set(receiver.deliveries.map((delivery) => delivery.messageId)).size;
      const deadline = Date.now() + 30_000;
      while (distinct() < SMS_COUNT && Date.now() < deadline && receiver.rejected.length === 0) await sleep(50);
      const deliveredAfterMs = Date.now() - sendStartedAt;
      // Two poll intervals more, for a late second copy to show up if there were one.
      await sleep(2_500);
      assert.deepEqual(receiver.rejected, [], "every delivery was signed correctly");
      assert.equal(distinct(), SMS_COUNT, `distinct deliveries after ${deliveredAfterMs} ms${logs()}`);
      assert.equal(receiver.deliveries.length, SMS_COUNT, "no message delivered twice");
      assert.deepEqual(receiver.deliveries.map((delivery) => delivery.to).sort(), [...phones].sort(), "one message per phone");
      for (const delivery of receiver.deliveries) {
        assert.match(delivery.messageId, /^message-test-[0-9a-f-]{36}$/);
        assert.match(delivery.body, /^Your verification code is \d{6}\./);
      }
      // Both nodes' workers drained the one table.
      const byNode = { node1: 0, node2: 0 } as Record<string, number>;
      for (const delivery of receiver.deliveries) byNode[delivery.node] = (byNode[delivery.node] ?? 0) + 1;
      assert.ok(byNode.node1! > 0 && byNode.node2! > 0, `deliveries per node: ${JSON.stringify(byNode)}`);
      const sentThrough = new Map(phones.map((phone, index) => [phone, `node${(index % 2) + 1}`]));
      const crossed = receiver.deliveries.filter((delivery) => sentThrough.get(delivery.to) !== delivery.node).length;
      t.diagnostic(
        `${SMS_COUNT} messages delivered ${deliveredAfterMs} ms after the first send; node 1 delivered ${byNode.node1}, node 2 ${byNode.node2}; ` +
          `${crossed} by the node that did not enqueue them`,
      );

      // The database agrees: each message claimed once (attempts = 1) and marked delivered, and its
      // message id and code are the ones the receiver got.
      const rows = await adminQuery(
        adminUrl,
        `SELECT message_id, recipient, status, attempts FROM "${schema}".outbox_messages WHERE project_id = $1 AND channel = 'sms'`,
        [projectId],
      );
      assert.equal(rows.length, SMS_COUNT);
      for (const row of rows) assert.deepEqual([row.status, row.attempts], ["delivered", 1], `outbox row of ${row.recipient}`);
      const delivered = new Map(receiver.deliveries.map((delivery) => [delivery.to, delivery]));
      await mapLimit(indexes, PARALLEL, async (index) => {
        const response = await fetch(`${[node1, node2][index % 2]!.baseUrl}/v1/test/outbox?to=${encodeURIComponent(phones[index]!)}`, {
          headers: { authorization: `Basic ${Buffer.from(`${projectId}:${secret}`).toString("base64")}` },
        });
        const [message] = ((await response.json()) as { messages: { message_id: string; code: string }[] }).messages;
        const received = delivered.get(phones[index]!)!;
        assert.equal(received.messageId, message?.message_id);
        assert.ok(received.body.includes(`code is ${message!.code}.`), "the delivered text carries the stored code");
      });
    });

    it("SIGTERM stops both nodes cleanly: an in-flight request is finished, then the pools are closed", async () => {
      assert.ok(originToken, "needs the login session of the exchange step");
      const backends = async (condition = "true"): Promise<number> =>
        Number(
          (await adminQuery(adminUrl, `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND ${condition}`, [schema]))[0].n,
        );
      assert.ok((await backends()) > 0, "the nodes hold connections while running");

      // A request node 1 is in the middle of when the signal comes: it waits on a table lock held here.
      const locker = new pg.Client({ connectionString: adminUrl });
      await locker.connect();
      let inFlight: Promise<unknown> | undefined;
      try {
        await locker.query("BEGIN");
        await locker.query(`LOCK TABLE "${schema}".sessions IN ACCESS EXCLUSIVE MODE`);
        inFlight = client1.sessions.authenticate({ session_token: originToken }).then(
          (response) => response.status_code,
          (error: unknown) => error,
        );
        for (let attempt = 0; attempt < 100 && (await backends("wait_event_type = 'Lock'")) === 0; attempt++) await sleep(50);
        assert.ok((await backends("wait_event_type = 'Lock'")) > 0, "node 1 is waiting on the lock");
        node1.child.kill("SIGTERM");
        await sleep(500);
        assert.equal(node1.child.exitCode, null, "node 1 waits for its in-flight request");
        const refused = await fetch(`${node1.baseUrl}/healthz`).then(
          (response) => `HTTP ${response.status}`,
          () => "refused",
        );
        assert.notEqual(refused, "HTTP 200", "node 1 takes no new request once it is stopping");
      } finally {
        await locker.query("COMMIT").catch(() => {});
        await locker.end();
      }
      assert.equal(await inFlight, 200, "the in-flight request was answered");

      const outcomes = await Promise.all([node1.exited, node2.kill("SIGTERM")].map((exited) => within(exited, 15_000, "still running 15 s after SIGTERM")));
      assert.deepEqual(outcomes, ["exit 0", "exit 0"], logs());
      let left = await backends();
      for (let attempt = 0; attempt < 40 && left > 0; attempt++) {
        await sleep(50);
        left = await backends();
      }
      assert.equal(left, 0, "no connection of either node is left open");
      assert.doesNotMatch(node1.output() + node2.output(), /"level":(50|60)/, `no error was logged${logs()}`);
    });
  });
}
