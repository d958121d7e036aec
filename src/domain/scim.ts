/**
 * @module SCIM rules that decide without I/O: which identity providers a connection may name, the
 * base URL handed to the IdP, the roles a member's SCIM groups grant, and how IdP quirks in
 * boolean values read. Pure.
 */

export const SCIM_IDENTITY_PROVIDERS = ["generic", "okta", "microsoft-entra", "cyberark", "jumpcloud", "onelogin", "pingfederate", "rippling"] as const;
export type ScimIdentityProvider = (typeof SCIM_IDENTITY_PROVIDERS)[number];

export function isScimIdentityProvider(value: string): value is ScimIdentityProvider {
  return (SCIM_IDENTITY_PROVIDERS as readonly string[]).includes(value);
}

/** `scim_group_implicit_role_assignments[]` of a connection (Stytch's field names). */
export interface ScimGroupRoleAssignment {
  role_id: string;
  group_id: string;
  group_name: string;
}

/**
 * The URL the IdP is given. Entra ID gets `?aadOptscim062020`, the flag that switches it to its
 * RFC-compliant SCIM behaviour (as Stytch does).
 */
export function scimBaseUrl(publicUrl: string, connectionId: string, identityProvider: string): string {
  const base = `${publicUrl.replace(/\/+$/, "")}/v1/b2b/scim/${connectionId}`;
  return identityProvider === "microsoft-entra" ? `${base}?aadOptscim062020` : base;
}

/** One role a member holds because of one SCIM group, with its `roles[].sources` entry. */
export interface ScimGroupRoleGrant {
  roleId: string;
  connectionId: string;
  groupId: string;
}

/**
 * The roles the member's groups grant under each connection's assignments; a role granted by
 * two groups appears twice (one source each), callers collapse role ids.
 */
export function scimGroupRoleGrants(
  memberships: { connectionId: string; groupId: string }[],
  assignmentsByConnection: Map<string, ScimGroupRoleAssignment[]>,
): ScimGroupRoleGrant[] {
  const grants: ScimGroupRoleGrant[] = [];
  for (const membership of memberships) {
    for (const assignment of assignmentsByConnection.get(membership.connectionId) ?? []) {
      if (assignment.group_id === membership.groupId) grants.push({ roleId: assignment.role_id, connectionId: membership.connectionId, groupId: membership.groupId });
    }
  }
  return grants;
}

/**
 * A SCIM boolean as IdPs send it: JSON booleans, or the strings "True"/"False" (Entra ID) in any
 * case. Anything else is not a boolean (null).
 */
export function scimBoolean(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const lowered = value.trim().toLowerCase();
    if (lowered === "true") return true;
    if (lowered === "false") return false;
  }
  return null;
}
