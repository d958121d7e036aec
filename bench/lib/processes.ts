/**
 * @module Child processes of a run: spawning (optionally pinned to a CPU with taskset), waiting
 * for a port to answer, stopping by pid (SIGTERM, then SIGKILL after a grace period). Every child
 * is tracked so that an interrupted run leaves nothing behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createServer } from "node:net";

const children = new Set<ChildProcess>();

/** Kills every child still running (by its own pid only). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Spawns `command args`, through `taskset -c <cpu>` when `cpu` is given (taskset execs the
 * command, so the child's pid is the command's pid and every thread it creates is pinned).
 */
export function spawnPinned(cpu: string | null, command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = cpu === null ? spawn(command, args, options) : spawn("taskset", ["-c", cpu, command, ...args], options);
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** SIGTERM, and SIGKILL if the child has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return child.exitCode;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  const code = await exited(child);
  clearTimeout(timer);
  return code;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers `expectStatus` (bounded by `timeoutMs`), or the child dies. */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number, expectStatus = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === expectStatus) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

/** Runs a command to completion, collecting stdout; rejects on a non-zero exit or after `timeoutMs`. */
export function runToCompletion(cpu: string | null, command: string, args: string[], options: SpawnOptions & { timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnPinned(cpu, command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}
