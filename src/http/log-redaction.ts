/**
 * @module What request logs may say about a URL: its path and the names of its query parameters,
 * never their values (tokens, codes, `state`, `SAMLResponse`, `RelayState` travel in query
 * strings). Applied to every line the HTTP server's logger writes, whatever the field.
 */
import type { Logger } from "pino";
import { pino } from "pino";

/** A query string inside any text: `?` then `name=value` pairs up to whitespace, a quote or a fragment. */
const QUERY_IN_TEXT = /\?([^\s"'<>#?]*=[^\s"'<>#]*)/g;

/** `?a=1&b=2` → `?a&b`: the names, in order, without values. */
function namesOnly(query: string): string {
  return query
    .split("&")
    .map((pair) => pair.split("=", 1)[0]!)
    .filter((name) => name !== "")
    .join("&");
}

/** `/path?token=abc&to=x` → `/path?token&to`; text without a query string is returned as is. */
export function withoutQueryValues(text: string): string {
  if (!text.includes("?")) return text;
  return text.replace(QUERY_IN_TEXT, (_match, query: string) => `?${namesOnly(query)}`);
}

/** The path and the query parameters' names of a request target. */
export function describeRequestTarget(url: string): { path: string; query_params: string[] } {
  const mark = url.indexOf("?");
  if (mark < 0) return { path: url, query_params: [] };
  const names = namesOnly(url.slice(mark + 1).replace(/#.*$/, ""));
  return { path: url.slice(0, mark), query_params: names === "" ? [] : names.split("&") };
}

/** A copy of a log object with every string's query values removed (errors serialised first). */
function scrub(value: unknown, depth: number): unknown {
  if (typeof value === "string") return withoutQueryValues(value);
  if (typeof value !== "object" || value === null || depth > 8) return value;
  if (value instanceof Error) return scrub(pino.stdSerializers.err(value), depth + 1);
  if (Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // The request and reply have serializers of their own (below), which run after this.
    copy[key] = depth === 0 && (key === "req" || key === "res") ? item : scrub(item, depth + 1);
  }
  return copy;
}

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * The logger the HTTP server writes with: requests are logged as method, path, query parameter
 * names, host and peer; any other field holding a URL (an error message, say) loses its query values.
 */
export function redactingLogger(logger: Logger): Logger {
  return logger.child(
    {},
    {
      serializers: {
        req: (request: RequestLike) => ({
          method: request.method,
          ...describeRequestTarget(request.url ?? ""),
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
      formatters: { log: (object: object) => scrub(object, 0) as object },
    },
  );
}
