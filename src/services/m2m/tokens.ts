/**
 * @module The OAuth 2.0 client-credentials grant of `POST /v1/public/{project_id}/oauth2/token`:
 * one indexed read of the client, one keyed-hash comparison and one RS256 signature with the
 * project's current session-signing key (the per-client rate limit is counted by the route).
 */
import { uuidV4 } from "../../crypto/random.js";
import { signJwt } from "../../crypto/session-jwt.js";
import { grantedScopes, m2mAccessTokenClaims, M2M_ACCESS_TOKEN_TTL_SECONDS, type ClientCredentialsGrant } from "../../domain/m2m.js";
import { AppError } from "../../errors.js";
import type { M2mClientStore } from "../../store/m2m-clients.js";
import type { ServiceContext } from "../context.js";
import type { KeyService } from "../keys.js";
import type { M2mClientSecrets } from "./client-secrets.js";

export interface M2mAccessToken {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
}

export class M2mTokenService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: M2mClientStore,
    private readonly secrets: M2mClientSecrets,
    private readonly keys: KeyService,
  ) {}

  /**
   * `admitted` is the caller's rate-limit verdict for this client, awaited together with the client
   * read (two database round trips at once); a refusal there wins before any secret is checked.
   */
  async issue(projectId: string, grant: ClientCredentialsGrant, admitted: Promise<void> = Promise.resolve()): Promise<M2mAccessToken> {
    const [client] = await Promise.all([this.store.find(projectId, grant.clientId), admitted]);
    // Unknown client, wrong secret and inactive client answer alike: nothing tells them apart.
    if (!client) throw new AppError("invalid_client");
    if (!(await this.secrets.matches(projectId, client.clientId, grant.clientSecret, [client.secretHash, client.nextSecretHash]))) {
      throw new AppError("invalid_client");
    }
    if (client.status !== "active") throw new AppError("invalid_client");
    const scopes = grantedScopes(grant.scope, client.scopes);
    if (!scopes.ok) throw new AppError("invalid_scope");
    const { kid, privateKey } = await this.keys.signingKey(projectId);
    const claims = m2mAccessTokenClaims({
      projectId,
      clientId: client.clientId,
      scopes: scopes.scopes,
      nowSeconds: Math.floor(this.ctx.clock.now() / 1000),
      jti: uuidV4(this.ctx.random),
    });
    return { access_token: signJwt(claims, kid, privateKey), token_type: "bearer", expires_in: M2M_ACCESS_TOKEN_TTL_SECONDS };
  }
}
