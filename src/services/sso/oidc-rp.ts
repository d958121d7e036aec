/**
 * @module Tessera as an OIDC relying party, on openid-client: the authorization request (state,
 * nonce and PKCE S256 toward the IdP, the IdP's verifier sealed in the attempt) and the code
 * redemption (ID token signature, iss, aud, azp, nonce, exp checked by the library against the
 * injected clock; userinfo's sub must equal the ID token's).
 */
import * as oidc from "openid-client";
import { DEFAULT_OIDC_SCOPES, idpUrlProblem, type SsoConnection } from "../../domain/sso.js";
import type { Project } from "../../domain/types.js";
import { AppError } from "../../errors.js";
import type { ServiceContext } from "../context.js";
import type { InstanceKeys } from "../instance-keys.js";

/** Seconds of clock difference tolerated on ID token timestamps (docs/sso.md). */
export const OIDC_CLOCK_TOLERANCE_SECONDS = 60;

export class OidcRelyingParty {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly instanceKeys: InstanceKeys,
  ) {}

  private async configuration(project: Project, connection: SsoConnection): Promise<oidc.Configuration> {
    const o = connection.oidc!;
    const secret = await this.instanceKeys.open(o.sealedClientSecret);
    const config = new oidc.Configuration(
      { issuer: o.issuer, authorization_endpoint: o.authorizationUrl, token_endpoint: o.tokenUrl, userinfo_endpoint: o.userinfoUrl, jwks_uri: o.jwksUrl },
      o.clientId,
      {
        client_secret: secret,
        // The library's "now" is the injected clock's.
        [oidc.clockSkew]: Math.round((this.ctx.clock.now() - Date.now()) / 1000),
        [oidc.clockTolerance]: OIDC_CLOCK_TOLERANCE_SECONDS,
      },
      oidc.ClientSecretBasic(secret),
    );
    // Plain http only reaches loopback IdPs of test projects (the connection's URLs were checked so).
    const insecure = [o.issuer, o.tokenUrl, o.userinfoUrl, o.jwksUrl].some((url) => url.startsWith("http:"));
    if (insecure) {
      if ([o.issuer, o.tokenUrl, o.userinfoUrl, o.jwksUrl].some((url) => idpUrlProblem(url, project.environment === "test") !== null)) {
        throw new AppError("oidc_invalid_callback_request");
      }
      oidc.allowInsecureRequests(config);
    }
    config.timeout = 10;
    return config;
  }

  async authorizationRequest(
    project: Project,
    connection: SsoConnection,
    redirectUri: string,
    state: string,
    extraScopes: string | undefined,
  ): Promise<{ url: string; attemptDetails: Record<string, unknown> }> {
    const config = await this.configuration(project, connection);
    const nonce = this.ctx.random.bytes(32).toString("base64url");
    const verifier = this.ctx.random.bytes(32).toString("base64url");
    const base = (connection.oidc!.customScopes || DEFAULT_OIDC_SCOPES).split(/\s+/);
    const extra = (extraScopes ?? "").split(/[\s+]+/);
    const scope = [...new Set([...base, ...extra].filter((s) => s !== ""))].join(" ");
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    });
    return { url: url.href, attemptDetails: { nonce, sealed_idp_code_verifier: await this.instanceKeys.seal(verifier) } };
  }

  /** Redeems the code of `callbackUrl`; the subject and the claims of ID token and userinfo together. */
  async redeem(
    project: Project,
    connection: SsoConnection,
    callbackUrl: URL,
    state: string,
    attempt: Record<string, unknown>,
  ): Promise<{ externalId: string; attributes: Record<string, unknown> }> {
    if (callbackUrl.searchParams.has("error")) {
      throw new AppError(callbackUrl.searchParams.get("error") === "access_denied" ? "oidc_user_not_assigned_to_app_in_idp" : "oidc_auth_code_error");
    }
    const config = await this.configuration(project, connection);
    const verifier = await this.instanceKeys.open(String(attempt.sealed_idp_code_verifier));
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: String(attempt.nonce),
        idTokenExpected: true,
      });
    } catch (error) {
      throw new AppError(isExpiry(error) ? "expired_oidc_response" : "oidc_auth_code_error");
    }
    const claims = tokens.claims();
    if (!claims) throw new AppError("oidc_auth_code_error");
    let userinfo: Record<string, unknown>;
    try {
      userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    } catch (error) {
      throw new AppError(/sub/i.test(String((error as Error).message)) ? "oidc_response_subject_mismatch" : "oidc_invalid_userinfo");
    }
    const attributes: Record<string, unknown> = { ...claimsOf(claims), ...userinfo };
    if (attributes.email_verified === false) throw new AppError("oidc_response_unverified_email");
    return { externalId: claims.sub, attributes };
  }
}

/** The identity claims of an ID token, without the protocol ones. */
function claimsOf(claims: Record<string, unknown>): Record<string, unknown> {
  const { iss: _iss, aud: _aud, azp: _azp, exp: _exp, iat: _iat, nbf: _nbf, nonce: _nonce, at_hash: _at, c_hash: _c, auth_time: _auth, sid: _sid, ...rest } = claims;
  return rest;
}

function isExpiry(error: unknown): boolean {
  return /exp|timestamp|iat/i.test(String((error as { message?: string })?.message ?? "")) && /expired|future|timestamp/i.test(String((error as Error).message));
}
