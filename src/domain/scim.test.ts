/** @module Table-driven tests of the pure SCIM rules. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isScimIdentityProvider, scimBaseUrl, scimBoolean, scimGroupRoleGrants } from "./scim.js";

describe("scim rules", () => {
  it("builds the base URL, with Entra's compliance flag", () => {
    const cases: [string, string, string][] = [
      ["https://auth.example.com", "okta", "https://auth.example.com/v1/b2b/scim/scim-connection-test-1"],
      ["https://auth.example.com/", "generic", "https://auth.example.com/v1/b2b/scim/scim-connection-test-1"],
      ["http://127.0.0.1:8787", "microsoft-entra", "http://127.0.0.1:8787/v1/b2b/scim/scim-connection-test-1?aadOptscim062020"],
    ];
    for (const [publicUrl, idp, expected] of cases) assert.equal(scimBaseUrl(publicUrl, "scim-connection-test-1", idp), expected);
  });

  it("knows Stytch's identity providers only", () => {
    for (const idp of ["generic", "okta", "microsoft-entra", "rippling"]) assert.equal(isScimIdentityProvider(idp), true);
    for (const idp of ["", "Okta", "azure", "google"]) assert.equal(isScimIdentityProvider(idp), false);
  });

  it("reads IdP booleans", () => {
    const cases: [unknown, boolean | null][] = [[true, true], [false, false], ["True", true], ["FALSE", false], [" true ", true], ["yes", null], [1, null], [null, null]];
    for (const [input, expected] of cases) assert.equal(scimBoolean(input), expected, String(input));
  });

  it("grants a group's roles only under its own connection's assignments", () => {
    const assignments = new Map([
      ["c1", [{ role_id: "admin", group_id: "g1", group_name: "Admins" }, { role_id: "viewer", group_id: "g2", group_name: "All" }]],
      ["c2", [{ role_id: "other", group_id: "g1", group_name: "Same id elsewhere" }]],
    ]);
    assert.deepEqual(scimGroupRoleGrants([{ connectionId: "c1", groupId: "g1" }], assignments), [{ roleId: "admin", connectionId: "c1", groupId: "g1" }]);
    assert.deepEqual(scimGroupRoleGrants([{ connectionId: "c1", groupId: "g3" }], assignments), []);
    assert.deepEqual(
      scimGroupRoleGrants([{ connectionId: "c1", groupId: "g1" }, { connectionId: "c1", groupId: "g2" }], assignments).map((grant) => grant.roleId),
      ["admin", "viewer"],
    );
  });
});
