/**
 * @module The composition root: the only file that knows every concrete piece. Config → store →
 * services → HTTP.
 */
import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import type { Config } from "./config.js";
import { systemRandom, type RandomSource } from "./crypto/random.js";
import { systemClock, type Clock } from "./domain/time.js";
import { buildHttpServer } from "./http/server.js";
import { KeyService } from "./services/keys.js";
import { MemberService } from "./services/members.js";
import { OrganizationService } from "./services/organizations.js";
import { ProjectService } from "./services/projects.js";
import type { Services } from "./services/services.js";
import { SessionService } from "./services/sessions.js";
import type { Senders } from "./delivery/senders.js";
import { AuditService } from "./services/audit.js";
import { AuthorizationService } from "./services/authorization.js";
import { AuthenticationService } from "./services/authentication.js";
import { EventWebhook } from "./delivery/event-webhook.js";
import { DeliveryWorker } from "./services/delivery-worker.js";
import { DeviceService } from "./services/devices.js";
import { DiscoveryService } from "./services/discovery.js";
import { ExchangeService } from "./services/exchange.js";
import { builtInFingerprintLookup, HttpFingerprintLookup, type FingerprintLookup } from "./telemetry/fingerprint-lookup.js";
import { InstanceKeys } from "./services/instance-keys.js";
import { OutboxService } from "./services/outbox.js";
import { SmsOtpService } from "./services/sms-otp.js";
// --- MFA (issue 4) ---
import { smsSenderFromConfig } from "./delivery/sms-sender-config.js";
import { MfaSupport } from "./services/mfa-support.js";
import { RecoveryCodeService } from "./services/recovery-codes.js";
import { SmsOtpFlows } from "./services/sms-otp-flows.js";
import { TotpService } from "./services/totp.js";
// --- end MFA ---
import { PostgresStore, parsePostgresUrl } from "./store/postgres/postgres-store.js";
import { SqliteStore } from "./store/sqlite/sqlite-store.js";
// ---- Logins (issue 3) ----
import { SmtpEmailSender } from "./delivery/smtp-sender.js";
import { DEFAULT_LOGIN_SETTINGS, type LoginSettings } from "./services/login-support.js";
import { buildLoginServices } from "./services/logins.js";
import type { Store } from "./store/store.js";
import { M2mClientSecrets } from "./services/m2m/client-secrets.js";
import { M2mClientService } from "./services/m2m/clients.js";
import { M2mTokenService } from "./services/m2m/tokens.js";
import { SqlM2mClientStore } from "./store/m2m-clients.js";
import { ConfigFileApplier } from "./services/configuration/config-file.js";
import { ProjectSettingsService } from "./services/configuration/project-settings.js";
import { RedirectUrlService } from "./services/configuration/redirect-urls.js";
import { RbacPolicyService } from "./services/configuration/rbac-policies.js";
import { ScimConnectionService } from "./services/scim/connections.js";
import { ScimProvisioningService } from "./services/scim/provisioning.js";
import { SqlScimStore } from "./store/scim.js";
// >>> sso
import { SsoConnectionService } from "./services/sso/connections.js";
import { SqlSsoConnectionStore } from "./store/sso-connections.js";
import { SsoLoginService } from "./services/sso/login.js";
// <<< sso
// >>> oauth
import { OAuthLoginService } from "./services/oauth/oauth-logins.js";
import { ProviderTokenService } from "./services/oauth/provider-tokens.js";
import { RedirectPolicy } from "./services/login-support.js";
import { SqlOAuthRegistrationStore } from "./store/oauth-registrations.js";
// <<< oauth
// >>> sdk
// <<< sdk
// >>> surface
// <<< surface
// >>> pgperf
// <<< pgperf
// >>> hardening
// <<< hardening
// >>> webhooks
// <<< webhooks
// >>> scim
// <<< scim

export interface App {
  services: Services;
  store: Store;
  http: FastifyInstance;
  close(): Promise<void>;
}

export interface AppOverrides {
  clock?: Clock;
  random?: RandomSource;
  store?: Store;
  /** false silences request logs (tests). */
  logging?: boolean;
  /** Where logs go instead of stdout (tests read them back). */
  logDestination?: NodeJS.WritableStream;
  senders?: Partial<Senders>;
  /** Poll interval of the outbox worker; 0 leaves it stopped (tests drain it by hand). */
  deliveryPollMs?: number;
}

/**
 * Opens and migrates the store DATABASE_URL names: `sqlite:<path>`, or `postgres://…` /
 * `postgresql://…` (optional `schema=` and `pool_size=` query parameters, see docs/postgresql.md).
 */
export async function openStore(databaseUrl: string): Promise<Store> {
  let store: Store;
  if (databaseUrl.startsWith("sqlite:")) {
    store = new SqliteStore(databaseUrl.slice("sqlite:".length) || "./data/tessera.db");
  } else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { connectionString, options } = parsePostgresUrl(databaseUrl);
    store = new PostgresStore(connectionString, options);
  } else {
    throw new Error("DATABASE_URL must start with sqlite:, postgres:// or postgresql://");
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}

/** Facts about where this installation runs that services must tell others (browsers, IdPs). */
export interface DeploymentSettings {
  /** TESSERA_PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
}

export function buildServices(
  store: Store,
  clock: Clock,
  random: RandomSource,
  senders: Senders = { email: null, sms: null },
  logger?: Logger,
  fingerprintLookup: FingerprintLookup = builtInFingerprintLookup,
  eventWebhook: EventWebhook | null = null,
  loginSettings: LoginSettings = DEFAULT_LOGIN_SETTINGS,
  deployment: DeploymentSettings = { publicUrl: "http://127.0.0.1:8787" },
): Services {
  const context = { store, clock, random };
  const keys = new KeyService(context);
  const projects = new ProjectService(context, keys);
  const organizations = new OrganizationService(context);
  const members = new MemberService(context, organizations);
  const sessions = new SessionService(context, keys, organizations, members);
  const instanceKeys = new InstanceKeys(store, random);
  const outbox = new OutboxService(context, instanceKeys, senders);
  const delivery = new DeliveryWorker(
    context,
    instanceKeys,
    senders,
    async (projectId) => (await projects.find(projectId))?.environment === "test",
    logger,
  );
  outbox.onEnqueued = () => delivery.kick();
  const smsOtp = new SmsOtpService(context, instanceKeys, outbox);
  const authentication = new AuthenticationService(context, sessions, smsOtp, outbox);
  const exchange = new ExchangeService(context, sessions, organizations, authentication);
  const devices = new DeviceService(context, fingerprintLookup, logger);
  const discovery = new DiscoveryService(context, sessions, organizations, authentication);
  const audit = new AuditService(context, eventWebhook, logger);
  const authorization = new AuthorizationService(context, sessions, organizations);
  // --- MFA (issue 4) ---
  const mfa = new MfaSupport(context, organizations, members, sessions, authentication, outbox);
  const smsOtpFlows = new SmsOtpFlows(context, mfa, smsOtp, instanceKeys, authentication);
  const recoveryCodes = new RecoveryCodeService(context, mfa, instanceKeys, authentication);
  const totp = new TotpService(context, mfa, instanceKeys, recoveryCodes, authentication);
  const mfaServices = { mfa, smsOtpFlows, recoveryCodes, totp };
  const projectSettings = new ProjectSettingsService(context, instanceKeys);
  const redirectUrls = new RedirectUrlService(projectSettings, { urls: loginSettings.redirectUrls, defaultUrl: loginSettings.defaultRedirectUrl });
  const configFile = new ConfigFileApplier(context, projects, projectSettings);
  const rbacPolicies = new RbacPolicyService(context, projectSettings);
  authorization.policies = rbacPolicies;
  members.roleIdCheck = (project, organizationId, roleIds) => rbacPolicies.checkRoleIds(project, organizationId, roleIds);
  const m2mClientStore = new SqlM2mClientStore(store.sqlExecutor());
  const m2mSecrets = new M2mClientSecrets(instanceKeys, random);
  const m2mClients = new M2mClientService(context, m2mClientStore, m2mSecrets);
  const m2mTokens = new M2mTokenService(context, m2mClientStore, m2mSecrets, keys);
  const scimStore = new SqlScimStore(store.sqlExecutor());
  const scimConnections = new ScimConnectionService(context, scimStore, organizations, deployment.publicUrl);
  const scimProvisioning = new ScimProvisioningService(context, scimStore, organizations, members, audit);
  // A new role source: the roles a member's SCIM groups grant.
  sessions.roleSources.push(async (projectId, memberId) =>
    ((await scimProvisioning.groupRoleGrants(projectId, [memberId])).get(memberId) ?? []).map((grant) => grant.roleId),
  );
  // >>> sso
  const ssoStore = new SqlSsoConnectionStore(store.sqlExecutor());
  const ssoConnections = new SsoConnectionService(context, ssoStore, organizations, instanceKeys, deployment.publicUrl);
  const ssoLogin = new SsoLoginService(context, {
    projects, organizations, sessions, authentication, connections: ssoConnections, store: ssoStore, instanceKeys, redirectUrls, publicUrl: deployment.publicUrl,
  });
  // SSO connection and group roles count in sessions holding a factor from that connection.
  sessions.roleSources.push((projectId, memberId, factors) => ssoLogin.sessionRoles(projectId, memberId, factors));
  // <<< sso
  // >>> oauth
  const oauthRegistrations = new SqlOAuthRegistrationStore(store.sqlExecutor());
  const oauthLogins = new OAuthLoginService(
    context,
    { projects, projectSettings, organizations, sessions, authentication, discovery, instanceKeys, redirects: new RedirectPolicy(redirectUrls), registrations: oauthRegistrations },
    deployment.publicUrl,
  );
  const providerTokens = new ProviderTokenService(context, { organizations, members, projectSettings, instanceKeys, registrations: oauthRegistrations });
  // <<< oauth
  // >>> sdk
  // <<< sdk
  // >>> surface
  // <<< surface
  // >>> pgperf
  // <<< pgperf
  // >>> hardening
  // <<< hardening
  // >>> webhooks
  // <<< webhooks
  // >>> scim
  // <<< scim
  // --- end MFA ---
  // ---- Logins (issue 3) ----
  const logins = buildLoginServices(
    context,
    { organizations, members, sessions, authentication, outbox, instanceKeys, discovery, redirectUrls },
  );
  return {
    context,
    keys,
    projects,
    organizations,
    members,
    sessions,
    instanceKeys,
    outbox,
    delivery,
    smsOtp,
    authentication,
    exchange,
    devices,
    discovery,
    audit,
    authorization,
    ...mfaServices,
    ...logins,
    projectSettings,
    redirectUrls,
    configFile,
    rbacPolicies,
    m2mClients,
    m2mTokens,
    scimConnections,
    scimProvisioning,
    // >>> sso
    ssoConnections,
    ssoLogin,
    // <<< sso
    // >>> oauth
    oauthLogins,
    providerTokens,
    // <<< oauth
    // >>> sdk
    // <<< sdk
    // >>> surface
    // <<< surface
    // >>> pgperf
    // <<< pgperf
    // >>> hardening
    // <<< hardening
    // >>> webhooks
    // <<< webhooks
    // >>> scim
    // <<< scim
  };
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? systemRandom;
  const store = overrides.store ?? (await openStore(config.databaseUrl));
  const logger =
    overrides.logging === false
      ? false
      : overrides.logDestination
        ? pino({ level: config.logLevel }, overrides.logDestination)
        : pino({ level: config.logLevel });
  // ---- Logins (issue 3): the SMTP sender and redirect settings come from the configuration ----
  const smtpSender = config.smtpUrl ? new SmtpEmailSender({ url: config.smtpUrl, from: config.emailFrom }) : null;
  const loginSettings: LoginSettings = { redirectUrls: config.redirectUrls, defaultRedirectUrl: config.defaultRedirectUrl };
  const senders: Senders = { email: smtpSender, sms: null, ...overrides.senders };
  // --- MFA (issue 4): SMS through Twilio or a signed webhook when configured (an override wins) ---
  if (overrides.senders?.sms === undefined) senders.sms = smsSenderFromConfig(config, clock);
  // --- end MFA ---
  const fingerprintLookup = config.telemetryLookupUrl ? new HttpFingerprintLookup(config.telemetryLookupUrl) : builtInFingerprintLookup;
  const eventWebhook = config.securityEventsWebhookUrl
    ? new EventWebhook(config.securityEventsWebhookUrl, config.securityEventsWebhookSecret ?? "")
    : null;
  const services = buildServices(store, clock, random, senders, logger || undefined, fingerprintLookup, eventWebhook, loginSettings, {
    publicUrl: config.publicUrl,
  });
  // The configuration file is applied at every start, before the first request is served.
  if (config.configFile !== undefined) {
    try {
      await services.configFile.applyFile(config.configFile);
    } catch (error) {
      if (!overrides.store) await store.close().catch(() => {});
      throw error;
    }
  }
  const http = buildHttpServer({ services, random, logger, trustedProxies: config.trustedProxies, rateLimitScale: config.rateLimitScale });
  const pollMs = overrides.deliveryPollMs ?? 1000;
  if (pollMs > 0) services.delivery.start(pollMs);
  // With the worker stopped, nothing is delivered until someone drains the outbox (tests do).
  else services.outbox.onEnqueued = () => {};
  return {
    services,
    store,
    http,
    async close() {
      await http.close();
      await services.delivery.stop();
      smtpSender?.close();
      await store.close();
    },
  };
}
