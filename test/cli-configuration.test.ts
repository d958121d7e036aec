/**
 * @module The configuration CLI against the database of a running server: `public-tokens
 * create|list|delete` (a created token is accepted by the server, a deleted one refused at once),
 * `config apply` (seen by the server within the settings cache bound, checked with its fake
 * clock), and `tessera serve` refusing to start with a bad TESSERA_CONFIG.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { SETTINGS_CACHE_TTL_MS } from "../src/services/configuration/project-settings.js";
import { FakeClock, startHarness, type Harness } from "./support/harness.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(TESSERA_|DATABASE_URL$|PORT$|HOST$)/.test(key)) clean[key] = value;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...clean, LOG_LEVEL: "warn", ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("configuration CLI", () => {
  const clock = new FakeClock();
  let h: Harness;
  let env: Record<string, string>;
  before(async () => {
    h = await startHarness({ clock });
    env = { DATABASE_URL: `sqlite:${h.databasePath}` };
  });
  after(() => h.close());

  it("public-tokens create prints a token the running server accepts; delete refuses it at once", async () => {
    const created = await runCli(["public-tokens", "create", "--project", h.project.projectId], env);
    assert.equal(created.code, 0, created.stderr);
    const { public_token } = JSON.parse(created.stdout) as { public_token: string };
    assert.match(public_token, /^public-token-test-[0-9a-f-]{36}$/);
    assert.equal((await h.app.services.projects.authenticatePublicToken(public_token)).projectId, h.project.projectId);
    const listed = await runCli(["public-tokens", "list", "--project", h.project.projectId], env);
    assert.deepEqual((JSON.parse(listed.stdout) as { public_tokens: { public_token: string; source: string }[] }).public_tokens.map((t) => [t.public_token, t.source]), [[public_token, "api"]]);
    const deleted = await runCli(["public-tokens", "delete", "--project", h.project.projectId, public_token], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    await assert.rejects(h.app.services.projects.authenticatePublicToken(public_token), { errorType: "public_token_not_found" });
    const again = await runCli(["public-tokens", "delete", "--project", h.project.projectId, public_token], env);
    assert.equal(again.code, 1);
    assert.equal((await runCli(["public-tokens", "create"], env)).code, 2, "--project is required");
  });

  it("config apply changes a running server's settings within the cache bound, without a restart", async () => {
    const project = h.project;
    const url = "https://cli.example.com/invite";
    assert.deepEqual(await h.app.services.redirectUrls.resolve(project, "invite", url), { ok: false, reason: "not_allowed" });
    const path = join(h.directory, "cli-config.json");
    writeFileSync(path, JSON.stringify({ projects: [{ project_id: project.projectId, redirect_urls: [{ url, types: ["invite"], default: true }] }] }));
    const applied = await runCli(["config", "apply", path], env);
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(JSON.parse(applied.stdout), { applied: [{ project_id: project.projectId, created: false }] });
    clock.advanceSeconds(SETTINGS_CACHE_TTL_MS / 1000);
    assert.deepEqual(await h.app.services.redirectUrls.resolve(project, "invite", url), { ok: true, url });
    assert.deepEqual(await h.app.services.redirectUrls.resolve(project, "invite", undefined), { ok: true, url });
  });

  it("config apply with a bad file exits 1 naming the path and the problem", async () => {
    const path = join(h.directory, "bad-cli-config.json");
    writeFileSync(path, JSON.stringify({ projects: [{ project_id: h.project.projectId, redirect_urls: "nope" }] }));
    const result = await runCli(["config", "apply", path], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`Invalid configuration file ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    assert.match(result.stderr, /\/projects\/0\/redirect_urls: must be array/);
  });

  it("serve refuses to start with a bad TESSERA_CONFIG", async () => {
    const path = join(h.directory, "bad-serve-config.json");
    writeFileSync(path, JSON.stringify({ projects: [{ project_id: `project-test-${randomUUID()}`, secret: "long-enough-secret-123", colour: "blue" }] }));
    const result = await runCli(["serve"], { DATABASE_URL: `sqlite:${join(h.directory, "serve.db")}`, PORT: "0", TESSERA_CONFIG: path });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /must NOT have additional properties "colour"/);
    assert.ok(!result.stdout.includes("listening"));
  });
});
