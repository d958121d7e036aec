/**
 * @module Value domains and configuration rules of an organization (wire-spec §2.4). Pure:
 * returns the settings to store, or the rule that was broken.
 */
import type { OrganizationSettings } from "./types.js";

export type OrganizationRuleViolation = {
  ok: false;
  errorType:
    | "invalid_organization_name"
    | "invalid_organization_slug"
    | "invalid_organization_external_id"
    | "invalid_organization_settings"
    | "invalid_email_allowed_domains";
  message: string;
};

/** The settings fields a create or update request may carry, each optional. */
export type OrganizationSettingsInput = Partial<OrganizationSettings>;

const SLUG_PATTERN = /^[A-Za-z0-9\-._~]{2,128}$/;
const EXTERNAL_ID_PATTERN = /^[A-Za-z0-9._\-|]{1,128}$/;
const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Consumer mailbox providers whose users are not one organization's people. */
export const CONSUMER_EMAIL_DOMAINS: ReadonlySet<string> = new Set([
  "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com",
  "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.com",
  "gmx.de", "mail.com", "yandex.com", "yandex.ru", "zoho.com", "qq.com", "163.com", "web.de",
]);

const SETTINGS_FIELDS_THAT_MAKE_INVITES_OPT_IN: readonly (keyof OrganizationSettings)[] = [
  "sso_jit_provisioning", "email_allowed_domains", "email_jit_provisioning", "auth_methods",
  "allowed_auth_methods", "mfa_policy", "mfa_methods", "allowed_mfa_methods",
];

export function isValidOrganizationName(name: string): boolean {
  return name.trim().length >= 1 && [...name].length <= 128;
}

export function isValidOrganizationSlug(slug: string): boolean {
  return SLUG_PATTERN.test(slug);
}

export function isValidExternalId(externalId: string): boolean {
  return EXTERNAL_ID_PATTERN.test(externalId);
}

/** A slug derived from a name when the caller gave none: lowercase, runs of other characters become '-'. */
export function slugFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize("NFKD")
    // Drop the combining marks NFKD splits off ("ü" → "u"), rather than turning each into a '-'.
    .replace(/\p{M}+/gu, "")
    .replace(/[^a-z0-9\-._~]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 120);
  return slug.length >= 2 ? slug : `org-${slug}`.replace(/-$/, "");
}

/** Stytch's defaults for a new organization; `email_invites` depends on whether any auth setting was given. */
export function defaultOrganizationSettings(input: OrganizationSettingsInput): OrganizationSettings {
  const anyAuthSettingGiven = SETTINGS_FIELDS_THAT_MAKE_INVITES_OPT_IN.some((field) => input[field] !== undefined);
  return {
    sso_jit_provisioning: "ALL_ALLOWED",
    sso_jit_provisioning_allowed_connections: [],
    sso_default_connection_id: null,
    email_allowed_domains: [],
    email_jit_provisioning: "NOT_ALLOWED",
    email_invites: anyAuthSettingGiven ? "NOT_ALLOWED" : "ALL_ALLOWED",
    auth_methods: "ALL_ALLOWED",
    allowed_auth_methods: [],
    mfa_policy: "OPTIONAL",
    mfa_methods: "ALL_ALLOWED",
    allowed_mfa_methods: [],
    rbac_email_implicit_role_assignments: [],
    oauth_tenant_jit_provisioning: "NOT_ALLOWED",
    allowed_oauth_tenants: {},
    claimed_email_domains: [],
    first_party_connected_apps_allowed_type: "ALL_ALLOWED",
    allowed_first_party_connected_apps: [],
    third_party_connected_apps_allowed_type: "ALL_ALLOWED",
    allowed_third_party_connected_apps: [],
  };
}

function violation(errorType: OrganizationRuleViolation["errorType"], message: string): OrganizationRuleViolation {
  return { ok: false, errorType, message };
}

/**
 * Applies `input` over `base` (lists replace wholesale) and checks the combined result:
 * RESTRICTED needs a non-empty allowed list, at least one way to add members stays open,
 * and allowed email domains are real, non-consumer domains.
 */
export function applyOrganizationSettings(
  base: OrganizationSettings,
  input: OrganizationSettingsInput,
): { ok: true; settings: OrganizationSettings } | OrganizationRuleViolation {
  const settings: OrganizationSettings = { ...base };
  for (const [key, value] of Object.entries(input) as [keyof OrganizationSettings, unknown][]) {
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  settings.email_allowed_domains = settings.email_allowed_domains.map((domain) => domain.trim().toLowerCase());
  settings.claimed_email_domains = settings.claimed_email_domains.map((domain) => domain.trim().toLowerCase());

  for (const domain of [...settings.email_allowed_domains, ...settings.claimed_email_domains]) {
    if (!DOMAIN_PATTERN.test(domain)) {
      return violation("invalid_email_allowed_domains", `"${domain}" is not a valid email domain.`);
    }
    if (CONSUMER_EMAIL_DOMAINS.has(domain)) {
      return violation("invalid_email_allowed_domains", `"${domain}" is a common consumer email domain and cannot be used.`);
    }
  }
  const restrictedLists: [keyof OrganizationSettings, keyof OrganizationSettings][] = [
    ["auth_methods", "allowed_auth_methods"],
    ["mfa_methods", "allowed_mfa_methods"],
    ["sso_jit_provisioning", "sso_jit_provisioning_allowed_connections"],
    ["first_party_connected_apps_allowed_type", "allowed_first_party_connected_apps"],
    ["third_party_connected_apps_allowed_type", "allowed_third_party_connected_apps"],
  ];
  for (const [modeField, listField] of restrictedLists) {
    const list = settings[listField] as unknown[];
    if (settings[modeField] === "RESTRICTED" && list.length === 0) {
      return violation("invalid_organization_settings", `${String(modeField)} is RESTRICTED, so ${String(listField)} must not be empty.`);
    }
  }
  if (settings.email_jit_provisioning === "RESTRICTED" && settings.email_allowed_domains.length === 0) {
    return violation("invalid_organization_settings", "email_jit_provisioning is RESTRICTED, so email_allowed_domains must not be empty.");
  }
  if (settings.email_invites === "RESTRICTED" && settings.email_allowed_domains.length === 0) {
    return violation("invalid_organization_settings", "email_invites is RESTRICTED, so email_allowed_domains must not be empty.");
  }
  if (
    settings.sso_jit_provisioning === "NOT_ALLOWED" &&
    settings.email_jit_provisioning === "NOT_ALLOWED" &&
    settings.email_invites === "NOT_ALLOWED"
  ) {
    return violation(
      "invalid_organization_settings",
      "sso_jit_provisioning, email_jit_provisioning and email_invites cannot all be NOT_ALLOWED: the organization needs a way to add members.",
    );
  }
  return { ok: true, settings };
}
