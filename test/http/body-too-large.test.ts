/**
 * A body over the limit gets its 413 read by the client (issue 22 item 9): with a Content-Length
 * over the limit the server answers before reading the body; with or without it, it drains a
 * bounded amount after answering instead of resetting the connection under the client, which
 * would otherwise lose the answer (EPIPE / ECONNRESET before it reads the status).
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { startHarness, type Harness } from "../support/harness.js";

const BODY_BYTES = 10 * 1024 * 1024;

/**
 * Writes `head` then up to `BODY_BYTES` of body (as is, or chunked) before reading anything, as a
 * blocking client does (a write that stalls for a second ends the upload), then reads what the
 * server sent. A server that closes with unread data sends a reset, which discards the answer
 * the client's kernel holds: the client then reads ECONNRESET instead of the 413.
 */
function rawUpload(port: number, head: string, chunked: boolean): Promise<{ response: string; error: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.pause();
    let response = "";
    let error = "";
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ response, error });
    };
    socket.on("error", (problem: NodeJS.ErrnoException) => {
      error = problem.code ?? problem.message;
      if (problem.code !== "EPIPE") finish();
    });
    const read = (): void => {
      socket.on("data", (chunk: Buffer) => {
        response += chunk.toString("latin1");
        if (/\r\n\r\n\{.*\}$/s.test(response)) finish();
      });
      socket.on("end", finish);
      socket.on("close", finish);
      socket.resume();
    };
    socket.on("connect", async () => {
      socket.write(head);
      const piece = Buffer.alloc(64 * 1024, 0x61);
      for (let sent = 0; sent < BODY_BYTES && !socket.destroyed && error === ""; sent += piece.length) {
        const framed = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]) : piece;
        if (!socket.write(framed)) {
          const drained = await new Promise<boolean>((resume) => {
            const timer = setTimeout(() => resume(false), 1000);
            socket.once("drain", () => (clearTimeout(timer), resume(true)));
          });
          if (!drained) break;
        }
      }
      if (chunked && !socket.destroyed && error === "") socket.write("0\r\n\r\n");
      // Give the last writes time to meet the server's close, as on a real network.
      setTimeout(read, 300);
    });
    setTimeout(finish, 20_000).unref();
  });
}

describe("413 for an over-large body reaches the client", () => {
  let h: Harness;
  let port = 0;
  let auth = "";
  before(async () => {
    h = await startHarness();
    port = Number(new URL(h.baseUrl).port);
    auth = `Basic ${Buffer.from(`${h.project.projectId}:${h.secret}`).toString("base64")}`;
  });
  after(() => h.close());

  const head = (framing: string): string =>
    `POST /v1/b2b/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\n${framing}\r\n`;

  for (const [name, framing, chunked] of [
    ["Content-Length", `Content-Length: ${BODY_BYTES}\r\n`, false],
    ["chunked", "Transfer-Encoding: chunked\r\n", true],
  ] as const) {
    it(`answers 413 in Stytch's shape to a 10 MiB body sent with ${name}`, async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const { response, error } = await rawUpload(port, head(framing), chunked);
        assert.match(response, /^HTTP\/1\.1 413 /, `status line read (socket error: ${error || "none"}): ${response.slice(0, 80)}`);
        assert.match(response, /"error_type":"request_body_too_large"/);
        assert.match(response, /connection: close/i);
      }
      const health = await fetch(`${h.baseUrl}/healthz`);
      assert.equal(health.status, 200);
    });
  }
});
