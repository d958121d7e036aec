/**
 * @module The CLI's configuration commands: `config apply <path>` and `public-tokens
 * create|list|delete`. They write to the database a running server uses, which sees the change
 * within the settings cache bound (public tokens at once).
 */
import type { Services } from "../services/services.js";

export const CONFIGURATION_USAGE = `  tessera config apply <path>                    apply a configuration file (JSON, see docs/configuration.md);
                                                 a bad file changes nothing; prints {"applied": [...]}
  tessera public-tokens create --project ID      prints {"public_token": …}
  tessera public-tokens list --project ID        prints {"public_tokens": [{public_token, created_at, source}]}
  tessera public-tokens delete --project ID <token>`;

type WithServices = <T>(work: (services: Services) => Promise<T>) => Promise<T>;

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Runs the command if it is one of these; null when it is not. */
export function runConfigurationCommand(positionals: string[], options: { project?: string | undefined }, withServices: WithServices): Promise<number> | null {
  const [group, action, argument] = positionals;
  if (group === "config" && action === "apply") {
    if (argument === undefined || positionals.length !== 3) return usage("config apply takes one path");
    return withServices(async (services) => {
      print({ applied: await services.configFile.applyFile(argument) });
      return 0;
    });
  }
  if (group !== "public-tokens") return null;
  const projectId = options.project;
  if (projectId === undefined) return usage("public-tokens needs --project ID");
  return withServices(async (services) => {
    if (!(await services.projects.find(projectId))) {
      process.stderr.write(`No project ${projectId}\n`);
      return 1;
    }
    switch (action) {
      case "create":
        print({ public_token: (await services.projects.createPublicToken(projectId)).publicToken });
        return 0;
      case "list": {
        const tokens = await services.projects.listPublicTokens(projectId);
        print({ public_tokens: tokens.map((token) => ({ public_token: token.publicToken, created_at: new Date(token.createdAt).toISOString(), source: token.source })) });
        return 0;
      }
      case "delete":
        if (argument === undefined) return usage("public-tokens delete takes the token");
        if (!(await services.projects.deletePublicToken(projectId, argument))) {
          process.stderr.write(`Project ${projectId} has no public token ${argument}\n`);
          return 1;
        }
        print({ deleted: argument });
        return 0;
      default:
        return usage(`unknown public-tokens command "${action ?? ""}"`);
    }
  });
}

function usage(problem: string): Promise<number> {
  process.stderr.write(`${problem}\n${CONFIGURATION_USAGE}\n`);
  return Promise.resolve(2);
}
