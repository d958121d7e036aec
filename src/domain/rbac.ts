/**
 * @module Role-based authorization in Stytch's policy shape: roles with permissions (actions on
 * resources), resources with their actions, scopes. Stytch's built-in roles `stytch_member`
 * (everything on `stytch.self`) and `stytch_admin` (everything on every `stytch.*` resource) and
 * the `stytch.*` resources are always there; a project's custom policy adds roles, resources and
 * scopes (and may grant `stytch.*` permissions to its own roles), and an organization may add
 * roles of its own. A check against a resource no role grants is refused. Pure.
 */
import { ADMIN_ROLE, IMPLICIT_MEMBER_ROLE } from "./types.js";

export interface PolicyPermission {
  resource_id: string;
  actions: string[];
}

export interface PolicyRole {
  role_id: string;
  description: string;
  permissions: PolicyPermission[];
}

export interface PolicyResource {
  resource_id: string;
  description: string;
  actions: string[];
}

export interface PolicyScope {
  scope: string;
  description: string;
  permissions: PolicyPermission[];
}

export interface RbacPolicy {
  roles: PolicyRole[];
  resources: PolicyResource[];
  scopes: PolicyScope[];
}

export const STYTCH_RESOURCES = ["stytch.self", "stytch.organization", "stytch.member", "stytch.sso", "stytch.scim"] as const;
const BUILT_IN_ROLE_IDS = new Set<string>([IMPLICIT_MEMBER_ROLE, ADMIN_ROLE]);

export const BUILT_IN_POLICY: RbacPolicy = {
  roles: [
    {
      role_id: IMPLICIT_MEMBER_ROLE,
      description: "Every member: may act on its own member record.",
      permissions: [{ resource_id: "stytch.self", actions: ["*"] }],
    },
    {
      role_id: ADMIN_ROLE,
      description: "Organization administrators: may act on the organization, its members and connections.",
      permissions: STYTCH_RESOURCES.map((resource_id) => ({ resource_id, actions: ["*"] })),
    },
  ],
  resources: STYTCH_RESOURCES.map((resource_id) => ({ resource_id, description: `Stytch's built-in ${resource_id} resource.`, actions: ["*"] })),
  scopes: [],
};

const ROLE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Problems of a project's custom policy, each prefixed by its JSON path under `path`: duplicate
 * ids, `stytch.*` resources or roles redefined, permissions on unknown resources or actions.
 * Custom roles may extend the built-in roles' permissions by naming them (Stytch lets the
 * dashboard add permissions to `stytch_member` / `stytch_admin`).
 */
export function customPolicyProblems(custom: RbacPolicy, path: string): string[] {
  const problems: string[] = [];
  const resources = new Map<string, Set<string>>(STYTCH_RESOURCES.map((id) => [id, new Set(["*"])]));
  custom.resources.forEach((resource, index) => {
    const at = `${path}/resources/${index}/resource_id`;
    if (resource.resource_id.startsWith("stytch.")) problems.push(`${at}: "${resource.resource_id}" is a reserved Stytch resource and cannot be changed`);
    else if (resources.has(resource.resource_id)) problems.push(`${at}: duplicate resource "${resource.resource_id}"`);
    else if (!ROLE_ID_PATTERN.test(resource.resource_id)) problems.push(`${at}: "${resource.resource_id}" is not a valid resource id`);
    else resources.set(resource.resource_id, new Set(resource.actions));
    if (new Set(resource.actions).size !== resource.actions.length) problems.push(`${path}/resources/${index}/actions: duplicate action`);
  });
  const permissionProblems = (permissions: PolicyPermission[], at: string): void => {
    permissions.forEach((permission, index) => {
      const actions = resources.get(permission.resource_id);
      if (!actions) {
        problems.push(`${at}/${index}/resource_id: unknown resource "${permission.resource_id}"`);
        return;
      }
      for (const action of permission.actions) {
        if (action !== "*" && !actions.has("*") && !actions.has(action)) {
          problems.push(`${at}/${index}/actions: "${action}" is not an action of resource "${permission.resource_id}"`);
        }
      }
    });
  };
  const roleIds = new Set<string>();
  custom.roles.forEach((role, index) => {
    const at = `${path}/roles/${index}`;
    if (roleIds.has(role.role_id)) problems.push(`${at}/role_id: duplicate role "${role.role_id}"`);
    else if (!ROLE_ID_PATTERN.test(role.role_id)) problems.push(`${at}/role_id: "${role.role_id}" is not a valid role id`);
    roleIds.add(role.role_id);
    permissionProblems(role.permissions, `${at}/permissions`);
  });
  const scopes = new Set<string>();
  custom.scopes.forEach((scope, index) => {
    const at = `${path}/scopes/${index}`;
    if (scopes.has(scope.scope)) problems.push(`${at}/scope: duplicate scope "${scope.scope}"`);
    scopes.add(scope.scope);
    permissionProblems(scope.permissions, `${at}/permissions`);
  });
  return problems;
}

/**
 * Organization roles may not reuse a project role's id, nor grant on resources or actions the
 * project's policy lacks (they may grant on `stytch.*` resources, like project roles).
 */
export function organizationRoleProblems(projectPolicy: RbacPolicy, roles: PolicyRole[], path: string): string[] {
  const projectRoleIds = new Set(projectPolicy.roles.map((role) => role.role_id));
  const problems = customPolicyProblems(
    { roles, resources: projectPolicy.resources.filter((resource) => !resource.resource_id.startsWith("stytch.")), scopes: [] },
    path,
  );
  roles.forEach((role, index) => {
    if (projectRoleIds.has(role.role_id)) problems.push(`${path}/roles/${index}/role_id: "${role.role_id}" is already a project role`);
  });
  return problems;
}

/**
 * The project's effective policy: the built-ins, then the custom policy. A custom role named like
 * a built-in one adds its permissions to it; `stytch.*` resources stay as they are.
 */
export function mergePolicy(custom: RbacPolicy): RbacPolicy {
  const roles = BUILT_IN_POLICY.roles.map((role) => ({ ...role, permissions: [...role.permissions] }));
  for (const role of custom.roles) {
    const builtIn = roles.find((existing) => existing.role_id === role.role_id);
    if (builtIn && BUILT_IN_ROLE_IDS.has(role.role_id)) builtIn.permissions.push(...role.permissions);
    else roles.push(role);
  }
  return {
    roles,
    resources: [...BUILT_IN_POLICY.resources, ...custom.resources.filter((resource) => !resource.resource_id.startsWith("stytch."))],
    scopes: [...custom.scopes],
  };
}

/** Whether `roleId` is defined by the policy (or by the organization's own roles). */
export function isKnownRole(policy: RbacPolicy, roleId: string, organizationRoles: PolicyRole[] = []): boolean {
  return policy.roles.some((role) => role.role_id === roleId) || organizationRoles.some((role) => role.role_id === roleId);
}

/** The roles among `roles` that grant `action` on `resource` under `policy` (empty: not authorized). */
export function grantingRoles(roles: string[], resource: string, action: string, policy: RbacPolicy = BUILT_IN_POLICY, organizationRoles: PolicyRole[] = []): string[] {
  const granting = new Set<string>();
  for (const role of [...policy.roles, ...organizationRoles]) {
    if (!roles.includes(role.role_id)) continue;
    const grants = role.permissions.some(
      (permission) => permission.resource_id === resource && (permission.actions.includes("*") || permission.actions.includes(action)),
    );
    if (grants) granting.add(role.role_id);
  }
  return [...granting];
}
