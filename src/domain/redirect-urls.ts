/**
 * @module Redirect URLs per type (login, signup, invite, reset_password, discovery): which URL a
 * link or a browser redirect may point to, and which one to use when a request names none. Pure.
 *
 * A project with its own list follows Stytch's rule: the requested URL must equal a listed URL of
 * that type exactly — scheme, host, port, path and query string — except that `www.example.com`
 * and `example.com` are the same host; a fragment is never allowed. A project without its own list
 * falls back to the installation-wide list (TESSERA_REDIRECT_URLS, compared without query string).
 * Test projects also accept any loopback URL (local development servers).
 */

export const REDIRECT_URL_TYPES = ["login", "signup", "invite", "reset_password", "discovery"] as const;
export type RedirectUrlType = (typeof REDIRECT_URL_TYPES)[number];

export interface RedirectUrlEntry {
  url: string;
  types: RedirectUrlType[];
  /** The URL of each of its types used when a request names none (at most one per type). */
  isDefault: boolean;
}

/** The installation-wide fallback for projects without their own list. */
export interface FallbackRedirectUrls {
  urls: string[];
  defaultUrl: string;
}

export type RedirectResolution = { ok: true; url: string } | { ok: false; reason: "not_allowed" | "no_default" };

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** An http(s) URL without credentials, or null. */
export function parseRedirectUrl(value: string): URL | null {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "" ? url : null;
  } catch {
    return null;
  }
}

function withoutWww(host: string): string {
  return host.startsWith("www.") ? host.slice(4) : host;
}

/** Stytch's exact comparison: everything but the `www.` prefix of the host counts. */
function exactKey(url: URL): string {
  return `${url.protocol}//${withoutWww(url.host)}${url.pathname}${url.search}`;
}

/** The fallback list's comparison: without query string (as TESSERA_REDIRECT_URLS always was). */
function pathKey(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname === "::1" ? "[::1]" : url.hostname);
}

/** The default URL of `type` in a project's own list, if it names one. */
export function defaultRedirectUrl(entries: RedirectUrlEntry[], type: RedirectUrlType): string | null {
  return entries.find((entry) => entry.isDefault && entry.types.includes(type))?.url ?? null;
}

/**
 * Decides the redirect URL of one request. `entries` null: the project has no list of its own
 * and `fallback` applies.
 */
export function resolveRedirectUrl(input: {
  entries: RedirectUrlEntry[] | null;
  fallback: FallbackRedirectUrls;
  testProject: boolean;
  type: RedirectUrlType;
  requested: string | undefined;
}): RedirectResolution {
  const { entries, fallback, type, requested } = input;
  if (requested === undefined || requested === "") {
    const chosen = entries === null ? fallback.defaultUrl : defaultRedirectUrl(entries, type);
    return chosen === null ? { ok: false, reason: "no_default" } : { ok: true, url: chosen };
  }
  const url = parseRedirectUrl(requested);
  if (!url || url.hash !== "" || requested.includes("#")) return { ok: false, reason: "not_allowed" };
  if (input.testProject && isLoopback(url)) return { ok: true, url: requested };
  if (entries !== null) {
    const key = exactKey(url);
    const listed = entries.some((entry) => entry.types.includes(type) && parseRedirectUrl(entry.url) !== null && exactKey(parseRedirectUrl(entry.url)!) === key);
    return listed ? { ok: true, url: requested } : { ok: false, reason: "not_allowed" };
  }
  const key = pathKey(url);
  const allowed = [...fallback.urls, fallback.defaultUrl].some((listed) => {
    const parsed = parseRedirectUrl(listed);
    return parsed !== null && pathKey(parsed) === key;
  });
  return allowed ? { ok: true, url: requested } : { ok: false, reason: "not_allowed" };
}

/** Problems of a project's list (bad URLs, unknown types, two defaults for one type), each with its path. */
export function redirectUrlProblems(entries: RedirectUrlEntry[], path: string): string[] {
  const problems: string[] = [];
  const defaults = new Map<RedirectUrlType, number>();
  entries.forEach((entry, index) => {
    const url = parseRedirectUrl(entry.url);
    if (!url) problems.push(`${path}/${index}/url: "${entry.url}" is not an http(s) URL without credentials`);
    else if (url.hash !== "" || entry.url.includes("#")) problems.push(`${path}/${index}/url: a redirect URL may not have a fragment`);
    if (entry.types.length === 0) problems.push(`${path}/${index}/types: name at least one type`);
    for (const type of entry.types) {
      if (!REDIRECT_URL_TYPES.includes(type)) problems.push(`${path}/${index}/types: unknown type "${type}"`);
      if (entry.isDefault) {
        if (defaults.has(type)) problems.push(`${path}/${index}/default: entry ${defaults.get(type)} is already the default for "${type}"`);
        else defaults.set(type, index);
      }
    }
  });
  return problems;
}
