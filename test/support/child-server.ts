/**
 * @module Runs the real server as a child process (`node dist/src/cli/main.js serve`) on a free
 * port of 127.0.0.1 over a given SQLite file or any DATABASE_URL, for crash, outage and multi-node
 * tests: start, wait until it listens, signal it, wait for it to end. Optionally preloads
 * test/support/fault-injection.js.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const MAIN_JS = join(HERE, "../../src/cli/main.js");
export const FAULT_PRELOAD = pathToFileURL(join(HERE, "fault-injection.js")).href;

export interface ChildServer {
  baseUrl: string;
  child: ChildProcess;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<string>;
}

export async function startServer(options: {
  /** A SQLite file (the server gets `sqlite:<path>`), or … */
  databasePath?: string;
  /** … a DATABASE_URL as is (`postgres://…?schema=…`). Exactly one of the two. */
  databaseUrl?: string;
  projectId: string;
  secret: string;
  /** e.g. `commit:after:12`: the process SIGKILLs itself there (see fault-injection.ts). */
  fault?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<ChildServer> {
  if ((options.databasePath === undefined) === (options.databaseUrl === undefined)) throw new Error("give databasePath or databaseUrl");
  const child = spawn(process.execPath, [...(options.fault ? ["--import", FAULT_PRELOAD] : []), MAIN_JS, "serve"], {
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: options.databaseUrl ?? `sqlite:${options.databasePath}`,
      TESSERA_PROJECT_ID: options.projectId,
      TESSERA_PROJECT_SECRET: options.secret,
      LOG_LEVEL: "warn",
      ...(options.fault ? { TESSERA_FAULT: options.fault } : {}),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? `exit ${code}`)));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${output}`)), options.timeoutMs ?? 20_000);
    const onData = (): void => {
      const match = /Tessera listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!.replace("localhost", "127.0.0.1"));
      }
    };
    child.stdout!.on("data", onData);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${how}) before listening:\n${output}`));
    });
  });
  return {
    baseUrl,
    child,
    exited,
    output: () => output,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
