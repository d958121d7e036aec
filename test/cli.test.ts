import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { KEY_CACHE_TTL_MS } from "../src/services/keys.js";
import { FakeClock, sdkClient, startHarness, type Harness } from "./support/harness.js";
import { createOrganization, decodeJwt, expectSdkError, organizationMemberSession } from "./support/fixtures.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

/** The parent's environment without anything that configures Tessera, plus `extra`. */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(TESSERA_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(key)) env[key] = value;
  }
  return { ...env, LOG_LEVEL: "warn", ...extra };
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: cliEnv(env), timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Served {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  stop(): Promise<number | null>;
}

const children = new Set<ChildProcess>();

/** Spawns `tessera serve` and resolves once it prints that it is listening. */
async function serve(env: Record<string, string>): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "serve"], {
    env: cliEnv({ HOST: "127.0.0.1", PORT: String(port), ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`serve did not start within 15 s\n${stdout}\n${stderr}`)), 15_000);
    const check = (): void => {
      if (/Tessera listening on/.test(stdout)) {
        clearTimeout(guard);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(guard);
      reject(new Error(`serve exited with ${code} before listening\n${stdout}\n${stderr}`));
    });
  });
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => stdout,
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      children.delete(child);
      return code;
    },
  };
}

describe("tessera CLI", () => {
  const clock = new FakeClock();
  let h: Harness;
  let scratch: string;

  before(async () => {
    h = await startHarness({ clock });
    scratch = mkdtempSync(join(tmpdir(), "tessera-cli-"));
  });
  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    await h.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe("projects create", () => {
    it("prints the new project's credentials, which a server already running on that database accepts", async () => {
      const result = await runCli(["projects", "create", "--name", "CLI project"], { DATABASE_URL: `sqlite:${h.databasePath}` });
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split("\n");
      assert.equal(lines.length, 1);
      const created = JSON.parse(lines[0]!) as { project_id: string; secret: string };
      assert.deepEqual(Object.keys(created), ["project_id", "secret"]);
      assert.match(created.project_id, /^project-test-[0-9a-f-]{36}$/);
      assert.match(created.secret, /^secret-test-[A-Za-z0-9_-]{40,}$/);

      const client = sdkClient(h.baseUrl, created.project_id, created.secret);
      const organization = await createOrganization(client);
      const fetched = await client.organizations.get({ organization_id: organization.organization_id });
      assert.equal(fetched.organization.organization_id, organization.organization_id);
      const project = await h.app.services.projects.find(created.project_id);
      assert.equal(project?.name, "CLI project");
      const jwks = await client.sessions.getJWKS({ project_id: created.project_id });
      assert.equal(jwks.keys.length, 2);
    });

    it("creates a live project with --live", async () => {
      const result = await runCli(["projects", "create", "--live"], { DATABASE_URL: `sqlite:${h.databasePath}` });
      assert.equal(result.code, 0, result.stderr);
      const created = JSON.parse(result.stdout) as { project_id: string; secret: string };
      assert.match(created.project_id, /^project-live-/);
      assert.match(created.secret, /^secret-live-/);
    });
  });

  describe("keys rotate", () => {
    it("publishes a new key and signs new JWTs with the previously published next key, while old JWTs still verify", async () => {
      const { session } = await organizationMemberSession(h);
      const oldJwt = session.sessionJwt;
      const oldKid = decodeJwt(oldJwt).header.kid;
      const before = await h.client.sessions.getJWKS({ project_id: h.project.projectId });
      assert.equal(before.keys.length, 2);
      const nextKid = before.keys.map((key) => key.kid).find((kid) => kid !== oldKid)!;
      assert.ok(nextKid, "a next key is published before it signs");

      const result = await runCli(["keys", "rotate", "--project", h.project.projectId], { DATABASE_URL: `sqlite:${h.databasePath}` });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { rotated: [{ project_id: h.project.projectId, signing_kid: nextKid }] });

      // The running server trusts its cached key set for KEY_CACHE_TTL_MS; then it reads the rotation.
      clock.advanceSeconds(KEY_CACHE_TTL_MS / 1000 + 1);
      const afterRotation = await h.client.sessions.getJWKS({ project_id: h.project.projectId });
      const kids = afterRotation.keys.map((key) => key.kid);
      assert.equal(kids.length, 3);
      assert.ok(kids.includes(oldKid), "the retired key stays published");
      assert.ok(kids.includes(nextKid));
      const newKid = kids.find((kid) => kid !== oldKid && kid !== nextKid);
      assert.match(newKid ?? "", /^jwk-test-/);

      const refreshed = await h.client.sessions.authenticate({ session_token: session.sessionToken });
      assert.equal(decodeJwt(refreshed.session_jwt).header.kid, nextKid);
      const { session: fresh } = await organizationMemberSession(h);
      assert.equal(decodeJwt(fresh.sessionJwt).header.kid, nextKid);

      const client = sdkClient(h.baseUrl, h.project.projectId, h.secret);
      const currentDate = new Date(clock.now());
      const oldVerified = await client.sessions.authenticateJwtLocal({ session_jwt: oldJwt, current_date: currentDate });
      assert.equal(oldVerified.member_session_id, session.session.sessionId);
      const newVerified = await client.sessions.authenticateJwtLocal({ session_jwt: refreshed.session_jwt, current_date: currentDate });
      assert.equal(newVerified.member_session_id, session.session.sessionId);
      const remote = await h.client.sessions.authenticate({ session_jwt: oldJwt });
      assert.equal(remote.member_session.member_session_id, session.session.sessionId);
    });

    it("rotates every project when no --project is given", async () => {
      const result = await runCli(["keys", "rotate"], { DATABASE_URL: `sqlite:${h.databasePath}` });
      assert.equal(result.code, 0, result.stderr);
      const { rotated } = JSON.parse(result.stdout) as { rotated: { project_id: string; signing_kid: string }[] };
      const projectIds = await h.app.store.listProjectIds();
      assert.deepEqual(rotated.map((entry) => entry.project_id).sort(), [...projectIds].sort());
      assert.ok(rotated.every((entry) => /^jwk-(test|live)-/.test(entry.signing_kid)));
    });

    it("exits 1 for an unknown project", async () => {
      const result = await runCli(["keys", "rotate", "--project", "project-test-00000000-0000-4000-8000-000000000000"], {
        DATABASE_URL: `sqlite:${h.databasePath}`,
      });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /No project/);
    });
  });

  describe("usage", () => {
    it("exits 2 for an unknown command and 1 for an invalid configuration", async () => {
      assert.equal((await runCli(["frobnicate"], { DATABASE_URL: `sqlite:${join(scratch, "usage.db")}` })).code, 2);
      const invalid = await runCli(["projects", "create"], { DATABASE_URL: "mysql://nope" });
      assert.equal(invalid.code, 1);
      assert.match(invalid.stderr, /DATABASE_URL/);
    });
  });

  describe("serve", () => {
    it("makes the TESSERA_PROJECT_ID/TESSERA_PROJECT_SECRET project work, and a second start is idempotent", async () => {
      const databaseUrl = `sqlite:${join(scratch, "bootstrap.db")}`;
      const projectId = `project-test-${randomUUID()}`;
      const secret = `bootstrap-${randomUUID()}`;
      const env = { DATABASE_URL: databaseUrl, TESSERA_PROJECT_ID: projectId, TESSERA_PROJECT_SECRET: secret };

      const first = await serve(env);
      const client = sdkClient(first.baseUrl, projectId, secret);
      const organization = await createOrganization(client);
      const firstKeys = (await client.sessions.getJWKS({ project_id: projectId })).keys.map((key) => key.kid).sort();
      assert.equal(firstKeys.length, 2);
      assert.doesNotMatch(first.output(), /Created a test project/);
      assert.equal(await first.stop(), 0);

      const second = await serve(env);
      const again = sdkClient(second.baseUrl, projectId, secret);
      const fetched = await again.organizations.get({ organization_id: organization.organization_id });
      assert.deepEqual(fetched.organization, organization);
      const secondKeys = (await again.sessions.getJWKS({ project_id: projectId })).keys.map((key) => key.kid).sort();
      assert.deepEqual(secondKeys, firstKeys, "no new keys on a second start");
      assert.equal(await second.stop(), 0);
    });

    it("replaces the stored secret when TESSERA_PROJECT_SECRET changes", async () => {
      const databaseUrl = `sqlite:${join(scratch, "rotate-secret.db")}`;
      const projectId = `project-test-${randomUUID()}`;
      const oldSecret = `old-secret-${randomUUID()}`;
      const newSecret = `new-secret-${randomUUID()}`;
      const first = await serve({ DATABASE_URL: databaseUrl, TESSERA_PROJECT_ID: projectId, TESSERA_PROJECT_SECRET: oldSecret });
      await createOrganization(sdkClient(first.baseUrl, projectId, oldSecret));
      await first.stop();

      const second = await serve({ DATABASE_URL: databaseUrl, TESSERA_PROJECT_ID: projectId, TESSERA_PROJECT_SECRET: newSecret });
      await expectSdkError(createOrganization(sdkClient(second.baseUrl, projectId, oldSecret)), 401, "unauthorized_credentials");
      const search = await sdkClient(second.baseUrl, projectId, newSecret).organizations.search({});
      assert.equal(search.organizations.length, 1);
      await second.stop();
    });

    it("creates and prints a test project on an empty database without bootstrap variables", async () => {
      const served = await serve({ DATABASE_URL: `sqlite:${join(scratch, "default.db")}` });
      const line = served.output().split("\n").find((text) => text.startsWith("{"));
      assert.ok(line, served.output());
      const created = JSON.parse(line) as { project_id: string; secret: string };
      assert.match(created.project_id, /^project-test-/);
      const organization = await createOrganization(sdkClient(served.baseUrl, created.project_id, created.secret));
      assert.match(organization.organization_id, /^organization-test-/);
      assert.equal(await served.stop(), 0);

      const restarted = await serve({ DATABASE_URL: `sqlite:${join(scratch, "default.db")}` });
      assert.doesNotMatch(restarted.output(), /Created a test project/, "only an empty database gets a project");
      assert.equal(await restarted.stop(), 0);
    });
  });
});
