import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { Project } from "../domain/types.js";
import { AppError } from "../errors.js";
import { defaultProjectSettings } from "../domain/project-settings.js";
import { RedirectUrlService } from "./configuration/redirect-urls.js";
import { buildTokenLink, checkPkce, RedirectPolicy } from "./login-support.js";

const project = (environment: "test" | "live"): Project => ({
  projectId: `project-${environment}-1`,
  environment,
  name: "p",
  secretHash: Buffer.alloc(32),
  createdAt: 0,
});

async function errorTypeOf(call: () => unknown): Promise<string | null> {
  try {
    await call();
    return null;
  } catch (error) {
    return error instanceof AppError ? error.errorType : "thrown";
  }
}

describe("RedirectPolicy (the installation-wide fallback)", () => {
  const fallback = {
    urls: ["https://app.example.com/authenticate", "https://app.example.com/invite?ignored=query"],
    defaultUrl: "https://app.example.com/authenticate",
  };
  // A project without a list of its own: the fallback applies.
  const policy = new RedirectPolicy(new RedirectUrlService({ get: async () => defaultProjectSettings() }, fallback));

  it("uses the default when none is given", async () => {
    assert.equal(await policy.resolve(project("live"), "login", undefined, "invalid_login_redirect_url"), "https://app.example.com/authenticate");
    assert.equal(await policy.resolve(project("live"), "invite", "", "invalid_invite_redirect_url"), "https://app.example.com/authenticate");
  });

  it("allows listed URLs (query strings ignored), and refuses others", async () => {
    assert.equal(
      await policy.resolve(project("live"), "login", "https://app.example.com/authenticate?next=/home", "invalid_login_redirect_url"),
      "https://app.example.com/authenticate?next=/home",
    );
    assert.equal(await policy.resolve(project("live"), "invite", "https://app.example.com/invite", "invalid_invite_redirect_url"), "https://app.example.com/invite");
    for (const url of ["https://app.example.com/authenticate/extra", "http://app.example.com/authenticate", "https://evil.example/authenticate"]) {
      assert.equal(await errorTypeOf(() => policy.resolve(project("live"), "login", url, "invalid_login_redirect_url")), "no_match_for_provided_magic_link_url", url);
    }
  });

  it("allows loopback URLs for test projects only", async () => {
    for (const url of ["http://localhost:3000/cb", "http://127.0.0.1:8080/x", "https://localhost/y", "http://[::1]:9000/z"]) {
      assert.equal(await policy.resolve(project("test"), "login", url, "invalid_login_redirect_url"), url);
      assert.equal(await errorTypeOf(() => policy.resolve(project("live"), "login", url, "invalid_login_redirect_url")), "no_match_for_provided_magic_link_url");
    }
    assert.equal(
      await errorTypeOf(() => policy.resolve(project("test"), "login", "http://localhost.evil.example/", "invalid_login_redirect_url")),
      "no_match_for_provided_magic_link_url",
    );
  });

  it("refuses non-http(s) and credential-bearing URLs with the field's error", async () => {
    for (const url of ["javascript:alert(1)", "ftp://localhost/x", "not a url", "http://user:pw@localhost/x"]) {
      assert.equal(await errorTypeOf(() => policy.resolve(project("test"), "signup", url, "invalid_signup_redirect_url")), "invalid_signup_redirect_url", url);
    }
  });

  it("a project list without a default for the type: the type's no-default error", async () => {
    const own = new RedirectPolicy(
      new RedirectUrlService({ get: async () => ({ ...defaultProjectSettings(), redirectUrls: [{ url: "https://a.example/x", types: ["login"], isDefault: false }] }) }, fallback),
    );
    assert.equal(await errorTypeOf(() => own.resolve(project("live"), "login", undefined, "invalid_login_redirect_url")), "no_default_login_redirect_url_set");
    assert.equal(await errorTypeOf(() => own.resolve(project("live"), "reset_password", undefined, "invalid_password_reset_redirect_url")), "no_password_reset_redirect_url");
  });
});

describe("buildTokenLink", () => {
  it("keeps the redirect URL's query and appends the token type and token", () => {
    assert.equal(
      buildTokenLink("https://app.test/cb?next=%2Fhome", "multi_tenant_magic_links", "abc_-"),
      "https://app.test/cb?next=%2Fhome&stytch_token_type=multi_tenant_magic_links&token=abc_-",
    );
  });
});

describe("checkPkce", () => {
  const verifier = "a-verifier-with-enough-entropy-0123456789";
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  it("accepts the matching verifier (with or without padding on the challenge)", async () => {
    assert.equal(await errorTypeOf(() => checkPkce(challenge, verifier)), null);
    assert.equal(await errorTypeOf(() => checkPkce(`${challenge}=`, verifier)), null);
    assert.equal(await errorTypeOf(() => checkPkce(undefined, undefined)), null);
  });
  it("names what is wrong", async () => {
    assert.equal(await errorTypeOf(() => checkPkce(challenge, undefined)), "pkce_expected_code_verifier");
    assert.equal(await errorTypeOf(() => checkPkce(challenge, "other")), "pkce_mismatch");
    assert.equal(await errorTypeOf(() => checkPkce(undefined, verifier)), "pkce_did_not_expect_code_verifier");
  });
});
