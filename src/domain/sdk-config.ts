/**
 * @module The frontend SDK configuration of a project (the `sdk` object of the configuration
 * file, Stytch's "SDK configuration"): which products a browser may use, whether members may
 * create organizations and act on other members, the longest session a browser may ask for,
 * whether PKCE is required; and the origin rule. Pure.
 */

/** Products a browser can be allowed to use; sessions, discovery and self-service are always on. */
export const SDK_PRODUCTS = ["email_magic_links", "email_otps", "sms_otps", "passwords", "totp", "sso", "oauth"] as const;
export type SdkProduct = (typeof SDK_PRODUCTS)[number];

export interface SdkConfig {
  enabledProducts: SdkProduct[];
  /** Members may create organizations from discovery (Stytch: allow_self_onboarding). */
  createOrganizationEnabled: boolean;
  /** Members may act on their organization and other members, within their RBAC roles (Stytch: enable_member_permissions). */
  memberActionsEnabled: boolean;
  /** The longest `session_duration_minutes` a browser may ask for; null: the project's frontend limit. */
  maxSessionDurationMinutes: number | null;
  /** Magic-link sends and password-reset starts must carry a PKCE challenge. */
  pkceRequired: boolean;
}

export const DEFAULT_SDK_CONFIG: SdkConfig = {
  enabledProducts: [...SDK_PRODUCTS],
  createOrganizationEnabled: false,
  memberActionsEnabled: false,
  maxSessionDurationMinutes: null,
  pkceRequired: false,
};

const KEYS = ["enabled_products", "create_organization_enabled", "member_actions_enabled", "max_session_duration_minutes", "pkce_required"];

/** Reads the `sdk` object of a project's configuration; every problem is listed, nothing is guessed. */
export function parseSdkConfig(raw: unknown): { ok: true; config: SdkConfig } | { ok: false; problems: string[] } {
  if (raw === undefined || raw === null) return { ok: true, config: DEFAULT_SDK_CONFIG };
  if (typeof raw !== "object" || Array.isArray(raw)) return { ok: false, problems: ["sdk must be an object"] };
  const value = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(value)) if (!KEYS.includes(key)) problems.push(`sdk.${key} is not a known key (known: ${KEYS.join(", ")})`);
  const config: SdkConfig = { ...DEFAULT_SDK_CONFIG, enabledProducts: [...DEFAULT_SDK_CONFIG.enabledProducts] };
  if (value.enabled_products !== undefined) {
    const products = value.enabled_products;
    if (!Array.isArray(products) || products.some((product) => !SDK_PRODUCTS.includes(product as SdkProduct))) {
      problems.push(`sdk.enabled_products must be an array of ${SDK_PRODUCTS.join(", ")}`);
    } else {
      config.enabledProducts = [...new Set(products as SdkProduct[])];
    }
  }
  for (const [key, field] of [
    ["create_organization_enabled", "createOrganizationEnabled"],
    ["member_actions_enabled", "memberActionsEnabled"],
    ["pkce_required", "pkceRequired"],
  ] as const) {
    if (value[key] === undefined) continue;
    if (typeof value[key] !== "boolean") problems.push(`sdk.${key} must be true or false`);
    else config[field] = value[key];
  }
  const max = value.max_session_duration_minutes;
  if (max !== undefined) {
    if (typeof max !== "number" || !Number.isInteger(max) || max < 5 || max > 525_600) {
      problems.push("sdk.max_session_duration_minutes must be an integer from 5 to 525600");
    } else {
      config.maxSessionDurationMinutes = max;
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/**
 * The origin a browser request comes from: `Origin`, else the SDK's `X-SDK-Parent-Host` (sent on
 * every call), normalised to scheme://host[:port] without a default port; null when neither parses.
 */
export function requestOrigin(originHeader: string | undefined, parentHostHeader: string | undefined): string | null {
  const candidate = originHeader && originHeader !== "null" ? originHeader : parentHostHeader;
  if (!candidate) return null;
  return normaliseOrigin(candidate);
}

export function normaliseOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** Same-origin match against the authorized list (scheme, host and port all equal). */
export function isAuthorizedOrigin(origin: string | null, authorizedOrigins: string[]): boolean {
  if (origin === null) return false;
  return authorizedOrigins.some((authorized) => normaliseOrigin(authorized) === origin);
}

/** Whether a browser may ask for a session of `minutes` (absent: the server's default applies). */
export function sessionDurationAllowed(minutes: unknown, maxMinutes: number): boolean {
  return minutes === undefined || (typeof minutes === "number" && minutes <= maxMinutes);
}
