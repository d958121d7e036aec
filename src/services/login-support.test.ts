import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { Project } from "../domain/types.js";
import { AppError } from "../errors.js";
import { buildTokenLink, checkPkce, RedirectPolicy } from "./login-support.js";

const project = (environment: "test" | "live"): Project => ({
  projectId: `project-${environment}-1`,
  environment,
  name: "p",
  secretHash: Buffer.alloc(32),
  createdAt: 0,
});

function errorTypeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    return error instanceof AppError ? error.errorType : "thrown";
  }
}

describe("RedirectPolicy", () => {
  const policy = new RedirectPolicy({
    redirectUrls: ["https://app.example.com/authenticate", "https://app.example.com/invite?ignored=query"],
    defaultRedirectUrl: "https://app.example.com/authenticate",
  });

  it("uses the default when none is given", () => {
    assert.equal(policy.resolve(project("live"), undefined, "invalid_login_redirect_url"), "https://app.example.com/authenticate");
    assert.equal(policy.resolve(project("live"), "", "invalid_login_redirect_url"), "https://app.example.com/authenticate");
  });

  it("allows listed URLs (query strings ignored), and refuses others", () => {
    assert.equal(
      policy.resolve(project("live"), "https://app.example.com/authenticate?next=/home", "invalid_login_redirect_url"),
      "https://app.example.com/authenticate?next=/home",
    );
    assert.equal(policy.resolve(project("live"), "https://app.example.com/invite", "invalid_invite_redirect_url"), "https://app.example.com/invite");
    for (const url of ["https://app.example.com/authenticate/extra", "http://app.example.com/authenticate", "https://evil.example/authenticate"]) {
      assert.equal(errorTypeOf(() => policy.resolve(project("live"), url, "invalid_login_redirect_url")), "no_match_for_provided_magic_link_url", url);
    }
  });

  it("allows loopback URLs for test projects only", () => {
    for (const url of ["http://localhost:3000/cb", "http://127.0.0.1:8080/x", "https://localhost/y", "http://[::1]:9000/z"]) {
      assert.equal(policy.resolve(project("test"), url, "invalid_login_redirect_url"), url);
      assert.equal(errorTypeOf(() => policy.resolve(project("live"), url, "invalid_login_redirect_url")), "no_match_for_provided_magic_link_url");
    }
    assert.equal(errorTypeOf(() => policy.resolve(project("test"), "http://localhost.evil.example/", "invalid_login_redirect_url")), "no_match_for_provided_magic_link_url");
  });

  it("refuses non-http(s) and credential-bearing URLs with the field's error", () => {
    for (const url of ["javascript:alert(1)", "ftp://localhost/x", "not a url", "http://user:pw@localhost/x"]) {
      assert.equal(errorTypeOf(() => policy.resolve(project("test"), url, "invalid_signup_redirect_url")), "invalid_signup_redirect_url", url);
    }
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
  it("accepts the matching verifier (with or without padding on the challenge)", () => {
    assert.equal(errorTypeOf(() => checkPkce(challenge, verifier)), null);
    assert.equal(errorTypeOf(() => checkPkce(`${challenge}=`, verifier)), null);
    assert.equal(errorTypeOf(() => checkPkce(undefined, undefined)), null);
  });
  it("names what is wrong", () => {
    assert.equal(errorTypeOf(() => checkPkce(challenge, undefined)), "pkce_expected_code_verifier");
    assert.equal(errorTypeOf(() => checkPkce(challenge, "other")), "pkce_mismatch");
    assert.equal(errorTypeOf(() => checkPkce(undefined, verifier)), "pkce_did_not_expect_code_verifier");
  });
});
