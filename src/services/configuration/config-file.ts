/**
 * @module The configuration file (TESSERA_CONFIG, `tessera config apply`): read, checked against
 * config/tessera-config.schema.json and the policy rules, then applied idempotently. Every check —
 * including those needing the database, such as a public token owned by another project — runs
 * before the first write, so a bad file changes nothing.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { normalizeOrigin, type OAuthProviderName } from "../../domain/project-settings.js";
import { customPolicyProblems, type RbacPolicy } from "../../domain/rbac.js";
import { redirectUrlProblems, type RedirectUrlEntry, type RedirectUrlType } from "../../domain/redirect-urls.js";
import type { ServiceContext } from "../context.js";
import { PUBLIC_TOKEN_PATTERN, type ProjectService } from "../projects.js";
import type { OAuthProviderInput, ProjectSettingsPatch, ProjectSettingsService } from "./project-settings.js";

export const CONFIG_SCHEMA_PATH = join(dirname(fileURLToPath(import.meta.url)), "../../../../config/tessera-config.schema.json");

export class ConfigFileError extends Error {
  override name = "ConfigFileError";
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration file ${source} (nothing was applied):\n- ${problems.join("\n- ")}`);
  }
}

interface FilePermission {
  resource_id: string;
  actions: string[];
}

/** One project of the file, as the schema allows it. */
export interface ConfigFileProject {
  project_id: string;
  secret?: string;
  name?: string;
  public_tokens?: string[];
  redirect_urls?: { url: string; types: RedirectUrlType[]; default?: boolean }[];
  authorized_origins?: string[];
  oauth_providers?: Partial<
    Record<
      OAuthProviderName,
      { client_id: string; client_secret: string; authorization_url?: string; token_url?: string; userinfo_url?: string; issuer?: string | null; jwks_url?: string | null }
    >
  >;
  rbac_policy?: {
    roles?: { role_id: string; description?: string; permissions: FilePermission[] }[];
    resources?: { resource_id: string; description?: string; actions: string[] }[];
    scopes?: { scope: string; description?: string; permissions: FilePermission[] }[];
  };
  session_limits?: { frontend_max_duration_minutes: number };
  sdk?: Record<string, unknown>;
  trusted_auth_token_profiles?: unknown[];
}

export interface ConfigDocument {
  projects: ConfigFileProject[];
}

let validator: ReturnType<Ajv2020["compile"]> | null = null;

function schemaValidator(): ReturnType<Ajv2020["compile"]> {
  if (!validator) {
    const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    validator = ajv.compile(JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, "utf8")));
  }
  return validator;
}

export function rbacPolicyFromFile(policy: NonNullable<ConfigFileProject["rbac_policy"]>): RbacPolicy {
  return {
    roles: (policy.roles ?? []).map((role) => ({ role_id: role.role_id, description: role.description ?? "", permissions: role.permissions })),
    resources: (policy.resources ?? []).map((resource) => ({ resource_id: resource.resource_id, description: resource.description ?? "", actions: resource.actions })),
    scopes: (policy.scopes ?? []).map((scope) => ({ scope: scope.scope, description: scope.description ?? "", permissions: scope.permissions })),
  };
}

export function redirectUrlsFromFile(entries: NonNullable<ConfigFileProject["redirect_urls"]>): RedirectUrlEntry[] {
  return entries.map((entry) => ({ url: entry.url, types: entry.types, isDefault: entry.default ?? false }));
}

/** Problems of settings that JSON Schema cannot express, each with its JSON path. */
export function settingsProblems(project: Omit<ConfigFileProject, "project_id">, path: string): string[] {
  const problems: string[] = [];
  if (project.redirect_urls) problems.push(...redirectUrlProblems(redirectUrlsFromFile(project.redirect_urls), `${path}/redirect_urls`));
  project.authorized_origins?.forEach((origin, index) => {
    if (normalizeOrigin(origin) === null) problems.push(`${path}/authorized_origins/${index}: "${origin}" is not an origin (scheme://host[:port], nothing after it)`);
  });
  if (project.rbac_policy) problems.push(...customPolicyProblems(rbacPolicyFromFile(project.rbac_policy), `${path}/rbac_policy`));
  return problems;
}

/** Parses and checks a file's text; throws ConfigFileError naming every problem's path. */
export function parseConfigDocument(text: string, source: string): ConfigDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(source, [`not valid JSON: ${(error as Error).message}`]);
  }
  const validate = schemaValidator();
  if (!validate(value)) {
    throw new ConfigFileError(
      source,
      (validate.errors ?? []).map((error) => {
        const extra = error.keyword === "additionalProperties" ? ` "${(error.params as { additionalProperty: string }).additionalProperty}"` : "";
        return `${error.instancePath || "/"}: ${error.message ?? "is not valid"}${extra}`;
      }),
    );
  }
  const document = value as ConfigDocument;
  const problems: string[] = [];
  const seenProjects = new Map<string, number>();
  const seenTokens = new Map<string, string>();
  document.projects.forEach((project, index) => {
    const path = `/projects/${index}`;
    if (seenProjects.has(project.project_id)) problems.push(`${path}/project_id: "${project.project_id}" is also /projects/${seenProjects.get(project.project_id)}`);
    seenProjects.set(project.project_id, index);
    const environment = project.project_id.startsWith("project-live-") ? "live" : "test";
    project.public_tokens?.forEach((token, tokenIndex) => {
      const at = `${path}/public_tokens/${tokenIndex}`;
      if (PUBLIC_TOKEN_PATTERN.exec(token)?.[1] !== environment) problems.push(`${at}: a ${environment} project's public token must start with public-token-${environment}-`);
      if (seenTokens.has(token)) problems.push(`${at}: "${token}" is also listed at ${seenTokens.get(token)}`);
      seenTokens.set(token, at);
    });
    problems.push(...settingsProblems(project, path));
  });
  if (problems.length > 0) throw new ConfigFileError(source, problems);
  return document;
}

export function readConfigFile(path: string): ConfigDocument {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigFileError(path, [`cannot be read: ${(error as Error).message}`]);
  }
  return parseConfigDocument(text, path);
}

/** The settings patch a file's project block stands for (only what it names). */
export function settingsPatchFromFile(project: Omit<ConfigFileProject, "project_id">): ProjectSettingsPatch {
  const patch: ProjectSettingsPatch = {};
  if (project.authorized_origins) patch.authorizedOrigins = project.authorized_origins.map((origin) => normalizeOrigin(origin)!);
  if (project.redirect_urls) patch.redirectUrls = redirectUrlsFromFile(project.redirect_urls);
  if (project.rbac_policy) patch.rbacPolicy = rbacPolicyFromFile(project.rbac_policy);
  if (project.session_limits) patch.sessionLimits = { frontendMaxDurationMinutes: project.session_limits.frontend_max_duration_minutes };
  if (project.sdk) patch.sdk = project.sdk;
  if (project.trusted_auth_token_profiles) patch.trustedAuthTokenProfiles = project.trusted_auth_token_profiles;
  if (project.oauth_providers) {
    const providers: Partial<Record<OAuthProviderName, OAuthProviderInput>> = {};
    for (const [name, provider] of Object.entries(project.oauth_providers) as [OAuthProviderName, NonNullable<ConfigFileProject["oauth_providers"]>["google"]][]) {
      if (!provider) continue;
      providers[name] = {
        clientId: provider.client_id,
        clientSecret: provider.client_secret,
        ...(provider.authorization_url !== undefined ? { authorizationUrl: provider.authorization_url } : {}),
        ...(provider.token_url !== undefined ? { tokenUrl: provider.token_url } : {}),
        ...(provider.userinfo_url !== undefined ? { userinfoUrl: provider.userinfo_url } : {}),
        ...(provider.issuer !== undefined ? { issuer: provider.issuer } : {}),
        ...(provider.jwks_url !== undefined ? { jwksUrl: provider.jwks_url } : {}),
      };
    }
    patch.oauthProviders = providers;
  }
  return patch;
}

export interface AppliedProject {
  project_id: string;
  created: boolean;
}

export class ConfigFileApplier {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly projects: ProjectService,
    private readonly settings: ProjectSettingsService,
  ) {}

  /** Checks what needs the database, then applies every project. Idempotent. */
  async apply(document: ConfigDocument, source: string): Promise<AppliedProject[]> {
    const problems: string[] = [];
    const existing = new Map<string, boolean>();
    for (const [index, project] of document.projects.entries()) {
      const found = (await this.projects.find(project.project_id)) !== null;
      existing.set(project.project_id, found);
      if (!found && project.secret === undefined) problems.push(`/projects/${index}/secret: required to create project ${project.project_id}`);
      for (const [tokenIndex, token] of (project.public_tokens ?? []).entries()) {
        const owner = (await this.settings.configuration.findPublicToken(token))?.projectId;
        if (owner !== undefined && owner !== project.project_id) problems.push(`/projects/${index}/public_tokens/${tokenIndex}: "${token}" belongs to another project`);
      }
    }
    if (problems.length > 0) throw new ConfigFileError(source, problems);
    const applied: AppliedProject[] = [];
    for (const entry of document.projects) {
      let project = entry.secret !== undefined ? await this.projects.ensure(entry.project_id, entry.secret, entry.name) : (await this.projects.find(entry.project_id))!;
      if (entry.name !== undefined && project.name !== entry.name) {
        await this.ctx.store.sqlExecutor().atomically([{ sql: "UPDATE projects SET name = ? WHERE project_id = ?", params: [entry.name, project.projectId] }]);
        project = { ...project, name: entry.name };
      }
      if (entry.public_tokens) {
        for (const token of entry.public_tokens) await this.projects.addPublicToken(project, token, "config_file");
        await this.settings.configuration.prunePublicTokens(project.projectId, "config_file", entry.public_tokens);
      }
      const patch = settingsPatchFromFile(entry);
      if (Object.keys(patch).length > 0) await this.settings.update(project.projectId, patch);
      applied.push({ project_id: project.projectId, created: !existing.get(project.projectId) });
    }
    return applied;
  }

  async applyFile(path: string): Promise<AppliedProject[]> {
    return this.apply(readConfigFile(path), path);
  }
}
