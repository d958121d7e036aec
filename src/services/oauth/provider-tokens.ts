/**
 * @module A member's provider tokens for the backend (`organizations.members.oauthProviders.*`):
 * read from the member's registrations (sealed at rest), refreshed with the stored refresh token
 * when the access token has expired, the refreshed tokens sealed and stored again.
 */
import type { OAuthProviderName } from "../../domain/project-settings.js";
import type { Project } from "../../domain/types.js";
import { AppError } from "../../errors.js";
import type { OAuthRegistrationRecord, OAuthRegistrationStore } from "../../store/oauth-registrations.js";
import type { ProjectSettingsService } from "../configuration/project-settings.js";
import type { ServiceContext } from "../context.js";
import type { InstanceKeys } from "../instance-keys.js";
import type { MemberService } from "../members.js";
import type { OrganizationService } from "../organizations.js";
import { refreshTokens, type ProviderTokens } from "./providers.js";

/** An access token this close to its expiry is refreshed before it is handed out. */
export const REFRESH_MARGIN_MS = 60_000;

export interface HeldProviderTokens {
  registration: OAuthRegistrationRecord;
  tokens: ProviderTokens;
}

export class ProviderTokenService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly deps: {
      organizations: OrganizationService;
      members: MemberService;
      projectSettings: ProjectSettingsService;
      instanceKeys: InstanceKeys;
      registrations: OAuthRegistrationStore;
    },
  ) {}

  /** The member's registrations with `provider`, newest first, each with live tokens. */
  async read(project: Project, organizationRef: string, memberId: string, provider: OAuthProviderName): Promise<HeldProviderTokens[]> {
    const organization = await this.deps.organizations.get(project, organizationRef);
    const member = await this.deps.members.get(project, organization, memberId);
    const registrations = (await this.deps.registrations.listForMember(project.projectId, member.memberId))
      .filter((registration) => registration.provider === provider && registration.sealedTokens !== "")
      .sort((a, b) => b.updatedAt - a.updatedAt);
    if (registrations.length === 0) throw new AppError("oauth_registration_not_found");
    const held: HeldProviderTokens[] = [];
    for (const registration of registrations) held.push(await this.live(project, provider, registration));
    return held;
  }

  private async live(project: Project, provider: OAuthProviderName, registration: OAuthRegistrationRecord): Promise<HeldProviderTokens> {
    const tokens = JSON.parse(await this.deps.instanceKeys.open(registration.sealedTokens)) as ProviderTokens;
    const now = this.ctx.clock.now();
    if (tokens.expiresAt === null || tokens.expiresAt - REFRESH_MARGIN_MS > now) return { registration, tokens };
    if (tokens.refreshToken === "") throw new AppError("missing_oauth_refresh_token");
    const settings = (await this.deps.projectSettings.get(project.projectId)).oauthProviders[provider];
    if (!settings) throw new AppError("oauth_config_not_found");
    const fresh = await refreshTokens(provider, settings, tokens, now);
    const sealed = await this.deps.instanceKeys.seal(JSON.stringify(fresh));
    await this.deps.registrations.updateTokens(project.projectId, registration.registrationId, sealed, fresh.scopes, fresh.expiresAt, now);
    return { registration: { ...registration, sealedTokens: sealed, scopes: fresh.scopes, accessTokenExpiresAt: fresh.expiresAt, updatedAt: now }, tokens: fresh };
  }
}
