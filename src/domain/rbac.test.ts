/** @module Table-driven tests of the RBAC policy rules (domain/rbac.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { customPolicyProblems, grantingRoles, isKnownRole, mergePolicy, type RbacPolicy } from "./rbac.js";

const custom: RbacPolicy = {
  resources: [{ resource_id: "documents", description: "", actions: ["read", "write"] }],
  roles: [
    { role_id: "editor", description: "", permissions: [{ resource_id: "documents", actions: ["*"] }] },
    { role_id: "stytch_member", description: "", permissions: [{ resource_id: "documents", actions: ["read"] }] },
  ],
  scopes: [],
};

describe("customPolicyProblems", () => {
  const cases: [string, RbacPolicy, string[]][] = [
    ["a valid policy", custom, []],
    ["a duplicate role", { ...custom, roles: [...custom.roles, custom.roles[0]!] }, ['/p/roles/2/role_id: duplicate role "editor"']],
    ["a duplicate resource", { ...custom, resources: [...custom.resources, custom.resources[0]!] }, ['/p/resources/1/resource_id: duplicate resource "documents"']],
    [
      "a reserved resource",
      { ...custom, resources: [{ resource_id: "stytch.organization", description: "", actions: ["x"] }] },
      ['/p/resources/0/resource_id: "stytch.organization" is a reserved Stytch resource and cannot be changed', '/p/roles/0/permissions/0/resource_id: unknown resource "documents"', '/p/roles/1/permissions/0/resource_id: unknown resource "documents"'],
    ],
    [
      "an unknown action",
      { ...custom, roles: [{ role_id: "r", description: "", permissions: [{ resource_id: "documents", actions: ["delete"] }] }] },
      ['/p/roles/0/permissions/0/actions: "delete" is not an action of resource "documents"'],
    ],
    [
      "a scope on an unknown resource",
      { ...custom, scopes: [{ scope: "s", description: "", permissions: [{ resource_id: "nope", actions: ["read"] }] }] },
      ['/p/scopes/0/permissions/0/resource_id: unknown resource "nope"'],
    ],
  ];
  for (const [name, policy, expected] of cases) it(name, () => assert.deepEqual(customPolicyProblems(policy, "/p"), expected));
});

describe("grantingRoles under a merged policy", () => {
  const policy = mergePolicy(custom);
  const cases: [string[], string, string, string[]][] = [
    [["stytch_member", "editor"], "documents", "write", ["editor"]],
    [["stytch_member", "editor"], "documents", "read", ["stytch_member", "editor"]],
    [["stytch_member"], "documents", "write", []],
    [["stytch_member"], "stytch.self", "update.info.name", ["stytch_member"]],
    [["stytch_admin"], "documents", "read", []],
    [["stytch_admin"], "stytch.member", "create", ["stytch_admin"]],
    [["ghost"], "documents", "read", []],
  ];
  for (const [roles, resource, action, expected] of cases) {
    it(`${roles.join("+")} ${action} ${resource}`, () => assert.deepEqual(grantingRoles(roles, resource, action, policy), expected));
  }
  it("knows built-in and custom roles, not others", () => {
    assert.deepEqual(["stytch_admin", "editor", "ghost"].map((role) => isKnownRole(policy, role)), [true, true, false]);
    assert.equal(policy.roles.filter((role) => role.role_id === "stytch_member").length, 1, "a custom role named like a built-in extends it");
  });
});
