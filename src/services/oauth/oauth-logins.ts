/**
 * @module OAuth logins (Google, Microsoft, GitHub, Slack, HubSpot), organization-scoped and
 * discovery. `start` answers a 302 to the provider with a single-use `state` bound to the browser
 * by a cookie (only its hash is stored) and PKCE towards the provider; `callback` checks state and
 * cookie, exchanges the code, reads the profile, and hands the app a single-use OAuth token
 * (hashed at rest; the provider tokens it carries are sealed); `authenticate` resolves or
 * provisions the member and ends in the one authentication outcome; `discoveryAuthenticate` starts
 * a discovery intermediate session. Decisions: docs/oauth.md.
 */
import { createHash } from "node:crypto";
import { emailDomain } from "../../domain/email-provisioning.js";
import { OAUTH_PROVIDERS, type OAuthProviderName, type OAuthProviderSettings } from "../../domain/project-settings.js";
import { MINUTE_MS, rfc3339 } from "../../domain/time.js";
import type { AuthenticationFactor, Member, OneTimeSecret, Organization, Project } from "../../domain/types.js";
import { newStytchId } from "../../crypto/random.js";
import { digestsEqual, sha256 } from "../../crypto/token-hash.js";
import { AppError } from "../../errors.js";
import type { Change } from "../../store/store.js";
import type { OAuthRegistrationRecord, OAuthRegistrationStore } from "../../store/oauth-registrations.js";
import { sessionOptionsOf, type AuthenticationResult, type AuthenticationService } from "../authentication.js";
import type { ProjectSettingsService } from "../configuration/project-settings.js";
import type { ServiceContext } from "../context.js";
import type { DiscoveryService, DiscoveryStart } from "../discovery.js";
import type { InstanceKeys } from "../instance-keys.js";
import {
  buildMember,
  buildTokenLink,
  checkPkce,
  newLinkToken,
  requireLocale,
  resolveContinuation,
  withVerifiedEmail,
  type ContinuationRequest,
  type RedirectPolicy,
} from "../login-support.js";
import type { OrganizationService } from "../organizations.js";
import type { ProjectService } from "../projects.js";
import type { SessionService } from "../sessions.js";
import { authorizationUrl, DEFAULT_SCOPES, exchangeCode, type ExchangeSecrets, type ProviderProfile, type ProviderTokens } from "./providers.js";

/** How long a started flow may take at the provider, and how long the app has to spend the token. */
export const OAUTH_STATE_TTL_MS = 10 * MINUTE_MS;
export const OAUTH_TOKEN_TTL_MS = 10 * MINUTE_MS;
export const OAUTH_TOKEN_TYPE = "oauth";
export const DISCOVERY_OAUTH_TOKEN_TYPE = "discovery_oauth";
/** The cookie that binds a started flow to the browser; one per flow (named by its state) so tabs do not clash. */
export const STATE_COOKIE_PREFIX = "tessera_oauth_";
export const CALLBACK_PATH = "/v1/b2b/oauth/callback";

/** Methods an unverified email can step up with: they prove the address. */
const EMAIL_PROVING_METHODS = ["email_otp", "magic_link"];

export function requireProvider(value: string): OAuthProviderName {
  if (!(OAUTH_PROVIDERS as readonly string[]).includes(value)) throw new AppError("invalid_oauth_provider");
  return value as OAuthProviderName;
}

export function stateCookieName(state: string): string {
  return STATE_COOKIE_PREFIX + createHash("sha256").update(state).digest("hex").slice(0, 16);
}

export interface StartRequest {
  public_token?: string;
  organization_id?: string;
  slug?: string;
  login_redirect_url?: string;
  signup_redirect_url?: string;
  discovery_redirect_url?: string;
  custom_scopes?: string;
  pkce_code_challenge?: string;
  [providerParameter: string]: string | undefined;
}

export interface StartReply {
  location: string;
  cookie: { name: string; value: string; maxAgeSeconds: number; path: string; secure: boolean };
}

export interface CallbackRequest {
  state?: string;
  code?: string;
  error?: string;
  cookies: Record<string, string>;
  /** The callback URL as received (code, state, iss …), for openid-client's checks. */
  url: URL;
}

export interface OAuthAuthenticateRequest extends ContinuationRequest {
  oauth_token: string;
  pkce_code_verifier?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  locale?: string;
}

export interface OAuthDiscoveryAuthenticateRequest {
  discovery_oauth_token: string;
  pkce_code_verifier?: string;
}

/** What the callback leaves for `authenticate`: the profile in the clear, the tokens sealed. */
interface TokenDetails {
  provider: OAuthProviderName;
  organization_id: string | null;
  profile: ProviderProfile;
  sealed_tokens: string;
  pkce_code_challenge?: string;
}

export interface OAuthLoginResult {
  result: AuthenticationResult;
  provider: OAuthProviderName;
  profile: ProviderProfile;
  /** Null when the login stopped before the member was proven (nothing handed out). */
  tokens: ProviderTokens | null;
  registrations: OAuthRegistrationRecord[];
}

export interface OAuthDiscoveryResult {
  start: DiscoveryStart;
  provider: OAuthProviderName;
  profile: ProviderProfile;
}

export interface OAuthLoginDeps {
  projects: ProjectService;
  projectSettings: ProjectSettingsService;
  organizations: OrganizationService;
  sessions: SessionService;
  authentication: AuthenticationService;
  discovery: DiscoveryService;
  instanceKeys: InstanceKeys;
  redirects: RedirectPolicy;
  registrations: OAuthRegistrationStore;
}

export class OAuthLoginService {
  /** This server's public URL (deployment.publicUrl); the providers' redirect URI hangs under it. */
  publicUrl: string;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly deps: OAuthLoginDeps,
    publicUrl: string,
  ) {
    this.publicUrl = publicUrl.replace(/\/+$/, "");
  }

  redirectUri(provider: OAuthProviderName): string {
    return `${this.publicUrl}${CALLBACK_PATH}/${provider}`;
  }

  private async providerSettings(project: Project, provider: OAuthProviderName): Promise<OAuthProviderSettings> {
    const settings = (await this.deps.projectSettings.get(project.projectId)).oauthProviders[provider];
    if (!settings) throw new AppError("oauth_config_not_found");
    return settings;
  }

  async start(provider: OAuthProviderName, request: StartRequest, discovery: boolean): Promise<StartReply> {
    const project = await this.deps.projects.authenticatePublicToken(request.public_token ?? "");
    const settings = await this.providerSettings(project, provider);
    let organizationId: string | null = null;
    const redirects: Record<string, string> = {};
    if (discovery) {
      redirects.discovery = await this.deps.redirects.resolve(project, "discovery", request.discovery_redirect_url, "invalid_discovery_redirect_url");
    } else {
      const byId = request.organization_id !== undefined && request.organization_id !== "";
      const bySlug = request.slug !== undefined && request.slug !== "";
      if (byId && bySlug) throw new AppError("too_many_oauth_organization_locators");
      if (!byId && !bySlug) throw new AppError("missing_oauth_organization_locator");
      organizationId = (await this.deps.organizations.get(project, (byId ? request.organization_id : request.slug)!)).organizationId;
      redirects.login = await this.deps.redirects.resolve(project, "login", request.login_redirect_url, "invalid_login_redirect_url");
      redirects.signup = await this.deps.redirects.resolve(project, "signup", request.signup_redirect_url, "invalid_signup_redirect_url");
    }
    const custom = (request.custom_scopes ?? "").split(" ").filter((scope) => scope !== "");
    if (custom.some((scope) => !/^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/.test(scope))) throw new AppError("oauth_invalid_scope_requested");
    const scopes = [...new Set([...DEFAULT_SCOPES[provider], ...custom])];
    if (request.pkce_code_challenge !== undefined && !/^[A-Za-z0-9_-]{43}=?$/.test(request.pkce_code_challenge)) {
      throw new AppError("invalid_pkce_code_challenge");
    }
    const passThrough: Record<string, string> = {};
    for (const [name, value] of Object.entries(request)) {
      if (name.startsWith("provider_") && typeof value === "string" && name.length > "provider_".length) passThrough[name.slice("provider_".length)] = value;
    }

    // The state names its project (callbacks carry no credentials); its random part makes it unguessable.
    const state = `${project.projectId}~${this.ctx.random.bytes(32).toString("base64url")}`;
    const binding = this.ctx.random.bytes(32).toString("base64url");
    const { url, secrets } = await authorizationUrl(provider, settings, { redirectUri: this.redirectUri(provider), state, scopes, passThrough });
    const now = this.ctx.clock.now();
    const secret: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("oauth-state", project.environment, this.ctx.random),
      purpose: "oauth_state",
      subject: `state:${provider}`,
      secretHash: sha256(state),
      organizationId,
      memberId: null,
      details: {
        provider,
        discovery,
        redirects,
        scopes,
        binding_hash: sha256(binding).toString("hex"),
        sealed_exchange: await this.deps.instanceKeys.seal(JSON.stringify(secrets)),
        ...(request.pkce_code_challenge ? { pkce_code_challenge: request.pkce_code_challenge } : {}),
      },
      attempts: 0,
      maxAttempts: 1,
      createdAt: now,
      expiresAt: now + OAUTH_STATE_TTL_MS,
      consumedAt: null,
    };
    const result = await this.ctx.store.commit([{ kind: "insert_one_time_secret", secret, supersedePrevious: false }]);
    if (!result.ok) throw new AppError("bad_request");
    return {
      location: url,
      cookie: {
        name: stateCookieName(state),
        value: binding,
        maxAgeSeconds: OAUTH_STATE_TTL_MS / 1000,
        path: CALLBACK_PATH,
        secure: this.publicUrl.startsWith("https:"),
      },
    };
  }

  /**
   * The provider's redirect back. The state is spent before the code is exchanged (a replayed
   * callback fails even when the provider would accept the code again); the cookie named by the
   * state must carry the value given at start.
   */
  async callback(provider: OAuthProviderName, request: CallbackRequest): Promise<{ location: string; clearCookie: string }> {
    const state = request.state ?? "";
    if (state === "" || state.length > 512) throw new AppError("oauth_invalid_state");
    const projectId = state.slice(0, Math.max(0, state.lastIndexOf("~")));
    const secret = projectId === "" ? null : await this.ctx.store.findOneTimeSecretByHash(projectId, "oauth_state", sha256(state));
    if (!secret) throw new AppError("oauth_invalid_state");
    const now = this.ctx.clock.now();
    if (secret.consumedAt !== null || secret.expiresAt <= now) throw new AppError("oauth_state_used");
    const details = secret.details as {
      provider: OAuthProviderName;
      discovery: boolean;
      redirects: Record<string, string>;
      scopes: string[];
      binding_hash: string;
      sealed_exchange: string;
      pkce_code_challenge?: string;
    };
    if (details.provider !== provider) throw new AppError("oauth_invalid_state");
    const cookie = request.cookies[stateCookieName(state)];
    if (cookie === undefined || !digestsEqual(sha256(cookie), Buffer.from(details.binding_hash, "hex"))) throw new AppError("oauth_state_mismatch");
    const consumed = await this.ctx.store.commit([{ kind: "consume_one_time_secret", projectId: secret.projectId, secretId: secret.secretId, now }]);
    if (!consumed.ok) throw new AppError("oauth_state_used");

    if (request.error !== undefined || request.code === undefined || request.code === "") {
      throw new AppError(details.discovery ? "oauth_discovery_flow_callback_error" : "oauth_flow_callback_error");
    }
    const project = await this.ctx.store.findProject(secret.projectId);
    if (!project) throw new AppError("oauth_invalid_state");
    const settings = await this.providerSettings(project, provider);
    const secrets = JSON.parse(await this.deps.instanceKeys.open(details.sealed_exchange)) as ExchangeSecrets;
    const { tokens, profile } = await exchangeCode(provider, settings, request.url, { state, secrets, requestedScopes: details.scopes, now });
    if (profile.subject === "" || profile.email === "") throw new AppError("oauth_auth_code_error", "The provider gave no account id or email address.");
    // Google and Microsoft factors prove the email wherever they go (discovery, exchange): one they do not vouch for is refused.
    if ((provider === "google" || provider === "microsoft") && !profile.emailVerified) throw new AppError("oauth_unverified_email");

    let redirectUrl: string;
    if (details.discovery) redirectUrl = details.redirects.discovery!;
    else {
      const member = await this.ctx.store.findMemberByEmail(project.projectId, secret.organizationId!, profile.email);
      redirectUrl = member && member.status === "active" ? details.redirects.login! : details.redirects.signup!;
    }
    const { token, hash } = newLinkToken(this.ctx);
    const tokenDetails: TokenDetails = {
      provider,
      organization_id: secret.organizationId,
      profile,
      sealed_tokens: await this.deps.instanceKeys.seal(JSON.stringify(tokens)),
      ...(details.pkce_code_challenge ? { pkce_code_challenge: details.pkce_code_challenge } : {}),
    };
    const issued: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("oauth-token", project.environment, this.ctx.random),
      purpose: details.discovery ? "discovery_oauth" : "oauth",
      subject: `oauth:${provider}:${profile.subject}`,
      secretHash: hash,
      organizationId: secret.organizationId,
      memberId: null,
      details: tokenDetails as unknown as Record<string, unknown>,
      attempts: 0,
      maxAttempts: 1,
      createdAt: now,
      expiresAt: now + OAUTH_TOKEN_TTL_MS,
      consumedAt: null,
    };
    const written = await this.ctx.store.commit([{ kind: "insert_one_time_secret", secret: issued, supersedePrevious: false }]);
    if (!written.ok) throw new AppError("bad_request");
    const link = new URL(buildTokenLink(redirectUrl, details.discovery ? DISCOVERY_OAUTH_TOKEN_TYPE : OAUTH_TOKEN_TYPE, token));
    if (!details.discovery) {
      const organization = await this.ctx.store.findOrganization(project.projectId, secret.organizationId!);
      if (organization) link.searchParams.set("slug", organization.slug);
    }
    return { location: link.toString(), clearCookie: stateCookieName(state) };
  }

  private async spend(project: Project, purpose: "oauth" | "discovery_oauth", token: string, verifier: string | undefined) {
    const now = this.ctx.clock.now();
    const secret = await this.ctx.store.findOneTimeSecretByHash(project.projectId, purpose, sha256(token));
    if (!secret || secret.consumedAt !== null || secret.expiresAt <= now) throw new AppError("oauth_token_not_found");
    const details = secret.details as unknown as TokenDetails;
    checkPkce(details.pkce_code_challenge, verifier);
    const tokens = JSON.parse(await this.deps.instanceKeys.open(details.sealed_tokens)) as ProviderTokens;
    const consume: Change = { kind: "consume_one_time_secret", projectId: project.projectId, secretId: secret.secretId, now };
    return { secret, details, tokens, consume, now };
  }

  async authenticate(project: Project, request: OAuthAuthenticateRequest): Promise<OAuthLoginResult> {
    const { details, tokens, consume, now } = await this.spend(project, "oauth", request.oauth_token, request.pkce_code_verifier);
    const locale = requireLocale(request.locale);
    const { provider, profile } = details;
    const organization = await this.deps.organizations.get(project, details.organization_id!);
    const existing = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, profile.email);
    const changes: Change[] = [consume];
    let memberBefore: Member;
    if (existing && existing.status !== "deleted") {
      memberBefore = existing;
    } else {
      memberBefore = this.provision(project, organization, provider, profile);
      changes.push({ kind: "insert_member", member: memberBefore });
    }
    const registration = await this.registrationFor(project, memberBefore, provider, profile.subject);
    // A provider that does not vouch for the email proves it only for a member whose address is already verified.
    const proven = profile.emailVerified || memberBefore.emailAddressVerified;
    const member = profile.emailVerified ? withVerifiedEmail(memberBefore, now) : memberBefore;
    const factor: AuthenticationFactor = {
      type: "oauth",
      delivery_method: `oauth_${provider}`,
      last_authenticated_at: rfc3339(now),
      [`${provider}_oauth_factor`]: { id: registration.registrationId, provider_subject: profile.subject, email_id: member.emailId },
    };
    const continuation = proven ? await resolveContinuation(this.deps, project, request, organization, member) : {};
    const result = await this.deps.authentication.conclude({
      project,
      organization,
      member,
      memberBefore: existing && existing.status !== "deleted" ? existing : member,
      // Unproven, the factor is withheld: it never counts as a primary factor, here or when the intermediate session goes on.
      newFactors: proven ? [factor] : [],
      changes,
      ...continuation,
      ...sessionOptionsOf(request),
      locale,
      errorFor: { consume_one_time_secret: "oauth_token_not_found" },
    });
    if (!proven) {
      const allowed = result.primaryRequired?.allowed_auth_methods ?? [];
      return {
        result: { ...result, primaryRequired: { allowed_auth_methods: allowed.length > 0 ? allowed : EMAIL_PROVING_METHODS } },
        provider,
        profile,
        tokens: null,
        registrations: await this.deps.registrations.listForMember(project.projectId, member.memberId),
      };
    }
    await this.deps.registrations.upsert({
      ...registration,
      providerTenantIds: profile.tenantIds,
      profilePictureUrl: profile.pictureUrl,
      locale: profile.locale,
      sealedTokens: details.sealed_tokens, scopes: tokens.scopes, accessTokenExpiresAt: tokens.expiresAt, updatedAt: now });
    return { result, provider, profile, tokens, registrations: await this.deps.registrations.listForMember(project.projectId, member.memberId) };
  }

  /**
   * A new member for an OAuth login, or the refusal in Stytch's words: by OAuth tenant
   * (`oauth_tenant_jit_provisioning` RESTRICTED and a tenant in `allowed_oauth_tenants`), or by
   * email domain (`email_jit_provisioning` RESTRICTED and the domain allowed). A provider that
   * does not vouch for the email gets a pending, unverified member: it must prove the address.
   */
  private provision(project: Project, organization: Organization, provider: OAuthProviderName, profile: ProviderProfile): Member {
    const settings = organization.settings;
    const tenants = settings.allowed_oauth_tenants[provider] ?? [];
    const byTenant = settings.oauth_tenant_jit_provisioning === "RESTRICTED" && profile.tenantIds.some((tenant) => tenants.includes(tenant));
    const byDomain = settings.email_jit_provisioning === "RESTRICTED" && settings.email_allowed_domains.map((d) => d.toLowerCase()).includes(emailDomain(profile.email));
    if (!byTenant && !byDomain) {
      if (settings.oauth_tenant_jit_provisioning === "RESTRICTED" && profile.tenantIds.length > 0 && provider !== "google" && provider !== "microsoft") {
        throw new AppError("invalid_oauth_tenant_for_jit_provisioning");
      }
      throw new AppError("email_jit_provisioning_not_allowed");
    }
    return buildMember(this.ctx, project, organization, profile.email, profile.emailVerified ? "active" : "pending", { name: profile.name }, profile.emailVerified);
  }

  private async registrationFor(project: Project, member: Member, provider: OAuthProviderName, subject: string): Promise<OAuthRegistrationRecord> {
    const held = (await this.deps.registrations.listForMember(project.projectId, member.memberId)).find(
      (registration) => registration.provider === provider && registration.providerSubject === subject,
    );
    const now = this.ctx.clock.now();
    return (
      held ?? {
        projectId: project.projectId,
        registrationId: newStytchId("oauth-user", project.environment, this.ctx.random),
        organizationId: member.organizationId,
        memberId: member.memberId,
        provider,
        providerSubject: subject,
        providerTenantIds: [],
        profilePictureUrl: "",
        locale: "",
        scopes: [],
        sealedTokens: "",
        accessTokenExpiresAt: null,
        createdAt: now,
        updatedAt: now,
      }
    );
  }

  async discoveryAuthenticate(project: Project, request: OAuthDiscoveryAuthenticateRequest): Promise<OAuthDiscoveryResult> {
    const { details, consume, now } = await this.spend(project, "discovery_oauth", request.discovery_oauth_token, request.pkce_code_verifier);
    const { provider, profile } = details;
    const factor: AuthenticationFactor = {
      type: "oauth",
      delivery_method: `oauth_${provider}`,
      last_authenticated_at: rfc3339(now),
      // No member yet: entering an organization carries it (non-verifying providers as `oauth_exchange_*`).
      [`${provider}_oauth_factor`]: { id: "", provider_subject: profile.subject, email_id: "" },
    };
    const start = await this.deps.discovery.startFromEmail(project, profile.email, [factor], [consume], { consume_one_time_secret: "oauth_token_not_found" });
    return { start, provider, profile };
  }
}
