/**
 * @module Role-based authorization with Stytch's two built-in roles: `stytch_member` (everything
 * on `stytch.self`) and `stytch_admin` (everything on every `stytch.*` resource). Tessera has no
 * policy editor yet, so custom resources grant nothing: a check against one is refused rather than
 * waved through. Pure.
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

export const STYTCH_RESOURCES = ["stytch.self", "stytch.organization", "stytch.member", "stytch.sso", "stytch.scim"] as const;

export const BUILT_IN_POLICY: { roles: PolicyRole[]; resources: { resource_id: string; description: string; actions: string[] }[]; scopes: [] } = {
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

/** The roles among `roles` that grant `action` on `resource` (empty: not authorized). */
export function grantingRoles(roles: string[], resource: string, action: string): string[] {
  return BUILT_IN_POLICY.roles
    .filter((role) => roles.includes(role.role_id))
    .filter((role) =>
      role.permissions.some((permission) => permission.resource_id === resource && (permission.actions.includes("*") || permission.actions.includes(action))),
    )
    .map((role) => role.role_id);
}
