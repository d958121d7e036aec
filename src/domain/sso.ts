/**
 * @module Enterprise SSO rules: when a connection is `active`, how an IdP's attributes map to a
 * member (email, name, groups, custom attributes for `trusted_metadata`), who may be
 * JIT-provisioned, and which implicit roles a connection grants. Pure; tests beside it.
 */
import type { OrganizationSettings } from "./types.js";

export type SsoConnectionKind = "saml" | "oidc" | "external";

export interface RoleAssignment {
  role_id: string;
}
export interface GroupRoleAssignment {
  role_id: string;
  group: string;
}

export interface SamlCertificate {
  certificateId: string;
  certificate: string;
  issuer: string;
  createdAt: number;
  expiresAt: number | null;
}

export interface SamlSettings {
  idpEntityId: string;
  idpSsoUrl: string;
  attributeMapping: Record<string, string>;
  verificationCertificates: SamlCertificate[];
  /** The SP key that signs AuthnRequests (sealed) and its certificate. */
  signingCertificate: SamlCertificate;
  sealedSigningKey: string;
  encryptionKeys: { privateKeyId: string; sealedPrivateKey: string; createdAt: number }[];
  connectionRoles: RoleAssignment[];
  groupRoles: GroupRoleAssignment[];
  alternativeAudienceUri: string;
  alternativeAcsUrl: string;
  nameidFormat: string;
  idpInitiatedAuthDisabled: boolean;
  allowGatewayCallback: boolean;
}

export interface OidcSettings {
  clientId: string;
  /** Sealed with the installation key; "" when not set. */
  sealedClientSecret: string;
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  jwksUrl: string;
  customScopes: string;
  attributeMapping: Record<string, string>;
}

export interface ExternalSettings {
  externalOrganizationId: string;
  externalConnectionId: string;
  connectionRoles: RoleAssignment[];
  groupRoles: GroupRoleAssignment[];
}

export interface SsoConnection {
  projectId: string;
  organizationId: string;
  connectionId: string;
  kind: SsoConnectionKind;
  displayName: string;
  identityProvider: string;
  saml?: SamlSettings;
  oidc?: OidcSettings;
  external?: ExternalSettings;
  createdAt: number;
  updatedAt: number;
}

export interface SsoRegistration {
  projectId: string;
  registrationId: string;
  memberId: string;
  connectionId: string;
  externalId: string;
  ssoAttributes: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export const MAX_VERIFICATION_CERTIFICATES = 5;
export const EMAIL_NAMEID_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
export const DEFAULT_OIDC_SCOPES = "openid email profile";

/** `active` once every field the IdP must supply is set (Stytch's updateConnection docstrings). */
export function connectionStatus(connection: Pick<SsoConnection, "kind" | "saml" | "oidc">): "active" | "pending" {
  if (connection.kind === "external") return "active";
  if (connection.kind === "saml") {
    const s = connection.saml!;
    const ready = s.idpEntityId !== "" && s.idpSsoUrl !== "" && s.verificationCertificates.length > 0 && Object.keys(s.attributeMapping).length > 0;
    return ready ? "active" : "pending";
  }
  const o = connection.oidc!;
  const ready = [o.issuer, o.clientId, o.sealedClientSecret, o.authorizationUrl, o.tokenUrl, o.userinfoUrl, o.jwksUrl].every((value) => value !== "");
  return ready ? "active" : "pending";
}

const RESERVED_KEYS = new Set(["email", "full_name", "first_name", "last_name", "groups"]);

/** A SAML attribute mapping's problem as Stytch names it, or null when it is usable. */
export function attributeMappingProblem(mapping: Record<string, unknown>):
  | "saml_connection_no_nested_keys_in_attribute_mapping"
  | "saml_connection_email_mapping_required"
  | "saml_connection_name_mapping_required"
  | null {
  for (const value of Object.values(mapping)) if (typeof value !== "string") return "saml_connection_no_nested_keys_in_attribute_mapping";
  if (!mapping.email) return "saml_connection_email_mapping_required";
  if (!mapping.full_name && !(mapping.first_name && mapping.last_name)) return "saml_connection_name_mapping_required";
  return null;
}

export interface MappedIdentity {
  email: string;
  name: string;
  groups: string[];
  /** Custom mapped attributes, copied into the member's trusted_metadata (merged, never deleted). */
  custom: Record<string, unknown>;
}

function firstString(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && typeof value[0] === "string") return value[0];
  return "";
}

/**
 * Maps an IdP's attributes to a member. `subject` is the NameID (SAML) or `sub` (OIDC); a mapping
 * value `NameID` (any case) means the subject itself. Without a mapping entry, the conventional
 * claim names are used (OIDC's `email`, `name`, `given_name`, `family_name`).
 */
export function mapIdentity(
  mapping: Record<string, string>,
  attributes: Record<string, unknown>,
  subject: { value: string; isEmail: boolean },
): { ok: true; identity: MappedIdentity } | { ok: false; reason: "missing_email" | "invalid_groups" } {
  const read = (key: string, fallback: string): unknown => {
    const name = mapping[key] ?? fallback;
    if (name.toLowerCase() === "nameid") return subject.value;
    return attributes[name];
  };
  let email = firstString(read("email", "email")).trim();
  if (email === "" && subject.isEmail) email = subject.value.trim();
  if (email === "") return { ok: false, reason: "missing_email" };
  const fullName = firstString(read("full_name", "name"));
  const composed = [firstString(read("first_name", "given_name")), firstString(read("last_name", "family_name"))].filter(Boolean).join(" ");
  const rawGroups = mapping.groups ? read("groups", "groups") : [];
  const groupList = rawGroups === undefined ? [] : Array.isArray(rawGroups) ? rawGroups : [rawGroups];
  if (groupList.some((group) => typeof group !== "string")) return { ok: false, reason: "invalid_groups" };
  const custom: Record<string, unknown> = {};
  for (const [key, attribute] of Object.entries(mapping)) {
    if (RESERVED_KEYS.has(key)) continue;
    const value = attributes[attribute];
    if (value !== undefined) custom[key] = Array.isArray(value) && value.length === 1 ? value[0] : value;
  }
  return { ok: true, identity: { email, name: fullName || composed, groups: groupList as string[], custom } };
}

/** Whether a person new to the organization may be created by a login through `connectionId`. */
export function mayJitProvision(
  settings: Pick<OrganizationSettings, "sso_jit_provisioning" | "sso_jit_provisioning_allowed_connections">,
  connectionId: string,
): boolean {
  if (settings.sso_jit_provisioning === "ALL_ALLOWED") return true;
  if (settings.sso_jit_provisioning === "RESTRICTED") return settings.sso_jit_provisioning_allowed_connections.includes(connectionId);
  return false;
}

/** The roles a login through a connection grants: its connection roles plus those of the member's groups in this login. */
export function implicitRolesOf(connectionRoles: RoleAssignment[], groupRoles: GroupRoleAssignment[], groups: string[]): string[] {
  const held = new Set(groups);
  const roles = [...connectionRoles.map((r) => r.role_id), ...groupRoles.filter((r) => held.has(r.group)).map((r) => r.role_id)];
  return [...new Set(roles)];
}

/** The SSO factor a session holds after a login through a connection (wire shape). */
export function ssoFactor(kind: "saml" | "oidc", registration: Pick<SsoRegistration, "registrationId" | "connectionId" | "externalId">, at: string) {
  return {
    type: "sso",
    delivery_method: kind === "saml" ? "sso_saml" : "sso_oidc",
    last_authenticated_at: at,
    [kind === "saml" ? "saml_sso_factor" : "oidc_sso_factor"]: {
      id: registration.registrationId,
      provider_id: registration.connectionId,
      external_id: registration.externalId,
    },
  };
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Whether a URL Tessera will send browsers to or fetch from an IdP is usable: absolute, and
 * https — except plain http to a loopback host in a test project (local IdPs in development).
 */
export function idpUrlProblem(value: string, testProject: boolean): "invalid_format" | "not_https" | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "invalid_format";
  }
  if (url.protocol === "https:") return null;
  if (url.protocol !== "http:") return "invalid_format";
  return testProject && LOOPBACK_HOSTS.has(url.hostname) ? null : "not_https";
}

/** The callback (SAML ACS, SAML audience, OIDC redirect URI) of a connection, on Tessera's public URL. */
export function ssoCallbackUrl(publicUrl: string, connectionId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/v1/b2b/sso/callback/${encodeURIComponent(connectionId)}`;
}
