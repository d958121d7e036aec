/**
 * @module Configuration: read once from the environment, checked, frozen. Nothing else reads
 * process.env.
 */

export interface Config {
  host: string;
  port: number;
  /**
   * The externally reachable base URL (TESSERA_PUBLIC_URL, no trailing slash), wherever Tessera
   * tells a browser or an identity provider where it lives: SSO callbacks, OAuth redirect URIs,
   * SCIM base URLs. Default `http://HOST:PORT`.
   */
  publicUrl: string;
  /** `sqlite:<path>` (default `sqlite:./data/tessera.db`) or `postgres://…`. */
  databaseUrl: string;
  bootstrapProjectId: string | undefined;
  bootstrapProjectSecret: string | undefined;
  logLevel: string;
  /**
   * Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed. Empty: the
   * client IP is the TCP peer's, whatever headers say.
   */
  trustedProxies: string[];
  /** Multiplies every per-route rate limit (RATE_LIMIT_SCALE); 0 turns them off. */
  rateLimitScale: number;
  /** Where security events are also POSTed (signed with the secret), if anywhere. */
  securityEventsWebhookUrl: string | undefined;
  securityEventsWebhookSecret: string | undefined;
  /** Device fingerprint lookup service (`GET <url>?telemetry_id=`); unset: the telemetry id is the visitor id. */
  telemetryLookupUrl: string | undefined;
  // --- MFA (issue 4): SMS delivery. At most one of the two; none means test outbox only. ---
  /** TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER (all three), TWILIO_BASE_URL (optional). */
  twilio?: { accountSid: string; authToken: string; fromNumber: string; baseUrl: string | undefined } | null;
  /** SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET (both). */
  smsWebhook?: { url: string; secret: string } | null;
  // --- end MFA ---
  // ---- Logins (issue 3): email delivery and magic-link redirects ----
  /** `smtp://user:pass@host:port` or `smtps://…`; unset: no email sender (test projects still work). */
  smtpUrl: string | undefined;
  /** The From of every email, `Name <address>` or an address. */
  emailFrom: string;
  /** Redirect URLs magic links, invites and resets may point to (besides localhost for test projects). */
  redirectUrls: string[];
  /** Where links point when the request names no redirect URL. */
  defaultRedirectUrl: string;
  /** TESSERA_CONFIG: the configuration file applied at every start (docs/configuration.md). */
  configFile?: string | undefined;
  // >>> sso
  // <<< sso
  // >>> oauth
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
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const port = Number(env.PORT ?? "8787");
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`PORT must be an integer 0..65535, got "${env.PORT}"`);
  const databaseUrl = env.DATABASE_URL ?? "sqlite:./data/tessera.db";
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) {
    problems.push(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
  }
  const projectId = env.TESSERA_PROJECT_ID || undefined;
  const projectSecret = env.TESSERA_PROJECT_SECRET || undefined;
  if ((projectId === undefined) !== (projectSecret === undefined)) {
    problems.push("TESSERA_PROJECT_ID and TESSERA_PROJECT_SECRET must be set together");
  }
  // --- MFA (issue 4): SMS delivery ---
  const sms = readSmsConfig(env, problems);
  // --- end MFA ---
  const rateLimitScale = Number(env.RATE_LIMIT_SCALE ?? "1");
  if (!Number.isFinite(rateLimitScale) || rateLimitScale < 0) problems.push(`RATE_LIMIT_SCALE must be a number ≥ 0, got "${env.RATE_LIMIT_SCALE}"`);
  // ---- Logins (issue 3) ----
  const smtpUrl = env.SMTP_URL || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/]/.test(smtpUrl)) problems.push("SMTP_URL must look like smtp://user:pass@host:port or smtps://…");
  const isHttpUrl = (value: string): boolean => {
    try {
      return ["http:", "https:"].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  };
  const redirectUrls = (env.TESSERA_REDIRECT_URLS ?? "").split(",").map((url) => url.trim()).filter((url) => url !== "");
  for (const url of redirectUrls) if (!isHttpUrl(url)) problems.push(`TESSERA_REDIRECT_URLS: "${url}" is not an http(s) URL`);
  const defaultRedirectUrl = env.TESSERA_DEFAULT_REDIRECT_URL || "http://localhost:3000/authenticate";
  if (!isHttpUrl(defaultRedirectUrl)) problems.push(`TESSERA_DEFAULT_REDIRECT_URL: "${defaultRedirectUrl}" is not an http(s) URL`);
  // ---- end of logins block ----
  const host = env.HOST ?? "127.0.0.1";
  const publicUrl = (env.TESSERA_PUBLIC_URL || `http://${host.includes(":") ? `[${host}]` : host}:${port}`).replace(/\/+$/, "");
  if (!isHttpUrl(publicUrl) || new URL(publicUrl).search !== "" || new URL(publicUrl).hash !== "") {
    problems.push(`TESSERA_PUBLIC_URL must be an http(s) URL without query or fragment, got "${env.TESSERA_PUBLIC_URL}"`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n- ${problems.join("\n- ")}`);
  return Object.freeze({
    host,
    port,
    publicUrl,
    databaseUrl,
    // >>> sso
    // <<< sso
    // >>> oauth
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
    bootstrapProjectId: projectId,
    bootstrapProjectSecret: projectSecret,
    logLevel: env.LOG_LEVEL ?? "info",
    telemetryLookupUrl: env.TELEMETRY_LOOKUP_URL || undefined,
    rateLimitScale,
    securityEventsWebhookUrl: env.SECURITY_EVENTS_WEBHOOK_URL || undefined,
    securityEventsWebhookSecret: env.SECURITY_EVENTS_WEBHOOK_SECRET || undefined,
    trustedProxies: (env.TRUSTED_PROXIES ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ""),
    ...sms,
    smtpUrl,
    emailFrom: env.EMAIL_FROM || "Tessera <no-reply@localhost>",
    redirectUrls,
    defaultRedirectUrl,
    configFile: env.TESSERA_CONFIG || undefined,
  });
}

// --- MFA (issue 4): SMS delivery settings ---
function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

function readSmsConfig(env: NodeJS.ProcessEnv, problems: string[]): Pick<Config, "twilio" | "smsWebhook"> {
  const twilioVars = [env.TWILIO_ACCOUNT_SID, env.TWILIO_AUTH_TOKEN, env.TWILIO_FROM_NUMBER].map((value) => value || undefined);
  const twilioSet = twilioVars.filter((value) => value !== undefined).length;
  if (twilioSet !== 0 && twilioSet !== 3) {
    problems.push("TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER must be set together");
  }
  if (env.TWILIO_BASE_URL && !isHttpUrl(env.TWILIO_BASE_URL)) problems.push(`TWILIO_BASE_URL must be an http(s) URL, got "${env.TWILIO_BASE_URL}"`);
  const webhookUrl = env.SMS_WEBHOOK_URL || undefined;
  const webhookSecret = env.SMS_WEBHOOK_SECRET || undefined;
  if ((webhookUrl === undefined) !== (webhookSecret === undefined)) problems.push("SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET must be set together");
  if (webhookUrl !== undefined && !isHttpUrl(webhookUrl)) problems.push(`SMS_WEBHOOK_URL must be an http(s) URL, got "${webhookUrl}"`);
  if (webhookSecret !== undefined && webhookSecret.length < 16) problems.push("SMS_WEBHOOK_SECRET must be at least 16 characters");
  if (twilioSet === 3 && webhookUrl !== undefined) problems.push("configure SMS delivery through Twilio or SMS_WEBHOOK_URL, not both");
  const [accountSid, authToken, fromNumber] = twilioVars;
  return {
    twilio: twilioSet === 3 ? { accountSid: accountSid!, authToken: authToken!, fromNumber: fromNumber!, baseUrl: env.TWILIO_BASE_URL || undefined } : null,
    smsWebhook: webhookUrl !== undefined && webhookSecret !== undefined ? { url: webhookUrl, secret: webhookSecret } : null,
  };
}
// --- end MFA ---
