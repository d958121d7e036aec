/**
 * @module Configuration: read once from the environment, checked, frozen. Nothing else reads
 * process.env.
 */

export interface Config {
  host: string;
  port: number;
  /** `sqlite:<path>` (default `sqlite:./data/tessera.db`) or `postgres://…`. */
  databaseUrl: string;
  bootstrapProjectId: string | undefined;
  bootstrapProjectSecret: string | undefined;
  logLevel: string;
  // ---- Logins (issue 3): email delivery and magic-link redirects ----
  /** `smtp://user:pass@host:port` or `smtps://…`; unset: no email sender (test projects still work). */
  smtpUrl: string | undefined;
  /** The From of every email, `Name <address>` or an address. */
  emailFrom: string;
  /** Redirect URLs magic links, invites and resets may point to (besides localhost for test projects). */
  redirectUrls: string[];
  /** Where links point when the request names no redirect URL. */
  defaultRedirectUrl: string;
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
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n- ${problems.join("\n- ")}`);
  return Object.freeze({
    host: env.HOST ?? "127.0.0.1",
    port,
    databaseUrl,
    bootstrapProjectId: projectId,
    bootstrapProjectSecret: projectSecret,
    logLevel: env.LOG_LEVEL ?? "info",
    smtpUrl,
    emailFrom: env.EMAIL_FROM || "Tessera <no-reply@localhost>",
    redirectUrls,
    defaultRedirectUrl,
  });
}
