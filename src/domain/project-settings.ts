/**
 * @module A project's settings — what a Stytch customer sets in Stytch's dashboard: authorized
 * browser origins, OAuth provider credentials, frontend session limits, the RBAC policy, the
 * browser SDK's settings, trusted auth token profiles and redirect URLs. Defaults for a project
 * that has none. Pure.
 */
import { BUILT_IN_POLICY, type RbacPolicy } from "./rbac.js";
import type { RedirectUrlEntry } from "./redirect-urls.js";

export const OAUTH_PROVIDERS = ["google", "microsoft", "github", "slack", "hubspot"] as const;
export type OAuthProviderName = (typeof OAUTH_PROVIDERS)[number];

export interface OAuthProviderEndpoints {
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  /** OIDC providers (google, microsoft); null otherwise. */
  issuer: string | null;
  jwksUrl: string | null;
}

export interface OAuthProviderSettings extends OAuthProviderEndpoints {
  clientId: string;
  /** Usable by the server (sealed at rest, never hashed). */
  clientSecret: string;
}

export interface ProjectSettings {
  /** `scheme://host[:port]`, e.g. "http://localhost:3000". */
  authorizedOrigins: string[];
  oauthProviders: Partial<Record<OAuthProviderName, OAuthProviderSettings>>;
  sessionLimits: { frontendMaxDurationMinutes: number };
  /** Custom roles/resources/scopes merged with Stytch's built-ins. */
  rbacPolicy: RbacPolicy;
  /** The browser SDK's settings, stored as given (their keys are the SDK's to define). */
  sdk: Record<string, unknown>;
  /** Trusted auth token profiles, stored as given. */
  trustedAuthTokenProfiles: unknown[];
  /** The project's own redirect URLs; null: none, the installation-wide TESSERA_REDIRECT_URLS apply. */
  redirectUrls: RedirectUrlEntry[] | null;
}

/** The real providers' endpoints, used where a project's settings name none. */
export const OAUTH_PROVIDER_DEFAULTS: Record<OAuthProviderName, OAuthProviderEndpoints> = {
  google: {
    authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth",
    tokenUrl: "https://oauth2.googleapis.com/token",
    userinfoUrl: "https://openidconnect.googleapis.com/v1/userinfo",
    issuer: "https://accounts.google.com",
    jwksUrl: "https://www.googleapis.com/oauth2/v3/certs",
  },
  microsoft: {
    authorizationUrl: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    tokenUrl: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    userinfoUrl: "https://graph.microsoft.com/oidc/userinfo",
    // Multi-tenant: the token's issuer names the tenant, `{tenantid}` stands for it.
    issuer: "https://login.microsoftonline.com/{tenantid}/v2.0",
    jwksUrl: "https://login.microsoftonline.com/common/discovery/v2.0/keys",
  },
  github: {
    authorizationUrl: "https://github.com/login/oauth/authorize",
    tokenUrl: "https://github.com/login/oauth/access_token",
    userinfoUrl: "https://api.github.com/user",
    issuer: null,
    jwksUrl: null,
  },
  slack: {
    authorizationUrl: "https://slack.com/oauth/v2/authorize",
    tokenUrl: "https://slack.com/api/oauth.v2.access",
    userinfoUrl: "https://slack.com/api/users.identity",
    issuer: null,
    jwksUrl: null,
  },
  hubspot: {
    authorizationUrl: "https://app.hubspot.com/oauth/authorize",
    tokenUrl: "https://api.hubapi.com/oauth/v1/token",
    userinfoUrl: "https://api.hubapi.com/oauth/v1/access-tokens",
    issuer: null,
    jwksUrl: null,
  },
};

/** Stytch's default maximum length of a session the frontend SDK starts: one week. */
export const DEFAULT_FRONTEND_MAX_DURATION_MINUTES = 10_080;

export function defaultProjectSettings(): ProjectSettings {
  return {
    authorizedOrigins: [],
    oauthProviders: {},
    sessionLimits: { frontendMaxDurationMinutes: DEFAULT_FRONTEND_MAX_DURATION_MINUTES },
    rbacPolicy: BUILT_IN_POLICY,
    sdk: {},
    trustedAuthTokenProfiles: [],
    redirectUrls: null,
  };
}

/** `scheme://host[:port]` of an origin string, or null when it is not one (path, query, credentials). */
export function normalizeOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (!["http:", "https:"].includes(url.protocol) || url.username || url.password) return null;
    if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || /\/./.test(value.replace(/^[a-z]+:\/\//i, ""))) return null;
    return url.origin;
  } catch {
    return null;
  }
}
