/**
 * Graceful shutdown of the HTTP server: `close()` finishes a request in flight, and that request's
 * keep-alive connection does not keep the server (the process, on SIGTERM) open afterwards.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createApp } from "../../src/app.js";
import { readConfig } from "../../src/config.js";

describe("graceful shutdown", () => {
  const directory = mkdtempSync(join(tmpdir(), "tessera-shutdown-"));
  after(() => rmSync(directory, { recursive: true, force: true }));

  it("finishes the in-flight request with Connection: close, and close() resolves without waiting for the client", async () => {
    const app = await createApp(readConfig({ DATABASE_URL: `sqlite:${join(directory, "t.db")}`, PORT: "0" }), { logging: false, deliveryPollMs: 0 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const hasArrived = new Promise<void>((resolve) => (arrived = resolve));
    app.http.get("/slow", async () => {
      arrived();
      await released;
      return { ok: true };
    });
    const baseUrl = (await app.http.listen({ host: "127.0.0.1", port: 0 })).replace("localhost", "127.0.0.1");
    // fetch keeps connections alive, as SDKs and load balancers do.
    assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
    const inFlight = fetch(`${baseUrl}/slow`);
    await hasArrived;

    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(closed, false, "close() waits for the request in flight");
    release();
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
    assert.equal(response.headers.get("connection"), "close");

    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([closing.then(() => "closed"), new Promise((resolve) => (timer = setTimeout(() => resolve("still open after 3 s"), 3000)))]);
    clearTimeout(timer);
    assert.equal(outcome, "closed");
  });
});
