#!/usr/bin/env node
/**
 * @module The `tessera` command: `serve`, `projects create`, `keys rotate`. Thin: parses
 * arguments, calls services, prints JSON.
 */
import { parseArgs } from "node:util";
import { buildServices, createApp, openStore } from "../app.js";
import { ConfigError, readConfig, type Config } from "../config.js";
import { systemRandom } from "../crypto/random.js";
import { systemClock } from "../domain/time.js";
import { securityEventToJson } from "../services/audit.js";

const USAGE = `Usage:
  tessera serve                                  run the API server (HOST, PORT, DATABASE_URL)
  tessera projects create [--live] [--name N]    create a project; prints {"project_id", "secret"}
  tessera keys rotate [--project ID]             rotate signing keys (all projects by default)
  tessera events [--project ID] [--since ISO] [--limit N]
                                                 security events, newest first, one JSON object a line`;

async function serve(config: Config): Promise<void> {
  const app = await createApp(config);
  const { projects } = app.services;
  if (config.bootstrapProjectId && config.bootstrapProjectSecret) {
    await projects.ensure(config.bootstrapProjectId, config.bootstrapProjectSecret);
  } else if ((await app.store.countProjects()) === 0) {
    const created = await projects.create({ environment: "test", name: "Default test project" });
    // Printed once, at creation: the secret is not stored and cannot be shown again.
    process.stdout.write(
      `Created a test project. Keep these credentials; the secret is shown only now:\n` +
        `${JSON.stringify({ project_id: created.project.projectId, secret: created.secret })}\n`,
    );
  }
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    // Stop accepting, finish in-flight requests, then close the database.
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // Installed before listening: a supervisor may signal as soon as it reads the line below, and a
  // handler added right after that write is not always in place yet (the process then dies by the signal).
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  const address = await app.http.listen({ host: config.host, port: config.port });
  process.stdout.write(`Tessera listening on ${address}\n`);
}

async function withServices<T>(config: Config, work: (services: ReturnType<typeof buildServices>) => Promise<T>): Promise<T> {
  const store = await openStore(config.databaseUrl);
  try {
    return await work(buildServices(store, systemClock, systemRandom));
  } finally {
    await store.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      live: { type: "boolean", default: false },
      name: { type: "string" },
      project: { type: "string" },
      since: { type: "string" },
      limit: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals.join(" ");
  if (values.help || command === "") {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const config = readConfig();
  switch (command) {
    case "serve":
      await serve(config);
      return -1;
    case "projects create":
      return withServices(config, async (services) => {
        const created = await services.projects.create({
          environment: values.live ? "live" : "test",
          ...(values.name !== undefined ? { name: values.name } : {}),
        });
        process.stdout.write(`${JSON.stringify({ project_id: created.project.projectId, secret: created.secret })}\n`);
        return 0;
      });
    case "keys rotate":
      return withServices(config, async (services) => {
        const projectIds = values.project ? [values.project] : await services.context.store.listProjectIds();
        const rotated: { project_id: string; signing_kid: string }[] = [];
        for (const projectId of projectIds) {
          const project = await services.projects.find(projectId);
          if (!project) {
            process.stderr.write(`No project ${projectId}\n`);
            return 1;
          }
          rotated.push({ project_id: projectId, signing_kid: await services.keys.rotate(project) });
        }
        process.stdout.write(`${JSON.stringify({ rotated })}\n`);
        return 0;
      });
    case "events":
      return withServices(config, async (services) => {
        const sinceAt = values.since === undefined ? undefined : Date.parse(values.since);
        const limit = values.limit === undefined ? 100 : Number(values.limit);
        if ((sinceAt !== undefined && Number.isNaN(sinceAt)) || !Number.isInteger(limit) || limit < 1) {
          process.stderr.write("--since must be an ISO date and --limit a positive integer\n");
          return 2;
        }
        const events = await services.context.store.listSecurityEvents(values.project ?? null, {
          limit,
          ...(sinceAt !== undefined ? { sinceAt } : {}),
        });
        for (const event of events) process.stdout.write(`${JSON.stringify(securityEventToJson(event))}\n`);
        return 0;
      });
    default:
      process.stderr.write(`Unknown command "${command}".\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
