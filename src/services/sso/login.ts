/**
 * @module The SSO login: `start` (public token; a connection or the organization's default;
 * allow-listed redirect URLs; the app's PKCE challenge) records an attempt and sends the browser
 * to the IdP with a CSRF cookie; the callback checks what the IdP sent back (protocol details in
 * oidc-rp.ts), and mints a single-use `sso_token` for the app's redirect URL; `authenticate`
 * spends it: the member found by email or JIT-provisioned, the registration recorded, and the
 * shared authentication outcome (MFA, primary_required, intermediate sessions).
 */
import { rfc3339 } from "../../domain/time.js";
import { connectionStatus, implicitRolesOf, mapIdentity, mayJitProvision, ssoFactor, type SsoConnection, type SsoRegistration } from "../../domain/sso.js";
import type { AuthenticationFactor, Member, OneTimeSecret, Project } from "../../domain/types.js";
import { newStytchId } from "../../crypto/random.js";
import { digestsEqual, sha256 } from "../../crypto/token-hash.js";
import { AppError, type ErrorType } from "../../errors.js";
import type { Change } from "../../store/store.js";
import type { SsoConnectionStore } from "../../store/sso-connections.js";
import { sessionOptionsOf, type AuthenticationResult, type AuthenticationService } from "../authentication.js";
import type { RedirectUrlService } from "../configuration/redirect-urls.js";
import type { ServiceContext } from "../context.js";
import type { InstanceKeys } from "../instance-keys.js";
import { buildMember, buildTokenLink, checkPkce, requireLocale, resolveContinuation, type ContinuationRequest } from "../login-support.js";
import type { OrganizationService } from "../organizations.js";
import type { ProjectService } from "../projects.js";
import type { SessionService } from "../sessions.js";
import type { SsoConnectionService } from "./connections.js";
import { OidcRelyingParty } from "./oidc-rp.js";
import { SamlServiceProvider } from "./saml-sp.js";

export const SSO_TOKEN_TYPE = "sso";
export const SSO_CSRF_COOKIE = "tessera_sso_csrf";
/** How long the browser has at the IdP, and the app to spend its token (Stytch is silent; docs/sso.md). */
export const SSO_ATTEMPT_TTL_MS = 10 * 60_000;
export const SSO_TOKEN_TTL_MS = 10 * 60_000;

export interface SsoStartRequest {
  public_token?: string;
  connection_id?: string;
  organization_id?: string;
  pkce_code_challenge?: string;
  login_redirect_url?: string;
  signup_redirect_url?: string;
  custom_scopes?: string;
}

export interface SsoAuthenticateRequest extends ContinuationRequest {
  sso_token: string;
  pkce_code_verifier?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  locale?: string;
}

/** What the IdP vouched for, as the callback hands it to the token. */
export interface ProvenIdentity {
  externalId: string;
  attributes: Record<string, unknown>;
}

export function readCookie(header: string | string[] | undefined, name: string): string | null {
  const text = Array.isArray(header) ? header.join("; ") : (header ?? "");
  for (const part of text.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return null;
}

export class SsoLoginService {
  readonly oidc: OidcRelyingParty;
  readonly saml: SamlServiceProvider;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly deps: {
      projects: ProjectService;
      organizations: OrganizationService;
      sessions: SessionService;
      authentication: AuthenticationService;
      connections: SsoConnectionService;
      store: SsoConnectionStore;
      instanceKeys: InstanceKeys;
      redirectUrls: Pick<RedirectUrlService, "resolve">;
      publicUrl: string;
    },
  ) {
    this.oidc = new OidcRelyingParty(ctx, deps.instanceKeys);
    this.saml = new SamlServiceProvider(ctx, deps.instanceKeys);
  }

  private get secureCookies(): boolean {
    return this.deps.publicUrl.startsWith("https:");
  }

  private async redirectUrl(project: Project, type: "login" | "signup", given: string | undefined, invalid: ErrorType): Promise<string> {
    if (given !== undefined && given !== "") {
      try {
        new URL(given);
      } catch {
        throw new AppError(invalid);
      }
    }
    const resolution = await this.deps.redirectUrls.resolve(project, type, given);
    if (resolution.ok) return resolution.url;
    throw new AppError(resolution.reason === "no_default" ? (type === "login" ? "no_default_login_redirect_url_set" : "no_default_signup_redirect_url_set") : "no_match_for_provided_sso_url");
  }

  /** The connection a start names: by id, or the organization's default. */
  private async startConnection(project: Project, request: SsoStartRequest): Promise<SsoConnection> {
    const byId = request.connection_id !== undefined && request.connection_id !== "";
    const byOrganization = request.organization_id !== undefined && request.organization_id !== "";
    if (byId === byOrganization) throw new AppError(byId ? "too_many_sso_connection_locators" : "missing_sso_connection_locator");
    let connectionId = request.connection_id ?? "";
    if (byOrganization) {
      const organization = await this.deps.organizations.get(project, request.organization_id!);
      connectionId = organization.settings.sso_default_connection_id ?? "";
      if (connectionId === "") throw new AppError("no_sso_connection_exists_for_organization");
    }
    const connection = await this.deps.store.findConnection(project.projectId, connectionId);
    if (!connection) throw new AppError("sso_connection_not_found");
    return connection;
  }

  /** The connection whose IdP a login goes through: itself, or for an external connection the one it points at. */
  private async identityConnection(connection: SsoConnection): Promise<SsoConnection> {
    if (connection.kind !== "external") return connection;
    const target = await this.deps.store.findConnection(connection.projectId, connection.external!.externalConnectionId);
    if (!target) throw new AppError("sso_connection_not_found");
    return target;
  }

  /** Starts a login: the attempt recorded, then the IdP's URL and the CSRF cookie binding this browser. */
  async start(request: SsoStartRequest): Promise<{ location: string; setCookie: string }> {
    const project = await this.deps.projects.authenticatePublicToken(request.public_token ?? "");
    const connection = await this.startConnection(project, request);
    const idpConnection = await this.identityConnection(connection);
    if (connectionStatus(idpConnection) !== "active") throw new AppError("sso_connection_not_active");
    const loginRedirectUrl = await this.redirectUrl(project, "login", request.login_redirect_url, "invalid_login_sso_url");
    const signupRedirectUrl = await this.redirectUrl(project, "signup", request.signup_redirect_url, "invalid_signup_sso_url");
    const now = this.ctx.clock.now();
    const state = this.ctx.random.bytes(32).toString("base64url");
    const csrf = this.ctx.random.bytes(32).toString("base64url");
    const details: Record<string, unknown> = {
      // The callback arrives at the IdP connection's URL; the login is for the started connection's organization.
      callback_connection_id: idpConnection.connectionId,
      connection_id: connection.connectionId,
      login_redirect_url: loginRedirectUrl,
      signup_redirect_url: signupRedirectUrl,
      csrf_hash: sha256(csrf).toString("hex"),
      ...(request.pkce_code_challenge ? { pkce_code_challenge: request.pkce_code_challenge } : {}),
    };
    let location: string;
    if (idpConnection.kind === "oidc") {
      const authorization = await this.oidc.authorizationRequest(project, idpConnection, this.deps.connections.callbackUrl(idpConnection), state, request.custom_scopes);
      location = authorization.url;
      Object.assign(details, authorization.attemptDetails);
    } else {
      const authorization = await this.saml.authorizationRequest(idpConnection, this.deps.connections.callbackUrl(idpConnection), state);
      location = authorization.url;
      Object.assign(details, authorization.attemptDetails);
    }
    const attempt: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("sso-attempt", project.environment, this.ctx.random),
      purpose: "sso_attempt",
      subject: `connection:${connection.connectionId}`,
      secretHash: sha256(state),
      organizationId: connection.organizationId,
      memberId: null,
      details,
      attempts: 0,
      maxAttempts: 1,
      createdAt: now,
      expiresAt: now + SSO_ATTEMPT_TTL_MS,
      consumedAt: null,
    };
    const result = await this.ctx.store.commit([{ kind: "insert_one_time_secret", secret: attempt, supersedePrevious: false }]);
    if (!result.ok) throw new AppError("bad_request");
    const cookie = [
      `${SSO_CSRF_COOKIE}=${csrf}`,
      "Path=/v1/b2b/sso/callback",
      "HttpOnly",
      `Max-Age=${SSO_ATTEMPT_TTL_MS / 1000}`,
      // The SAML POST back is cross-site: the cookie must travel on it (https only).
      ...(this.secureCookies ? ["Secure", "SameSite=None"] : ["SameSite=Lax"]),
    ].join("; ");
    return { location, setCookie: cookie };
  }

  /**
   * The attempt a callback's state names, spent once and bound to this browser's CSRF cookie.
   * Unknown, expired and spent states are all unsolicited.
   */
  private async spendAttempt(
    project: Project,
    connectionId: string,
    state: string,
    cookieHeader: string | string[] | undefined,
    errors: { unsolicited: ErrorType; missingCookie: ErrorType; cookieMismatch: ErrorType },
  ): Promise<OneTimeSecret> {
    const attempt = await this.ctx.store.findOneTimeSecretByHash(project.projectId, "sso_attempt", sha256(state));
    const now = this.ctx.clock.now();
    if (!attempt || attempt.consumedAt !== null || attempt.expiresAt <= now || attempt.details.callback_connection_id !== connectionId) {
      throw new AppError(errors.unsolicited);
    }
    const csrf = readCookie(cookieHeader, SSO_CSRF_COOKIE);
    if (csrf === null || csrf === "") throw new AppError(errors.missingCookie);
    if (!digestsEqual(Buffer.from(sha256(csrf).toString("hex")), Buffer.from(String(attempt.details.csrf_hash)))) throw new AppError(errors.cookieMismatch);
    const result = await this.ctx.store.commit([{ kind: "consume_one_time_secret", projectId: attempt.projectId, secretId: attempt.secretId, now }]);
    if (!result.ok) throw new AppError(errors.unsolicited);
    return attempt;
  }

  /** The OIDC redirect URI: checks state and cookie, redeems the code, then redirects to the app with a token. */
  async oidcCallback(connectionId: string, query: Record<string, string | undefined>, cookieHeader: string | string[] | undefined): Promise<string> {
    const { project, connection } = await this.callbackConnection(connectionId, "oidc");
    const state = query.state ?? "";
    if (state === "") throw new AppError("missing_oidc_state_param");
    const attempt = await this.spendAttempt(project, connectionId, state, cookieHeader, {
      unsolicited: "unsolicited_oidc_response",
      missingCookie: "missing_oidc_csrf_cookie",
      cookieMismatch: "oidc_csrf_cookie_mismatch",
    });
    const params = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
    const identity = await this.oidc.redeem(project, connection, new URL(`${this.deps.connections.callbackUrl(connection)}?${params}`), state, attempt.details);
    return this.issueToken(project, attempt, connection, identity);
  }

  /**
   * The SAML ACS (HTTP-POST binding). With RelayState it answers the attempt it names (cookie,
   * InResponseTo); without, it is IdP-initiated: allowed unless the connection disables it, and it
   * goes to the project's default login or signup URL. Either way an assertion is accepted once.
   */
  async samlCallback(connectionId: string, body: Record<string, string | undefined>, cookieHeader: string | string[] | undefined): Promise<string> {
    const { project, connection } = await this.callbackConnection(connectionId, "saml");
    const samlResponse = body.SAMLResponse ?? "";
    if (samlResponse === "") throw new AppError("missing_saml_response");
    const relayState = body.RelayState ?? "";
    let attempt: OneTimeSecret | null = null;
    if (relayState !== "") {
      attempt = await this.spendAttempt(project, connectionId, relayState, cookieHeader, {
        unsolicited: "unsolicited_saml_response",
        missingCookie: "missing_saml_csrf_cookie",
        cookieMismatch: "saml_csrf_cookie_mismatch",
      });
    } else if (connection.saml!.idpInitiatedAuthDisabled) {
      throw new AppError("saml_idp_initiated_auth_disabled");
    }
    const callbackUrl = this.deps.connections.callbackUrl(connection);
    const verified = await this.saml.verify(connection, callbackUrl, samlResponse, attempt ? String(attempt.details.saml_request_id) : null);
    const now = this.ctx.clock.now();
    if (!(await this.deps.store.useAssertionId(connection.connectionId, verified.assertionId, verified.notOnOrAfter, now))) {
      throw new AppError("duplicate_saml_response");
    }
    return this.issueToken(project, attempt, connection, { externalId: verified.externalId, attributes: verified.attributes });
  }

  /** The connection a callback URL names (connection ids are unique across projects) and its project. */
  private async callbackConnection(connectionId: string, kind: "saml" | "oidc"): Promise<{ project: Project; connection: SsoConnection }> {
    const connection = await this.deps.store.findConnectionById(connectionId);
    const project = connection ? await this.deps.projects.find(connection.projectId) : null;
    if (!connection || !project || connection.kind !== kind) throw new AppError(kind === "saml" ? "saml_connection_not_found" : "oidc_connection_not_found");
    return { project, connection };
  }

  /** Mints the app's single-use token for what the IdP proved; login or signup redirect by whether the member exists. */
  async issueToken(project: Project, attempt: OneTimeSecret | null, idpConnection: SsoConnection, identity: ProvenIdentity): Promise<string> {
    const loginConnectionId = attempt ? String(attempt.details.connection_id) : idpConnection.connectionId;
    const loginConnection = loginConnectionId === idpConnection.connectionId ? idpConnection : await this.deps.store.findConnection(project.projectId, loginConnectionId);
    if (!loginConnection) throw new AppError("sso_connection_not_found");
    const mapped = this.mapped(idpConnection, identity);
    const organization = await this.deps.organizations.get(project, loginConnection.organizationId);
    const member = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, mapped.email);
    if (!member && !mayJitProvision(organization.settings, loginConnection.connectionId)) throw new AppError("invalid_connection_for_jit_provisioning");
    const redirectUrl = attempt
      ? String(member ? attempt.details.login_redirect_url : attempt.details.signup_redirect_url)
      : await this.redirectUrl(project, member ? "login" : "signup", undefined, "invalid_login_sso_url");
    const now = this.ctx.clock.now();
    const token = this.ctx.random.bytes(32).toString("base64url");
    const secret: OneTimeSecret = {
      projectId: project.projectId,
      secretId: newStytchId("sso-token", project.environment, this.ctx.random),
      purpose: "sso_token",
      subject: `connection:${loginConnection.connectionId}`,
      secretHash: sha256(token),
      organizationId: organization.organizationId,
      memberId: null,
      details: {
        connection_id: loginConnection.connectionId,
        idp_connection_id: idpConnection.connectionId,
        external_id: identity.externalId,
        attributes: identity.attributes,
        ...(attempt?.details.pkce_code_challenge ? { pkce_code_challenge: attempt.details.pkce_code_challenge } : {}),
      },
      attempts: 0,
      maxAttempts: 1,
      createdAt: now,
      expiresAt: now + SSO_TOKEN_TTL_MS,
      consumedAt: null,
    };
    const result = await this.ctx.store.commit([{ kind: "insert_one_time_secret", secret, supersedePrevious: false }]);
    if (!result.ok) throw new AppError("bad_request");
    return buildTokenLink(redirectUrl, SSO_TOKEN_TYPE, token);
  }

  private mapped(idpConnection: SsoConnection, identity: ProvenIdentity) {
    const kind = idpConnection.kind;
    const mapping = kind === "saml" ? idpConnection.saml!.attributeMapping : idpConnection.oidc!.attributeMapping;
    const isEmail = kind === "saml" && /emailAddress$/.test(idpConnection.saml!.nameidFormat);
    const mapped = mapIdentity(mapping, identity.attributes, { value: identity.externalId, isEmail });
    if (!mapped.ok) {
      if (mapped.reason === "invalid_groups") throw new AppError(kind === "saml" ? "invalid_saml_response_groups" : "oidc_invalid_userinfo");
      throw new AppError(kind === "saml" ? "invalid_saml_response_email" : "oidc_response_email_missing");
    }
    return mapped.identity;
  }

  /** Spends an `sso_token`: the member found or provisioned, the registration kept, then the shared outcome. */
  async authenticate(project: Project, request: SsoAuthenticateRequest): Promise<AuthenticationResult> {
    const now = this.ctx.clock.now();
    const secret = await this.ctx.store.findOneTimeSecretByHash(project.projectId, "sso_token", sha256(request.sso_token));
    if (!secret || secret.consumedAt !== null || secret.expiresAt <= now) throw new AppError("sso_token_not_found");
    checkPkce(secret.details.pkce_code_challenge, request.pkce_code_verifier);
    const locale = requireLocale(request.locale);
    const loginConnection = await this.deps.store.findConnection(project.projectId, String(secret.details.connection_id));
    const idpConnection = await this.deps.store.findConnection(project.projectId, String(secret.details.idp_connection_id));
    if (!loginConnection || !idpConnection) throw new AppError("sso_connection_not_found");
    const identity: ProvenIdentity = { externalId: String(secret.details.external_id), attributes: secret.details.attributes as Record<string, unknown> };
    const mapped = this.mapped(idpConnection, identity);
    const organization = await this.deps.organizations.get(project, loginConnection.organizationId);

    const changes: Change[] = [{ kind: "consume_one_time_secret", projectId: project.projectId, secretId: secret.secretId, now }];
    const existing = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, mapped.email);
    let memberBefore: Member;
    if (existing) {
      memberBefore = existing;
    } else {
      if (!mayJitProvision(organization.settings, loginConnection.connectionId)) throw new AppError("invalid_connection_for_jit_provisioning");
      memberBefore = buildMember(this.ctx, project, organization, mapped.email, "pending", { name: mapped.name });
      changes.push({ kind: "insert_member", member: memberBefore });
    }
    // Custom mapped attributes overwrite their keys in trusted_metadata and are never deleted from it.
    const custom = Object.keys(mapped.custom).length > 0;
    const member: Member = {
      ...memberBefore,
      ...(memberBefore.name === "" && mapped.name !== "" ? { name: mapped.name } : {}),
      ...(custom ? { trustedMetadata: { ...memberBefore.trustedMetadata, ...mapped.custom } } : {}),
    };
    const registration = await this.deps.store.upsertRegistration({
      projectId: project.projectId,
      registrationId: newStytchId(`${idpConnection.kind}-member-registration`, project.environment, this.ctx.random),
      memberId: member.memberId,
      connectionId: idpConnection.connectionId,
      externalId: identity.externalId,
      ssoAttributes: identity.attributes,
      createdAt: now,
      updatedAt: now,
    });
    const factor = ssoFactor(idpConnection.kind as "saml" | "oidc", { ...registration, connectionId: loginConnection.connectionId }, rfc3339(now)) as AuthenticationFactor;
    const continuation = await resolveContinuation(this.deps, project, request, organization, member);
    return this.deps.authentication.conclude({
      project,
      organization,
      member,
      memberBefore: existing ?? memberBefore,
      newFactors: [factor],
      changes,
      ...continuation,
      ...sessionOptionsOf(request),
      locale,
      errorFor: { consume_one_time_secret: "sso_token_not_found", update_member: "sso_token_not_found" },
    });
  }

  /**
   * The roles SSO connections grant in a session: for each SSO factor it holds, that connection's
   * implicit roles plus the group roles of the groups the member's last login there carried.
   */
  async sessionRoles(projectId: string, memberId: string, factors: AuthenticationFactor[]): Promise<string[]> {
    const held = new Set(
      factors.flatMap((f) => {
        const factor = f as { type?: string; saml_sso_factor?: { provider_id?: string }; oidc_sso_factor?: { provider_id?: string } };
        if (factor.type !== "sso") return [];
        return [factor.saml_sso_factor?.provider_id ?? factor.oidc_sso_factor?.provider_id ?? ""];
      }),
    );
    if (held.size === 0) return [];
    const registrations = await this.deps.store.registrationsOfMembers(projectId, [memberId]);
    const roles: string[] = [];
    for (const connectionId of held) {
      const connection = await this.deps.store.findConnection(projectId, connectionId);
      if (!connection) continue;
      const identityId = connection.kind === "external" ? connection.external!.externalConnectionId : connection.connectionId;
      const registration: SsoRegistration | undefined = registrations.find((r) => r.connectionId === identityId);
      const idp = connection.kind === "external" ? await this.deps.store.findConnection(projectId, identityId) : connection;
      const groupsKey = idp?.kind === "saml" ? idp.saml!.attributeMapping.groups : undefined;
      const rawGroups = groupsKey ? registration?.ssoAttributes[groupsKey] : undefined;
      const groups = (Array.isArray(rawGroups) ? rawGroups : rawGroups === undefined ? [] : [rawGroups]).filter((g): g is string => typeof g === "string");
      // Group and connection roles are SAML's (Stytch: not OIDC); an external connection carries its own.
      if (connection.kind === "saml") roles.push(...implicitRolesOf(connection.saml!.connectionRoles, connection.saml!.groupRoles, groups));
      if (connection.kind === "external") roles.push(...implicitRolesOf(connection.external!.connectionRoles, connection.external!.groupRoles, groups));
    }
    return [...new Set(roles)];
  }

  /** Helps the wire show a member's registrations. */
  registrationsOf(projectId: string, memberIds: string[]): Promise<SsoRegistration[]> {
    return this.deps.store.registrationsOfMembers(projectId, memberIds);
  }
}

