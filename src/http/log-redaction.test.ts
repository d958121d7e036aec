/** @module Table-driven checks of what the request logs keep of a URL. */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { describeRequestTarget, redactingLogger, withoutQueryValues } from "./log-redaction.js";

describe("log redaction", () => {
  it("keeps paths and parameter names, drops values", () => {
    const cases: [string, string][] = [
      ["/v1/b2b/sessions", "/v1/b2b/sessions"],
      ["/cb?code=abc&state=xyz", "/cb?code&state"],
      ["GET https://idp.example/acs?SAMLResponse=PHNh%3D&RelayState=r1 failed", "GET https://idp.example/acs?SAMLResponse&RelayState failed"],
      ["fetch http://x/lookup?telemetry_id=t-1 timed out", "fetch http://x/lookup?telemetry_id timed out"],
      ["Did you mean this?", "Did you mean this?"],
      ["/a?flag&token=t", "/a?flag&token"],
    ];
    for (const [input, expected] of cases) assert.equal(withoutQueryValues(input), expected, input);
    assert.deepEqual(describeRequestTarget("/x?token=1&to=a%40b#frag"), { path: "/x", query_params: ["token", "to"] });
    assert.deepEqual(describeRequestTarget("/x"), { path: "/x", query_params: [] });
  });

  it("scrubs every field of a line, errors included", () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    const logger = redactingLogger(pino({ level: "info" }, sink));
    logger.error({ err: new Error("GET /cb?code=SECRETCODE failed"), detail: { url: "/x?public_token=SECRETTOKEN" } }, "request failed");
    logger.child({ reqId: "r" }).info({ req: { method: "GET", url: "/y?session_token=SECRETSESSION" } }, "incoming request");
    const text = lines.join("");
    assert.doesNotMatch(text, /SECRET/);
    assert.match(text, /\/cb\?code failed/);
    assert.match(text, /"path":"\/y","query_params":\["session_token"\]/);
  });
});
