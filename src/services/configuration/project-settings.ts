/**
 * @module A project's settings, read through a short per-node cache. The stored document holds
 * only what was set (the config file, the CLI or the admin API); everything else is the default.
 * OAuth client secrets are sealed with the installation key at rest.
 */
import {
  defaultProjectSettings,
  OAUTH_PROVIDER_DEFAULTS,
  type OAuthProviderEndpoints,
  type OAuthProviderName,
  type OAuthProviderSettings,
  type ProjectSettings,
} from "../../domain/project-settings.js";
import { mergePolicy, type RbacPolicy } from "../../domain/rbac.js";
import type { RedirectUrlEntry } from "../../domain/redirect-urls.js";
import { SqlProjectConfigurationStore, type ProjectConfigurationStore } from "../../store/project-configuration.js";
import type { ServiceContext } from "../context.js";
import type { InstanceKeys } from "../instance-keys.js";

/**
 * How long a node may answer from settings it read before: a change made on another node (or by
 * `tessera config apply`) is seen everywhere within this bound. Changes made through this node
 * are seen at once.
 */
export const SETTINGS_CACHE_TTL_MS = 2_000;

/** Credentials, and the endpoints where they differ from the real provider's. */
export type OAuthProviderInput = Pick<OAuthProviderSettings, "clientId" | "clientSecret"> & Partial<OAuthProviderEndpoints>;

/** A change to a project's settings: each field present replaces that setting whole. */
export interface ProjectSettingsPatch {
  authorizedOrigins?: string[];
  oauthProviders?: Partial<Record<OAuthProviderName, OAuthProviderInput>>;
  sessionLimits?: { frontendMaxDurationMinutes: number };
  /** The custom part only; the built-ins are merged in on read. */
  rbacPolicy?: RbacPolicy;
  sdk?: Record<string, unknown>;
  trustedAuthTokenProfiles?: unknown[];
  /** null: back to the installation-wide list. */
  redirectUrls?: RedirectUrlEntry[] | null;
}

interface StoredProvider extends Omit<OAuthProviderSettings, "clientSecret"> {
  clientSecretSealed: string;
}

/** The stored document: a patch whose OAuth secrets are sealed. */
interface StoredDocument extends Omit<ProjectSettingsPatch, "oauthProviders"> {
  oauthProviders?: Partial<Record<OAuthProviderName, StoredProvider>>;
}

export class ProjectSettingsService {
  private readonly cache = new Map<string, { readAt: number; settings: Promise<ProjectSettings> }>();
  readonly configuration: ProjectConfigurationStore;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly instanceKeys: InstanceKeys,
    private readonly ttlMs = SETTINGS_CACHE_TTL_MS,
  ) {
    this.configuration = new SqlProjectConfigurationStore(ctx.store.sqlExecutor());
  }

  /** The project's settings (defaults for a project without any); at most `ttlMs` old. */
  async get(projectId: string): Promise<ProjectSettings> {
    const now = this.ctx.clock.now();
    const cached = this.cache.get(projectId);
    if (cached && now - cached.readAt < this.ttlMs && now >= cached.readAt) return cached.settings;
    const settings = this.load(projectId);
    this.cache.set(projectId, { readAt: now, settings });
    settings.catch(() => this.cache.delete(projectId));
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return settings;
  }

  /** The custom policy as set (without the built-ins): what the admin API shows and replaces. */
  async customRbacPolicy(projectId: string): Promise<RbacPolicy> {
    return (await this.readDocument(projectId)).rbacPolicy ?? { roles: [], resources: [], scopes: [] };
  }

  /** Applies `patch` (fields present replace the stored ones); seen on this node at once. */
  async update(projectId: string, patch: ProjectSettingsPatch): Promise<void> {
    const document = await this.readDocument(projectId);
    const { oauthProviders, ...rest } = patch;
    const next: StoredDocument = { ...document, ...rest };
    if (oauthProviders !== undefined) {
      const sealed: Partial<Record<OAuthProviderName, StoredProvider>> = {};
      for (const [name, provider] of Object.entries(oauthProviders) as [OAuthProviderName, OAuthProviderInput][]) {
        const { clientSecret, ...endpoints } = { ...OAUTH_PROVIDER_DEFAULTS[name], ...provider };
        sealed[name] = { ...endpoints, clientSecretSealed: await this.instanceKeys.seal(clientSecret) };
      }
      next.oauthProviders = sealed;
    }
    await this.configuration.writeSettings(projectId, JSON.stringify(next), this.ctx.clock.now());
    this.cache.delete(projectId);
  }

  private async readDocument(projectId: string): Promise<StoredDocument> {
    const text = await this.configuration.readSettings(projectId);
    return text === null ? {} : (JSON.parse(text) as StoredDocument);
  }

  private async load(projectId: string): Promise<ProjectSettings> {
    const document = await this.readDocument(projectId);
    const settings = defaultProjectSettings();
    if (document.authorizedOrigins) settings.authorizedOrigins = document.authorizedOrigins;
    if (document.sessionLimits) settings.sessionLimits = document.sessionLimits;
    if (document.rbacPolicy) settings.rbacPolicy = mergePolicy(document.rbacPolicy);
    if (document.sdk) settings.sdk = document.sdk;
    if (document.trustedAuthTokenProfiles) settings.trustedAuthTokenProfiles = document.trustedAuthTokenProfiles;
    if (document.redirectUrls !== undefined) settings.redirectUrls = document.redirectUrls;
    for (const [name, stored] of Object.entries(document.oauthProviders ?? {}) as [OAuthProviderName, StoredProvider][]) {
      const { clientSecretSealed, ...rest } = stored;
      settings.oauthProviders[name] = { ...rest, clientSecret: await this.instanceKeys.open(clientSecretSealed) };
    }
    return settings;
  }
}
