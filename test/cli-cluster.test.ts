import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { sdkClient } from "./support/harness.js";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("tessera serve --workers N", () => {
  const directory = mkdtempSync(join(tmpdir(), "tessera-cluster-"));
  after(() => rmSync(directory, { recursive: true, force: true }));

  it("runs N workers on one port and one database, bootstraps once, and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["dist/src/cli/main.js", "serve", "--workers", "2"], {
      env: { ...process.env, PORT: String(port), DATABASE_URL: `sqlite:${join(directory, "t.db")}`, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 20_000;
    while ((output.match(/listening on/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    try {
      assert.equal((output.match(/listening on/g) ?? []).length, 2, output);
      assert.equal((output.match(/Created a test project/g) ?? []).length, 1, "one bootstrap, not one per worker");
      const { project_id, secret } = JSON.parse(output.split("\n").find((line) => line.startsWith('{"project_id"'))!) as { project_id: string; secret: string };
      const client = sdkClient(`http://127.0.0.1:${port}`, project_id, secret);
      const created = await Promise.all(Array.from({ length: 8 }, (_, i) => client.organizations.create({ organization_name: `Worker org ${i}` })));
      const found = await client.organizations.search({});
      assert.equal(found.organizations.length, created.length);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    }
  });
});
