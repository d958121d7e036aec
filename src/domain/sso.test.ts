/** @module Table tests of the SSO rules: connection status, attribute mapping, JIT, implicit roles, and SSO factors in exchange. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideAuthentication } from "./auth-outcome.js";
import { transferFactors } from "./exchange.js";
import { attributeMappingProblem, idpUrlProblem, implicitRolesOf, mapIdentity, mayJitProvision, ssoCallbackUrl, ssoFactor } from "./sso.js";

describe("SSO rules", () => {
  it("IdP URLs are https, or http to a loopback host in a test project; callbacks live on the public URL", () => {
    const cases: [string, boolean, string | null][] = [
      ["https://idp.example.com/sso", false, null],
      ["http://idp.example.com/sso", true, "not_https"],
      ["http://127.0.0.1:5555/sso", true, null],
      ["http://localhost/sso", true, null],
      ["http://[::1]:80/x", true, null],
      ["http://127.0.0.1:5555/sso", false, "not_https"],
      ["ftp://idp.example.com/", true, "invalid_format"],
      ["javascript:alert(1)", true, "invalid_format"],
      ["not a url", true, "invalid_format"],
    ];
    for (const [url, testProject, expected] of cases) assert.equal(idpUrlProblem(url, testProject), expected, `${url} ${testProject}`);
    assert.equal(ssoCallbackUrl("https://auth.example.com/", "saml-connection-test-1"), "https://auth.example.com/v1/b2b/sso/callback/saml-connection-test-1");
  });

  it("attribute mappings need an email and a name, and no nested keys", () => {
    const cases: [Record<string, unknown>, string | null][] = [
      [{ email: "email", full_name: "name" }, null],
      [{ email: "email", first_name: "fn", last_name: "ln" }, null],
      [{ full_name: "name" }, "saml_connection_email_mapping_required"],
      [{ email: "email", first_name: "fn" }, "saml_connection_name_mapping_required"],
      [{ email: { nested: "x" } }, "saml_connection_no_nested_keys_in_attribute_mapping"],
    ];
    for (const [mapping, expected] of cases) assert.equal(attributeMappingProblem(mapping), expected, JSON.stringify(mapping));
  });

  it("maps attributes: NameID as email, names, groups, custom attributes", () => {
    const mapped = mapIdentity(
      { email: "NameID", full_name: "name", groups: "groups", department: "dept" },
      { name: ["Ada Lovelace"], groups: ["eng", "admins"], dept: ["R&D"] },
      { value: "ada@example.com", isEmail: true },
    );
    assert.deepEqual(mapped, { ok: true, identity: { email: "ada@example.com", name: "Ada Lovelace", groups: ["eng", "admins"], custom: { department: "R&D" } } });
    assert.deepEqual(mapIdentity({}, {}, { value: "opaque-id", isEmail: false }), { ok: false, reason: "missing_email" });
    assert.deepEqual(mapIdentity({ email: "e", groups: "g" }, { e: "a@b.co", g: [1] }, { value: "x", isEmail: false }), { ok: false, reason: "invalid_groups" });
  });

  it("JIT provisioning follows sso_jit_provisioning", () => {
    const rows: [string, string[], boolean][] = [
      ["ALL_ALLOWED", [], true],
      ["RESTRICTED", ["conn-1"], true],
      ["RESTRICTED", ["conn-2"], false],
      ["NOT_ALLOWED", ["conn-1"], false],
    ];
    for (const [policy, allowed, expected] of rows) {
      assert.equal(mayJitProvision({ sso_jit_provisioning: policy as never, sso_jit_provisioning_allowed_connections: allowed }, "conn-1"), expected);
    }
  });

  it("implicit roles: connection roles plus the roles of groups in this login", () => {
    assert.deepEqual(implicitRolesOf([{ role_id: "viewer" }], [{ role_id: "editor", group: "eng" }, { role_id: "boss", group: "admins" }], ["eng"]), ["viewer", "editor"]);
    assert.deepEqual(implicitRolesOf([], [{ role_id: "editor", group: "eng" }], []), []);
  });

  it("SSO factors never carry over in an exchange, so an SSO-required organization asks for sso", () => {
    const member = { emailId: "email-b", emailAddress: "a@b.co", mfaPhoneNumber: "", mfaPhoneNumberVerified: false };
    const factors = [
      ssoFactor("saml", { registrationId: "saml-member-registration-test-1", connectionId: "saml-connection-test-1", externalId: "a@b.co" }, "2026-01-15T10:00:00Z"),
      ssoFactor("oidc", { registrationId: "oidc-member-registration-test-1", connectionId: "oidc-connection-test-1", externalId: "sub-1" }, "2026-01-15T10:00:00Z"),
    ];
    const transfer = transferFactors(factors, member, member);
    assert.deepEqual(transfer.carried, []);
    assert.equal(transfer.dropped.length, 2);
    const outcome = decideAuthentication({
      settings: { auth_methods: "RESTRICTED", allowed_auth_methods: ["sso"], mfa_policy: "OPTIONAL", mfa_methods: "ALL_ALLOWED", allowed_mfa_methods: [] },
      member: { isBreakglass: false, mfaEnrolled: false, mfaPhoneNumber: "", mfaPhoneNumberVerified: false, totpRegistrationId: "", defaultMfaMethod: "" },
      factors: transfer.carried,
    });
    assert.deepEqual(outcome, { kind: "step_up", primaryRequired: { allowed_auth_methods: ["sso"] }, mfaRequired: false, sendSmsOtp: false });
  });
});
