/**
 * @module Test harness: a real server on a real port over a fresh SQLite file, a project, and the
 * official `stytch` SDK pointed at it. The clock is a settable fake so expiry tests need no sleeps.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import stytch from "stytch";
import { createApp, type App } from "../../src/app.js";
import { readConfig } from "../../src/config.js";
import type { Clock } from "../../src/domain/time.js";
import type { Project } from "../../src/domain/types.js";

export class FakeClock implements Clock {
  constructor(public current = Date.parse("2026-01-15T10:00:00Z")) {}
  now(): number {
    return this.current;
  }
  advanceMinutes(minutes: number): void {
    this.current += minutes * 60_000;
  }
  advanceSeconds(seconds: number): void {
    this.current += seconds * 1000;
  }
}

export interface Harness {
  app: App;
  baseUrl: string;
  directory: string;
  databasePath: string;
  project: Project;
  secret: string;
  client: InstanceType<typeof stytch.B2BClient>;
  clock: Clock;
  /** A raw request with this project's Basic credentials. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Another project on the same server, with its own SDK client. */
  otherProject(): Promise<{ project: Project; secret: string; client: InstanceType<typeof stytch.B2BClient> }>;
  close(): Promise<void>;
}

export function sdkClient(baseUrl: string, projectId: string, secret: string): InstanceType<typeof stytch.B2BClient> {
  const originalWarn = console.warn;
  // The SDK warns about a custom `env`; that is exactly how it reaches a local http server.
  console.warn = () => {};
  try {
    return new stytch.B2BClient({ project_id: projectId, secret, env: `${baseUrl}/` });
  } finally {
    console.warn = originalWarn;
  }
}

export async function startHarness(
  options: {
    clock?: Clock;
    env?: NodeJS.ProcessEnv;
    logDestination?: NodeJS.WritableStream;
    /**
     * A configuration file (TESSERA_CONFIG) to start with: written as JSON into the test's
     * directory and applied before the first request, e.g.
     * `{projects: [{project_id, secret, public_tokens: [...], redirect_urls: [...], sdk: {...}}]}`.
     * Settings changed later through `app.services.projectSettings.update` are seen at once.
     */
    configFile?: unknown;
  } = {},
): Promise<Harness> {
  const directory = mkdtempSync(join(tmpdir(), "tessera-test-"));
  const databasePath = join(directory, "tessera.db");
  let configPath: string | undefined;
  if (options.configFile !== undefined) {
    configPath = join(directory, "tessera-config.json");
    writeFileSync(configPath, JSON.stringify(options.configFile));
  }
  const config = readConfig({
    DATABASE_URL: `sqlite:${databasePath}`,
    PORT: "0",
    ...(configPath !== undefined ? { TESSERA_CONFIG: configPath } : {}),
    ...options.env,
  });
  const app = await createApp(config, {
    ...(options.logDestination ? { logDestination: options.logDestination } : { logging: false }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const created = await app.services.projects.create({ environment: "test", name: "harness" });
  const address = await app.http.listen({ host: "127.0.0.1", port: 0 });
  const baseUrl = address.replace("localhost", "127.0.0.1");
  const auth = (projectId: string, secret: string): string => `Basic ${Buffer.from(`${projectId}:${secret}`).toString("base64")}`;
  return {
    app,
    baseUrl,
    directory,
    databasePath,
    project: created.project,
    secret: created.secret,
    clock: options.clock ?? { now: () => Date.now() },
    client: sdkClient(baseUrl, created.project.projectId, created.secret),
    async request(method, path, body, headers = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: auth(created.project.projectId, created.secret),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
    },
    async otherProject() {
      const other = await app.services.projects.create({ environment: "test", name: "other" });
      return { project: other.project, secret: other.secret, client: sdkClient(baseUrl, other.project.projectId, other.secret) };
    },
    async close() {
      await app.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Asserts a Stytch error body and returns it. */
export function expectStytchError(body: any, status: number, errorType: string): void {
  const problems: string[] = [];
  if (body?.status_code !== status) problems.push(`status_code ${body?.status_code} ≠ ${status}`);
  if (body?.error_type !== errorType) problems.push(`error_type ${body?.error_type} ≠ ${errorType}`);
  for (const field of ["request_id", "error_message", "error_url"]) {
    if (typeof body?.[field] !== "string" || body[field] === "") problems.push(`missing ${field}`);
  }
  if (body && "error" in body) problems.push("has a top-level error key");
  if (problems.length > 0) throw new Error(`${problems.join("; ")}\n${JSON.stringify(body)}`);
}
