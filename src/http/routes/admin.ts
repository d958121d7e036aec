/**
 * @module The Tessera admin API (`/v1/tessera/projects/{project_id}/…`, the project's Basic
 * credentials): the same settings as the configuration file and the CLI — public tokens and a
 * project's configuration — over HTTP. The path names the project its credentials authenticate.
 */
import { AppError } from "../../errors.js";
import type { ProjectSettings } from "../../domain/project-settings.js";
import { ConfigFileError, parseConfigDocument } from "../../services/configuration/config-file.js";
import type { Services } from "../../services/services.js";
import type { RouteDefinition, RouteRequest } from "../route.js";

const BASE = "/v1/tessera/projects/:project_id";

/** The admin API acts only on the project whose credentials the call carries. */
function ownProject(request: RouteRequest): void {
  if (request.params.project_id !== request.project.projectId) {
    throw new AppError("unauthorized_credentials", "The credentials are not those of the project in the path.");
  }
}

/** Settings as the configuration file spells them; provider secrets are never given back. */
function settingsToWire(settings: ProjectSettings, customPolicy: unknown): Record<string, unknown> {
  return {
    redirect_urls: settings.redirectUrls?.map((entry) => ({ url: entry.url, types: entry.types, default: entry.isDefault })) ?? null,
    authorized_origins: settings.authorizedOrigins,
    oauth_providers: Object.fromEntries(
      Object.entries(settings.oauthProviders).map(([name, provider]) => [
        name,
        {
          client_id: provider.clientId,
          authorization_url: provider.authorizationUrl,
          token_url: provider.tokenUrl,
          userinfo_url: provider.userinfoUrl,
          issuer: provider.issuer,
          jwks_url: provider.jwksUrl,
        },
      ]),
    ),
    rbac_policy: customPolicy,
    session_limits: { frontend_max_duration_minutes: settings.sessionLimits.frontendMaxDurationMinutes },
    sdk: settings.sdk,
    trusted_auth_token_profiles: settings.trustedAuthTokenProfiles,
  };
}

export function adminRoutes(services: Services): RouteDefinition[] {
  const configurationOf = async (projectId: string) => ({
    project_id: projectId,
    configuration: settingsToWire(await services.projectSettings.get(projectId), await services.projectSettings.customRbacPolicy(projectId)),
  });
  return [
    {
      method: "GET",
      url: `${BASE}/configuration`,
      summary: "Tessera admin: the project's configuration (as in the configuration file; OAuth client secrets are not returned)",
      auth: "project",
      handler: async (request) => {
        ownProject(request);
        return configurationOf(request.project.projectId);
      },
    },
    {
      method: "PUT",
      url: `${BASE}/configuration`,
      summary: "Tessera admin: bring the project's configuration to the given state (keys left out are left alone; all or nothing)",
      auth: "project",
      bodySchema: "tessera-project-configuration.request",
      handler: async (request) => {
        ownProject(request);
        const entry = request.body as Record<string, unknown>;
        if ("project_id" in entry || "secret" in entry) {
          throw new AppError("invalid_field_value", "project_id and secret cannot be set through the admin API.");
        }
        try {
          const document = parseConfigDocument(JSON.stringify({ projects: [{ project_id: request.project.projectId, ...entry }] }), "request body");
          await services.configFile.apply(document, "request body");
        } catch (error) {
          if (error instanceof ConfigFileError) {
            throw new AppError("invalid_field_value", error.problems.map((problem) => problem.replace(/^\/projects\/0/, "")).join("; "));
          }
          throw error;
        }
        return configurationOf(request.project.projectId);
      },
    },
    {
      method: "GET",
      url: `${BASE}/public_tokens`,
      summary: "Tessera admin: the project's public tokens",
      auth: "project",
      handler: async (request) => {
        ownProject(request);
        const tokens = await services.projects.listPublicTokens(request.project.projectId);
        return { public_tokens: tokens.map((token) => ({ public_token: token.publicToken, source: token.source, created_at: new Date(token.createdAt).toISOString() })) };
      },
    },
    {
      method: "POST",
      url: `${BASE}/public_tokens`,
      summary: "Tessera admin: create a public token for the frontend SDKs",
      auth: "project",
      handler: async (request) => {
        ownProject(request);
        const { publicToken } = await services.projects.createPublicToken(request.project.projectId);
        return { public_token: publicToken };
      },
    },
    {
      method: "DELETE",
      url: `${BASE}/public_tokens/:public_token`,
      summary: "Tessera admin: delete a public token (refused at once by the SDK endpoints)",
      auth: "project",
      handler: async (request) => {
        ownProject(request);
        if (!(await services.projects.deletePublicToken(request.project.projectId, request.params.public_token!))) {
          throw new AppError("public_token_not_found");
        }
        return { public_token: request.params.public_token };
      },
    },
  ];
}
