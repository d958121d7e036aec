/**
 * @module Refusing an over-large request body so that the client reads the refusal. The 413 goes
 * out before the body is read (Fastify refuses a Content-Length over the limit at once, a chunked
 * body at the limit) and says `Connection: close`; the connection then keeps reading and
 * discarding what the client still sends, up to a bound. Closing with unread data would make the
 * kernel reset the connection, and a reset discards the answer waiting in the client's buffer.
 */
import type { IncomingMessage } from "node:http";

/** Most bytes discarded after a 413 before the connection is cut anyway. */
export const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
/** Longest time spent discarding after a 413. */
export const DRAIN_TIMEOUT_MS = 10_000;

/** Called when the 413 is decided: the response closes the connection, the rest of the body is drained. */
export function drainRefusedBody(request: IncomingMessage, setHeader: (name: string, value: string) => void): void {
  setHeader("connection", "close");
  const socket = request.socket;
  let discarded = 0;
  const cut = (): void => {
    socket.destroy();
  };
  const timer = setTimeout(cut, DRAIN_TIMEOUT_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  request.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DRAIN_LIMIT_BYTES) cut();
  });
  request.on("error", () => {});
  request.resume();
  // Node ends a `Connection: close` response with destroySoon(): a full close as soon as the
  // answer is written, unread data or not. Half-close instead; the drain above ends the rest.
  const closable = socket as typeof socket & { destroySoon?: () => void };
  closable.destroySoon = () => {
    socket.end();
  };
}
