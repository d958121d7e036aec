/**
 * @module Runs the real server as a child process (`node dist/src/cli/main.js serve`) on a free
 * port of 127.0.0.1 over a given SQLite file, for crash and outage tests: start, wait until it
 * listens, SIGKILL it, wait for it to die. Optionally preloads test/support/fault-injection.js.
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
  databasePath: string;
  projectId: string;
  secret: string;
  /** e.g. `commit:after:12`: the process SIGKILLs itself there (see fault-injection.ts). */
  fault?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<ChildServer> {
  const child = spawn(process.execPath, [...(options.fault ? ["--import", FAULT_PRELOAD] : []), MAIN_JS, "serve"], {
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: `sqlite:${options.databasePath}`,
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
