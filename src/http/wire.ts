/**
 * @module Domain objects in Stytch's wire shape. Every field the official SDKs type as required
 * is present: empty strings and arrays rather than null, instants as RFC 3339 or null.
 */
import { rfc3339 } from "../domain/time.js";
import type { AuthenticationResult } from "../services/authentication.js";
import { ADMIN_ROLE, sessionRolesOf, type Member, type Organization, type Session } from "../domain/types.js";

/** `ssoActiveConnections`: the organization's active SSO connections, where the caller looked them up. */
export function organizationToWire(
  organization: Organization,
  ssoActiveConnections: { connection_id: string; display_name: string; identity_provider: string }[] = [],
): Record<string, unknown> {
  const s = organization.settings;
  return {
    organization_id: organization.organizationId,
    organization_name: organization.name,
    organization_logo_url: organization.logoUrl,
    organization_slug: organization.slug,
    organization_external_id: organization.externalId ?? "",
    trusted_metadata: organization.trustedMetadata,
    sso_default_connection_id: s.sso_default_connection_id,
    sso_jit_provisioning: s.sso_jit_provisioning,
    sso_jit_provisioning_allowed_connections: s.sso_jit_provisioning_allowed_connections,
    sso_active_connections: ssoActiveConnections,
    scim_active_connection: null,
    email_allowed_domains: s.email_allowed_domains,
    email_jit_provisioning: s.email_jit_provisioning,
    email_invites: s.email_invites,
    auth_methods: s.auth_methods,
    allowed_auth_methods: s.allowed_auth_methods,
    mfa_policy: s.mfa_policy,
    mfa_methods: s.mfa_methods,
    allowed_mfa_methods: s.allowed_mfa_methods,
    rbac_email_implicit_role_assignments: s.rbac_email_implicit_role_assignments,
    oauth_tenant_jit_provisioning: s.oauth_tenant_jit_provisioning,
    allowed_oauth_tenants: s.allowed_oauth_tenants,
    claimed_email_domains: s.claimed_email_domains,
    first_party_connected_apps_allowed_type: s.first_party_connected_apps_allowed_type,
    allowed_first_party_connected_apps: s.allowed_first_party_connected_apps,
    third_party_connected_apps_allowed_type: s.third_party_connected_apps_allowed_type,
    allowed_third_party_connected_apps: s.allowed_third_party_connected_apps,
    custom_roles: [],
    created_at: rfc3339(organization.createdAt),
    updated_at: rfc3339(organization.updatedAt),
  };
}

export function memberToWire(member: Member): Record<string, unknown> {
  return {
    organization_id: member.organizationId,
    member_id: member.memberId,
    email_address: member.emailAddress,
    status: member.status,
    name: member.name,
    sso_registrations: [],
    is_breakglass: member.isBreakglass,
    member_password_id: member.memberPasswordId,
    oauth_registrations: [],
    email_address_verified: member.emailAddressVerified,
    mfa_phone_number_verified: member.mfaPhoneNumberVerified,
    is_admin: member.roleIds.includes(ADMIN_ROLE),
    totp_registration_id: member.totpRegistrationId,
    retired_email_addresses: [],
    is_locked: false,
    mfa_enrolled: member.mfaEnrolled,
    mfa_phone_number: member.mfaPhoneNumber,
    default_mfa_method: member.defaultMfaMethod,
    roles: sessionRolesOf(member).map((roleId) => ({ role_id: roleId, sources: [{ type: "direct_assignment", details: {} }] })),
    trusted_metadata: member.trustedMetadata,
    untrusted_metadata: member.untrustedMetadata,
    external_id: member.externalId ?? "",
    created_at: rfc3339(member.createdAt),
    updated_at: rfc3339(member.updatedAt),
    scim_registration: null,
    lock_created_at: null,
    lock_expires_at: null,
  };
}

/** The `{member_id, member, organization}` fields most member-level answers share. */
export function memberAnswerToWire(member: Member, organization: Organization): Record<string, unknown> {
  return { member_id: member.memberId, member: memberToWire(member), organization: organizationToWire(organization) };
}

export function memberSessionToWire(session: Session, organization: Organization): Record<string, unknown> {
  return {
    member_session_id: session.sessionId,
    member_id: session.memberId,
    started_at: rfc3339(session.startedAt),
    last_accessed_at: rfc3339(session.lastAccessedAt),
    expires_at: rfc3339(session.expiresAt),
    authentication_factors: session.factors,
    organization_id: session.organizationId,
    organization_slug: organization.slug,
    roles: session.roles,
    custom_claims: session.customClaims,
  };
}

/** The fields every authenticate-style response shares, with Stytch's `""` / `null` conventions (wire-spec §5.2). */
export function authenticationResultToWire(result: AuthenticationResult): Record<string, unknown> {
  return {
    member_id: result.member.memberId,
    organization_id: result.organization.organizationId,
    member: memberToWire(result.member),
    organization: organizationToWire(result.organization),
    member_authenticated: result.memberAuthenticated,
    member_session: result.session ? memberSessionToWire(result.session, result.organization) : null,
    session_token: result.sessionToken,
    session_jwt: result.sessionJwt,
    intermediate_session_token: result.intermediateSessionToken,
    intermediate_session_token_expires_at:
      result.intermediateSessionExpiresAt === null ? null : rfc3339(result.intermediateSessionExpiresAt),
    mfa_required: result.mfaRequired,
    primary_required: result.primaryRequired,
  };
}
