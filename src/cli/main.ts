#!/usr/bin/env node
/**
 * @module The `tessera` command: `serve`, `projects create`, `keys rotate`. Thin: parses
 * arguments, calls services, prints JSON.
 */
import cluster from "node:cluster";
import { parseArgs } from "node:util";
import { buildServices, createApp, openStore } from "../app.js";
import { ConfigError, readConfig, type Config } from "../config.js";
import { systemRandom } from "../crypto/random.js";
import { systemClock } from "../domain/time.js";
import { securityEventToJson } from "../services/audit.js";
import { ConfigFileError } from "../services/configuration/config-file.js";
import { CONFIGURATION_USAGE, runConfigurationCommand } from "./configuration-commands.js";

const USAGE = `Usage:
  tessera serve [--workers N]                    run the API server (HOST, PORT, DATABASE_URL);
                                                 N worker processes share the port and the database
  tessera projects create [--live] [--name N]    create a project; prints {"project_id", "secret"}
  tessera keys rotate [--project ID]             rotate signing keys (all projects by default)
  tessera events [--project ID] [--since ISO] [--limit N]
                                                 security events, newest first, one JSON object a line
${CONFIGURATION_USAGE}`;

/** Ensures the configured project exists, or creates a first test project on an empty database. */
async function bootstrap(config: Config, services: ReturnType<typeof buildServices>): Promise<void> {
  const { projects } = services;
  if (config.bootstrapProjectId && config.bootstrapProjectSecret) {
    await projects.ensure(config.bootstrapProjectId, config.bootstrapProjectSecret);
  } else if ((await services.context.store.countProjects()) === 0) {
    const created = await projects.create({ environment: "test", name: "Default test project" });
    // Printed once, at creation: the secret is not stored and cannot be shown again.
    process.stdout.write(
      `Created a test project. Keep these credentials; the secret is shown only now:\n` +
        `${JSON.stringify({ project_id: created.project.projectId, secret: created.secret })}\n`,
    );
  }
}

async function serve(config: Config, options: { bootstrap: boolean }): Promise<void> {
  const app = await createApp(config);
  if (options.bootstrap) await bootstrap(config, app.services);
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
  process.stdout.write(`Tessera listening on ${address}${cluster.isWorker ? ` (worker ${process.pid})` : ""}\n`);
}

/**
 * `serve --workers N`: one process per core on one database. The primary bootstraps once, then
 * forks workers that share the listening socket (node:cluster) and share nothing else.
 */
async function serveCluster(config: Config, workers: number): Promise<void> {
  await withServices(config, (services) => bootstrap(config, services));
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork({ TESSERA_CLUSTER_WORKER: "1" });
  cluster.on("exit", (worker, code) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(`worker ${worker.process.pid} exited (${code}); starting another\n`);
    cluster.fork({ TESSERA_CLUSTER_WORKER: "1" });
  });
  const stop = (): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
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
      workers: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals.join(" ");
  if (values.help || command === "") {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const config = readConfig();
  const configurationCommand = runConfigurationCommand(positionals, { project: values.project }, (work) => withServices(config, work));
  if (configurationCommand) return configurationCommand;
  switch (command) {
    case "serve": {
      if (cluster.isWorker) {
        await serve(config, { bootstrap: false });
        return -1;
      }
      const workers = values.workers === undefined ? 1 : Number(values.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
        process.stderr.write("--workers must be an integer from 1 to 256\n");
        return 2;
      }
      if (workers === 1) await serve(config, { bootstrap: true });
      else await serveCluster(config, workers);
      return -1;
    }
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
    const known = error instanceof ConfigError || error instanceof ConfigFileError;
    process.stderr.write(`${known ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
