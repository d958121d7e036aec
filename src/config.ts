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
  /** Device fingerprint lookup service (`GET <url>?telemetry_id=`); unset: the telemetry id is the visitor id. */
  telemetryLookupUrl: string | undefined;
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
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n- ${problems.join("\n- ")}`);
  return Object.freeze({
    host: env.HOST ?? "127.0.0.1",
    port,
    databaseUrl,
    bootstrapProjectId: projectId,
    bootstrapProjectSecret: projectSecret,
    logLevel: env.LOG_LEVEL ?? "info",
    telemetryLookupUrl: env.TELEMETRY_LOOKUP_URL || undefined,
  });
}
