/** @module Table-driven tests of the redirect URL rules (domain/redirect-urls.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redirectUrlProblems, resolveRedirectUrl, type RedirectUrlEntry, type RedirectUrlType } from "./redirect-urls.js";

const entries: RedirectUrlEntry[] = [
  { url: "https://app.example.com/authenticate", types: ["login", "signup"], isDefault: true },
  { url: "https://app.example.com/invite?team=1", types: ["invite"], isDefault: false },
  { url: "https://app.example.com/reset", types: ["reset_password"], isDefault: true },
  { url: "https://www.other.example/discover", types: ["discovery"], isDefault: false },
];
const fallback = { urls: ["https://legacy.example.com/cb?ignored=1"], defaultUrl: "https://legacy.example.com/default" };

describe("resolveRedirectUrl", () => {
  const cases: [string, RedirectUrlEntry[] | null, boolean, RedirectUrlType, string | undefined, string | false | "no_default"][] = [
    ["exact match of the type", entries, false, "login", "https://app.example.com/authenticate", "https://app.example.com/authenticate"],
    ["listed for another type only", entries, false, "invite", "https://app.example.com/authenticate", false],
    ["query string must match exactly", entries, false, "invite", "https://app.example.com/invite?team=1", "https://app.example.com/invite?team=1"],
    ["a different query string is refused", entries, false, "invite", "https://app.example.com/invite?team=2", false],
    ["a missing query string is refused", entries, false, "invite", "https://app.example.com/invite", false],
    ["an added query string is refused", entries, false, "login", "https://app.example.com/authenticate?x=1", false],
    ["another path is refused", entries, false, "login", "https://app.example.com/authenticate/x", false],
    ["another scheme is refused", entries, false, "login", "http://app.example.com/authenticate", false],
    ["www. is the same host", entries, false, "discovery", "https://other.example/discover", "https://other.example/discover"],
    ["a fragment is refused", entries, false, "login", "https://app.example.com/authenticate#x", false],
    ["not a URL", entries, false, "login", "not a url", false],
    ["credentials in the URL", entries, false, "login", "https://u:p@app.example.com/authenticate", false],
    ["default of the type", entries, false, "signup", undefined, "https://app.example.com/authenticate"],
    ["empty string means none", entries, false, "reset_password", "", "https://app.example.com/reset"],
    ["no default for the type", entries, false, "invite", undefined, "no_default"],
    ["test projects accept loopback", entries, true, "invite", "http://localhost:3000/x", "http://localhost:3000/x"],
    ["live projects do not", entries, false, "invite", "http://localhost:3000/x", false],
    ["fallback list ignores the query", null, false, "login", "https://legacy.example.com/cb?other=2", "https://legacy.example.com/cb?other=2"],
    ["fallback default is allowed", null, false, "invite", "https://legacy.example.com/default", "https://legacy.example.com/default"],
    ["fallback refuses others", null, false, "login", "https://app.example.com/authenticate", false],
    ["fallback default when none named", null, false, "discovery", undefined, "https://legacy.example.com/default"],
    ["an empty own list refuses everything", [], false, "login", "https://legacy.example.com/cb", false],
  ];
  for (const [name, list, testProject, type, requested, expected] of cases) {
    it(name, () => {
      const result = resolveRedirectUrl({ entries: list, fallback, testProject, type, requested });
      if (expected === false) assert.deepEqual(result, { ok: false, reason: "not_allowed" });
      else if (expected === "no_default") assert.deepEqual(result, { ok: false, reason: "no_default" });
      else assert.deepEqual(result, { ok: true, url: expected });
    });
  }
});

describe("redirectUrlProblems", () => {
  it("names bad URLs, fragments and two defaults for one type with their paths", () => {
    const problems = redirectUrlProblems(
      [
        { url: "https://a.example/1", types: ["login"], isDefault: true },
        { url: "ftp://a.example/2", types: ["signup"], isDefault: false },
        { url: "https://a.example/3#x", types: ["invite"], isDefault: false },
        { url: "https://a.example/4", types: ["login", "signup"], isDefault: true },
      ],
      "/p/redirect_urls",
    );
    assert.deepEqual(problems, [
      '/p/redirect_urls/1/url: "ftp://a.example/2" is not an http(s) URL without credentials',
      "/p/redirect_urls/2/url: a redirect URL may not have a fragment",
      '/p/redirect_urls/3/default: entry 0 is already the default for "login"',
    ]);
  });
});
