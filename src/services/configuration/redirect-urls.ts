/**
 * @module The redirect URL a request may use, per type: the project's own list when it has one,
 * else the installation-wide TESSERA_REDIRECT_URLS / TESSERA_DEFAULT_REDIRECT_URL (rules in
 * domain/redirect-urls.ts). Callers turn a refusal into their own Stytch error.
 */
import type { Project } from "../../domain/types.js";
import { resolveRedirectUrl, type FallbackRedirectUrls, type RedirectResolution, type RedirectUrlType } from "../../domain/redirect-urls.js";
import type { ProjectSettingsService } from "./project-settings.js";

export class RedirectUrlService {
  constructor(
    private readonly settings: Pick<ProjectSettingsService, "get">,
    private readonly fallback: FallbackRedirectUrls,
  ) {}

  async resolve(project: Project, type: RedirectUrlType, requested: string | undefined): Promise<RedirectResolution> {
    const { redirectUrls } = await this.settings.get(project.projectId);
    return resolveRedirectUrl({ entries: redirectUrls, fallback: this.fallback, testProject: project.environment === "test", type, requested });
  }
}
