/**
 * @module `npm run bench`: a reproducible benchmark of Tessera against the Better Auth peer, in
 * one run, on this machine.
 *
 * 1. Measures the raw limits of one core (RS256 signing, JWT mint, RS256 verify, one forced
 *    SQLite commit) in a process of its own.
 * 2. Seeds a fresh SQLite database in a setup process (bench/seed.ts), starts the real server
 *    (`node dist/src/cli/main.js serve`) as a separate process, and drives every scenario from a
 *    separate load process (bench/load.ts, autocannon) at fixed concurrency; reads the server's CPU
 *    time and peak RSS from /proc around each measured window.
 * 3. Installs (once, cached in bench/.peer/), starts and seeds the Better Auth peer and measures
 *    its set-active and get-session the same way.
 * 4. Scale check: authenticate and exchange again on fresh databases of 10,000 and 1,000,000
 *    sessions. Optional CPU profiles of the server (--profile).
 * 5. Evaluates issue 7's targets and writes bench/results.json and bench/results.md.
 *
 * Everything listens on and talks to 127.0.0.1 only; every loop is bounded in time and count; the
 * run stops by itself. Run `npm run bench -- --help` for the options.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ChildProcess } from "node:child_process";
import type { LoadResult, LoadSpec } from "./load.js";
import type { RawRates } from "./raw-crypto.js";
import { summarizeProfile, type CpuProfile, type ProfileSummary } from "./lib/cpuprofile.js";
import { readFixtures, type Fixtures } from "./lib/fixtures.js";
import { machineInfo } from "./lib/machine.js";
import { ensurePeerInstalled, type PeerInstall } from "./lib/peer.js";
import { cpuSeconds, cpuTimes, loadAverage1m, mainThreadSchedstat, resetPeakRss, statusMiB } from "./lib/proc.js";
import { exited, freePort, killAllChildren, runToCompletion, spawnPinned, stopChild, waitForHttp } from "./lib/processes.js";
import {
  compare,
  evaluateTargets,
  renderMarkdown,
  renderProfileMarkdown,
  type Results,
  type ScalePoint,
  type ScenarioResult,
  type ServerMeasure,
  type Target,
} from "./lib/report.js";
import {
  PEER_SCENARIOS,
  SCENARIO_TITLES,
  TESSERA_SCENARIOS,
  type PeerFixtures,
  type ScenarioName,
  type TesseraScenario,
} from "./lib/scenarios.js";
import { isMainModule } from "./lib/main-module.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DIST_BENCH = join(ROOT, "dist/bench");

const HELP = `npm run bench [-- options]

  --duration S          measured seconds per scenario (default 10)
  --warmup S            unmeasured warm-up seconds before each (default 1)
  --connections N       concurrent connections (default 32)
  --organizations N     seeded organizations (default 1000)
  --members N           seeded members (default 10000; every person is in two organizations)
  --sessions N          seeded sessions (default 100000; up to 1000000)
  --pool N              distinct sessions each scenario cycles through (default 1000)
  --scenarios a,b       only these (${[...TESSERA_SCENARIOS, ...PEER_SCENARIOS].join(", ")})
  --no-pin              do not pin (default: servers on CPU 0, load generator on CPU 1, when taskset exists and nproc ≥ 2)
  --no-peer             skip the Better Auth peer
  --no-postgres         skip PostgreSQL (default: measured on TEST_DATABASE_URL, else on the local
                        postgres://postgres@127.0.0.1:5432/test when it answers; own schema, dropped after)
  --peer-dir DIR        the peer's sources (default ../shared/peers/better-auth, or BENCH_PEER_DIR)
  --no-scale            skip the 10,000 vs 1,000,000 sessions p99 check
  --scale-sessions a,b  sizes of the scale check (default 10000,1000000)
  --profile             also run exchange and authenticate under node --cpu-prof and summarise
  --quick               --duration 3 --warmup 1 --no-scale (validating the instrument)
  --log-level L         server LOG_LEVEL (default warn: request logging is not what is measured)
  --out FILE            results JSON (default bench/results.json; markdown beside it as .md)
  --update-readme       rewrite README.md between <!-- bench:begin --> and <!-- bench:end -->
  --keep                keep databases and logs under bench/.work/
  --sample              mark the results as a sample (e.g. taken on a shared machine) in the JSON and the table
`;

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  organizations: number;
  members: number;
  sessions: number;
  pool: number;
  scenarios: Set<ScenarioName> | null;
  pin: boolean;
  peer: boolean;
  postgres: boolean;
  peerDir: string;
  scale: boolean;
  scaleSessions: number[];
  profile: boolean;
  logLevel: string;
  out: string;
  updateReadme: boolean;
  keep: boolean;
  sample: boolean;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string", default: "32" },
      organizations: { type: "string", default: "1000" },
      members: { type: "string", default: "10000" },
      sessions: { type: "string", default: "100000" },
      pool: { type: "string", default: "1000" },
      scenarios: { type: "string" },
      "no-pin": { type: "boolean", default: false },
      "no-peer": { type: "boolean", default: false },
      "no-postgres": { type: "boolean", default: false },
      "peer-dir": { type: "string" },
      "no-scale": { type: "boolean", default: false },
      "scale-sessions": { type: "string", default: "10000,1000000" },
      profile: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      "log-level": { type: "string", default: "warn" },
      out: { type: "string", default: join(ROOT, "bench/results.json") },
      "update-readme": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      sample: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return null;
  const number = (name: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} must be a number in [${min}, ${max}], got "${text}"`);
    return value;
  };
  const all = new Set<string>([...TESSERA_SCENARIOS, ...PEER_SCENARIOS]);
  const scenarios = values.scenarios ? values.scenarios.split(",").map((name) => name.trim()) : null;
  for (const name of scenarios ?? []) if (!all.has(name)) throw new Error(`unknown scenario "${name}"`);
  const canPin = commandWorks("taskset", ["-c", "0", "true"]) && Number(execFileSync("nproc", { encoding: "utf8" }).trim()) >= 2;
  return {
    duration: number("duration", values.duration ?? (values.quick ? "3" : "10"), 1, 600),
    warmup: number("warmup", values.warmup ?? "1", 0, 60),
    connections: number("connections", values.connections, 1, 1024),
    organizations: number("organizations", values.organizations, 4, 100_000),
    members: number("members", values.members, 8, 1_000_000),
    sessions: number("sessions", values.sessions, 8, 1_000_000),
    pool: number("pool", values.pool, 1, 100_000),
    scenarios: scenarios ? new Set(scenarios as ScenarioName[]) : null,
    pin: !values["no-pin"] && canPin,
    peer: !values["no-peer"],
    postgres: !values["no-postgres"],
    peerDir: resolve(values["peer-dir"] ?? process.env.BENCH_PEER_DIR ?? join(ROOT, "../shared/peers/better-auth")),
    scale: !values["no-scale"] && !values.quick,
    scaleSessions: values["scale-sessions"].split(",").map((text) => number("scale-sessions", text, 8, 1_000_000)),
    profile: values.profile,
    logLevel: values["log-level"],
    out: resolve(values.out),
    updateReadme: values["update-readme"],
    keep: values.keep,
    sample: values.sample,
  };
}

function share(thread: { onCpu: number; waitingForCpu: number; blockedOrIdle: number } | null): string {
  if (!thread) return "?";
  const pct = (value: number): string => `${(100 * value).toFixed(0)} %`;
  return `on CPU ${pct(thread.onCpu)}, waiting for CPU ${pct(thread.waitingForCpu)}, blocked/idle ${pct(thread.blockedOrIdle)}`;
}

function commandWorks(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const started = Date.now();
function log(line: string): void {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the process uses under 5 % of a core over 300 ms (at most `maxMs`): background work of the previous scenario is done. */
async function settle(pid: number, maxMs = 15_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let previous = cpuSeconds(pid);
  while (Date.now() < deadline && previous !== null) {
    await sleep(300);
    const current = cpuSeconds(pid);
    if (current === null) return;
    if ((current - previous) / 0.3 < 0.05) return;
    previous = current;
  }
}

interface Seeded {
  fixturesPath: string;
  databaseUrl: string;
  /** The SQLite file, or null for PostgreSQL. */
  databasePath: string | null;
  fixtures: Fixtures;
}

interface RunningServer {
  child: ChildProcess;
  pid: number;
  baseUrl: string;
  target: Target;
}

class Bench {
  readonly workDir: string;
  readonly serverCpu: string | null;
  readonly loadCpu: string | null;
  readonly notes: string[] = [];

  constructor(readonly options: Options) {
    this.workDir = join(ROOT, "bench/.work", new Date().toISOString().replace(/[:.]/g, "-"));
    mkdirSync(this.workDir, { recursive: true });
    this.serverCpu = options.pin ? "0" : null;
    this.loadCpu = options.pin ? "1" : null;
  }

  private script(name: string): string {
    return join(DIST_BENCH, name);
  }

  async raw(): Promise<RawRates> {
    log(`raw limits: RS256 signing, JWT mint, verify, one forced SQLite commit${this.serverCpu ? ` (pinned to CPU ${this.serverCpu})` : ""}`);
    const output = await runToCompletion(this.serverCpu, process.execPath, [this.script("raw-crypto.js"), "--seconds", "2", "--sqlite-dir", this.workDir], {
      cwd: ROOT,
      timeoutMs: 120_000,
    });
    return JSON.parse(output.trim().split("\n").pop()!) as RawRates;
  }

  /** Seeds `databaseUrl` (default: a fresh SQLite file in the work directory) in a setup process. */
  async seed(name: string, sessions: number, databaseUrl?: string): Promise<Seeded> {
    const databasePath = databaseUrl === undefined ? join(this.workDir, `${name}.db`) : null;
    const url = databaseUrl ?? `sqlite:${databasePath}`;
    const fixturesPath = join(this.workDir, `${name}.fixtures.json`);
    const projectId = `project-test-${randomUUID()}`;
    const secret = `secret-test-${randomBytes(36).toString("base64url")}`;
    log(`seeding ${name}: ${this.options.organizations} organizations, ${this.options.members} members, ${sessions} sessions`);
    await runToCompletion(
      null,
      process.execPath,
      [
        this.script("seed.js"),
        "--database-url", url,
        "--project-id", projectId,
        "--secret", secret,
        "--out", fixturesPath,
        "--organizations", String(this.options.organizations),
        "--members", String(this.options.members),
        "--sessions", String(sessions),
        "--pool", String(this.options.pool),
      ],
      { cwd: ROOT, timeoutMs: 30 * 60_000 },
    );
    const fixtures = readFixtures(fixturesPath);
    log(`seeded ${name} in ${fixtures.seedSeconds.toFixed(1)} s`);
    return { fixturesPath, databaseUrl: url, databasePath, fixtures };
  }

  async startTessera(seeded: Seeded, target: Target = "tessera-sqlite", cpuProfileDir?: string): Promise<RunningServer> {
    const port = await freePort();
    const logFile = openSync(join(this.workDir, "tessera-server.log"), "a");
    const args = [...(cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfileDir}`] : []), join(ROOT, "dist/src/cli/main.js"), "serve"];
    const child = spawnPinned(this.serverCpu, process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        HOST: "127.0.0.1",
        PORT: String(port),
        DATABASE_URL: seeded.databaseUrl,
        TESSERA_PROJECT_ID: seeded.fixtures.projectId,
        TESSERA_PROJECT_SECRET: seeded.fixtures.secret,
        LOG_LEVEL: this.options.logLevel,
        NODE_ENV: "production",
      },
      stdio: ["ignore", logFile, logFile],
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${baseUrl}/readyz`, child, 60_000);
    return { child, pid: child.pid!, baseUrl, target };
  }

  async startPeer(install: PeerInstall): Promise<{ server: RunningServer; fixtures: PeerFixtures }> {
    const port = await freePort();
    const logFile = openSync(join(this.workDir, "peer-server.log"), "a");
    const env = { ...process.env, PORT: String(port), DB_FILE: join(this.workDir, "peer.sqlite"), NODE_ENV: "production" };
    const child = spawnPinned(this.serverCpu, process.execPath, ["server.mjs"], { cwd: install.dir, env, stdio: ["ignore", logFile, logFile] });
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${baseUrl}/api/auth/ok`, child, 60_000);
    const output = await runToCompletion(null, process.execPath, ["seed.mjs"], { cwd: install.dir, env, timeoutMs: 60_000 });
    const fixtures = JSON.parse(output.trim().split("\n").pop()!) as PeerFixtures;
    return { server: { child, pid: child.pid!, baseUrl, target: "better-auth" }, fixtures };
  }

  /** One scenario: settle, load process (check + warm-up), snapshot, measured window, snapshot. */
  async measure(server: RunningServer, scenario: ScenarioName, sessions: number, extra: Partial<LoadSpec>): Promise<ScenarioResult> {
    const result: ScenarioResult = {
      scenario,
      target: server.target,
      sessions,
      title: SCENARIO_TITLES[scenario],
      loadAverage1m: { before: loadAverage1m(), after: null },
    };
    const spec: LoadSpec = {
      scenario,
      baseUrl: server.baseUrl,
      connections: this.options.connections,
      durationSeconds: this.options.duration,
      warmupSeconds: this.options.warmup,
      // A bound on count besides time: far above anything one server process can answer.
      maxRequests: Math.ceil(this.options.duration * 50_000),
      ...extra,
    };
    await settle(server.pid);
    log(`${server.target} ${scenario}: ${spec.warmupSeconds} s warm-up + ${spec.durationSeconds} s at ${spec.connections} connections`);
    const load = spawnPinned(this.loadCpu, process.execPath, [this.script("load.js")], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    try {
      load.send({ type: "run", spec });
      await nextMessage(load, "warmed", (spec.warmupSeconds + 60) * 1000);
      const peakScope = resetPeakRss(server.pid) ? "window" : "process-lifetime";
      const countsBefore = await requestAndRoundTripCounts(server);
      const cpuBefore = cpuTimes(server.pid);
      const schedBefore = mainThreadSchedstat(server.pid);
      const loadCpuBefore = cpuSeconds(load.pid!);
      const wallBefore = performance.now();
      load.send({ type: "go" });
      const { result: measured } = (await nextMessage(load, "result", (spec.durationSeconds + 60) * 1000)) as { result: LoadResult };
      const wall = (performance.now() - wallBefore) / 1000;
      const cpuAfter = cpuTimes(server.pid);
      const schedAfter = mainThreadSchedstat(server.pid);
      const loadCpuAfter = cpuSeconds(load.pid!);
      const peak = statusMiB(server.pid, "VmHWM");
      const countsAfter = await requestAndRoundTripCounts(server);
      const cpu = cpuBefore !== null && cpuAfter !== null ? cpuAfter.total - cpuBefore.total : NaN;
      const systemCpu = cpuBefore !== null && cpuAfter !== null ? cpuAfter.system - cpuBefore.system : NaN;
      result.load = measured;
      result.server = {
        cpuSeconds: cpu,
        systemCpuSeconds: systemCpu,
        cpuMicrosPerRequest: measured.requests > 0 ? (cpu * 1e6) / measured.requests : NaN,
        coresBusy: cpu / wall,
        mainThread:
          schedBefore && schedAfter
            ? {
                onCpu: (schedAfter.onCpu - schedBefore.onCpu) / wall,
                waitingForCpu: (schedAfter.waitingForCpu - schedBefore.waitingForCpu) / wall,
                blockedOrIdle: Math.max(0, 1 - (schedAfter.onCpu - schedBefore.onCpu + schedAfter.waitingForCpu - schedBefore.waitingForCpu) / wall),
              }
            : null,
        peakRssMiB: peak,
        peakRssScope: peakScope,
        ...roundTripsPerRequest(countsBefore, countsAfter),
      };
      if (loadCpuBefore !== null && loadCpuAfter !== null) result.loadGeneratorCoresBusy = (loadCpuAfter - loadCpuBefore) / wall;
      log(
        `  ${measured.requestsPerSecond.toFixed(0)} req/s, p50 ${measured.latencyMs.p50.toFixed(2)} ms, p99 ${measured.latencyMs.p99.toFixed(2)} ms, ` +
          `non-2xx ${measured.non2xx}, errors ${measured.errors}, server ${result.server.cpuMicrosPerRequest.toFixed(0)} µs CPU/req ` +
          `(${((100 * systemCpu) / cpu).toFixed(0)} % system) ` +
          `(${result.server.coresBusy.toFixed(2)} cores; event loop ${share(result.server.mainThread)}), load generator ${result.loadGeneratorCoresBusy?.toFixed(2) ?? "?"} cores, peak RSS ${peak?.toFixed(0)} MiB` +
          (Object.keys(measured.outcomes).length ? `, ${JSON.stringify(measured.outcomes)}` : ""),
      );
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error);
      log(`  FAILED: ${result.error}`);
    } finally {
      if (load.exitCode === null && load.signalCode === null) {
        const timer = setTimeout(() => load.kill("SIGKILL"), 10_000);
        await exited(load);
        clearTimeout(timer);
      }
      result.loadAverage1m.after = loadAverage1m();
    }
    return result;
  }

  wanted(scenario: ScenarioName): boolean {
    return this.options.scenarios === null || this.options.scenarios.has(scenario);
  }

  async tesseraScenarios(server: RunningServer, fixturesPath: string, sessions: number, scenarios: readonly TesseraScenario[]): Promise<ScenarioResult[]> {
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      if (!this.wanted(scenario)) continue;
      results.push(await this.measure(server, scenario, sessions, { fixturesPath }));
    }
    return results;
  }

  async profile(seeded: Seeded, target: Target = "tessera-sqlite"): Promise<Record<string, ProfileSummary>> {
    const summaries: Record<string, ProfileSummary> = {};
    for (const scenario of ["exchange", "authenticate-token", "authenticate-jwt"] as const) {
      if (!this.wanted(scenario)) continue;
      const label = target === "tessera-postgres" ? `postgres-${scenario}` : scenario;
      const dir = join(ROOT, "bench/profiles", `${label}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
      mkdirSync(dir, { recursive: true });
      log(`profiling ${label} (node --cpu-prof, profile in ${relative(ROOT, dir)})`);
      const server = await this.startTessera(seeded, target, dir);
      const measured = await this.measure(server, scenario, seeded.fixtures.counts.sessions, { fixturesPath: seeded.fixturesPath });
      await stopChild(server.child);
      const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
      if (!file) {
        this.notes.push(`--profile: no .cpuprofile was written for ${label}`);
        continue;
      }
      summaries[label] = summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile);
      if (measured.load) {
        this.notes.push(
          `Under the profiler ${label} ran at ${measured.load.requestsPerSecond.toFixed(0)} req/s (profiling costs throughput; the profile covers the server's whole life: start-up, check, warm-up and the window).`,
        );
      }
    }
    return summaries;
  }

  cleanup(): void {
    if (!this.options.keep) rmSync(this.workDir, { recursive: true, force: true });
  }
}

/**
 * Requests answered and database round trips they sent so far, summed over the routes of the
 * server's /metrics (the scrape itself left out); null for a server without them (the peer).
 */
async function requestAndRoundTripCounts(server: RunningServer): Promise<{ requests: number; roundTrips: number; processRoundTrips: number } | null> {
  if (server.target === "better-auth") return null;
  try {
    const text = await (await fetch(`${server.baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    let requests = 0;
    let roundTrips = 0;
    let processRoundTrips = 0;
    for (const line of text.split("\n")) {
      if (line.includes('route="/metrics"')) continue;
      const value = Number(line.slice(line.lastIndexOf(" ") + 1));
      if (line.startsWith("tessera_http_requests_total{")) requests += value;
      else if (line.startsWith("tessera_db_round_trips_total{")) roundTrips += value;
      else if (line.startsWith("tessera_db_round_trips_process_total ")) processRoundTrips = value;
    }
    return { requests, roundTrips, processRoundTrips };
  } catch {
    return null;
  }
}

type Counts = Awaited<ReturnType<typeof requestAndRoundTripCounts>>;

/** Round trips per request over a window: as each request waited for them, and as the database received them. */
function roundTripsPerRequest(before: Counts, after: Counts): Pick<ServerMeasure, "dbRoundTripsPerRequest" | "dbRoundTripsSentPerRequest"> {
  if (!before || !after || after.requests <= before.requests) return { dbRoundTripsPerRequest: null, dbRoundTripsSentPerRequest: null };
  const requests = after.requests - before.requests;
  return {
    dbRoundTripsPerRequest: (after.roundTrips - before.roundTrips) / requests,
    dbRoundTripsSentPerRequest: (after.processRoundTrips - before.processRoundTrips) / requests,
  };
}

/** The local PostgreSQL of these machines, when TEST_DATABASE_URL is not set and it answers. */
const LOCAL_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

async function reachable(databaseUrl: string): Promise<boolean> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function nextMessage(child: ChildProcess, type: string, timeoutMs: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`load process: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: any): void => {
      if (message?.type === type) finish(null, message);
      else if (message?.type === "error") finish(new Error(String(message.message)));
    };
    const onExit = (code: number | null): void => finish(new Error(`load process exited (${code}) before "${type}"`));
    function finish(error: Error | null, message?: unknown): void {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error) {
        child.kill("SIGKILL");
        reject(error);
      } else resolve(message);
    }
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  if (!/^bench_[0-9a-f]{12}$/.test(schema)) throw new Error(`refusing to drop schema "${schema}"`);
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

function gitInfo(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return { commit, dirty };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}

/** Replaces the README's generated section (between the markers) with `markdown`. */
function updateReadme(markdown: string): boolean {
  const path = join(ROOT, "README.md");
  const text = readFileSync(path, "utf8");
  const begin = "<!-- bench:begin -->";
  const end = "<!-- bench:end -->";
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return false;
  writeFileSync(path, `${text.slice(0, from + begin.length)}\n${markdown}\n${text.slice(to)}`);
  return true;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    process.stdout.write(HELP);
    return;
  }
  const bench = new Bench(options);
  const machine = machineInfo(bench.workDir);
  log(`${machine.cpuModel}, nproc ${machine.nproc}, Node ${machine.node}; pinning ${options.pin ? "on (servers CPU 0, load CPU 1)" : "off"}`);
  if (machine.workDirFilesystem === "tmpfs") bench.notes.push("The databases were on tmpfs: fsync costs nothing there, so write-path figures are flattering.");

  const raw = await bench.raw();
  log(`raw: ${raw.rs256SignPerSecond.toFixed(0)} RS256 signatures/s, SQLite forced commit ${raw.sqliteCommitMicros?.toFixed(0)} µs`);

  // Tessera on SQLite, the main data set.
  const main = await bench.seed("main", options.sessions);
  const scenarios: ScenarioResult[] = [];
  {
    const server = await bench.startTessera(main);
    scenarios.push(...(await bench.tesseraScenarios(server, main.fixturesPath, options.sessions, TESSERA_SCENARIOS)));
    await stopChild(server.child);
  }
  const mfa = scenarios.find((result) => result.scenario === "exchange-mfa")?.load;
  if (mfa) {
    bench.notes.push(
      `MFA path: ${main.fixtures.exchangeMfa.length} members (each its own phone) in REQUIRED_FOR_ALL organizations, one after another; ` +
        `SMS sends are limited to 5 per minute per phone and per member, so once a member's budget is spent the request still ` +
        `answers 200 with an intermediate session but queues no SMS (secondary_auth_initiated: null). Outcomes: ${JSON.stringify(mfa.outcomes)}.`,
    );
  }

  // The Better Auth peer.
  const peerSection: Results["peer"] = { measured: false, betterAuthVersion: "", betterSqliteVersion: "", sqliteSynchronous: "NORMAL", note: "" };
  const peerWanted = PEER_SCENARIOS.filter((scenario) => bench.wanted(scenario));
  if (!options.peer || peerWanted.length === 0) {
    peerSection.note = "skipped (--no-peer or not selected)";
  } else if (!existsSync(join(options.peerDir, "server.mjs"))) {
    peerSection.note = `skipped: no peer at ${options.peerDir} (set --peer-dir or BENCH_PEER_DIR)`;
  } else {
    try {
      const install = ensurePeerInstalled(options.peerDir, join(ROOT, "bench/.peer"), log);
      peerSection.betterAuthVersion = install.betterAuthVersion;
      peerSection.betterSqliteVersion = install.betterSqliteVersion;
      const { server, fixtures } = await bench.startPeer(install);
      for (const scenario of peerWanted) scenarios.push(await bench.measure(server, scenario, 1, { peer: fixtures }));
      await stopChild(server.child);
      peerSection.measured = true;
      peerSection.note =
        `better-auth ${install.betterAuthVersion} with its organization and bearer plugins on better-sqlite3 ${install.betterSqliteVersion} ` +
        `(WAL, synchronous=NORMAL as shipped; Tessera runs synchronous=FULL), rate limiting and telemetry off, NODE_ENV=production, ` +
        `one user in two organizations, Authorization: Bearer; ${options.pin ? "pinned to the same core as Tessera" : "not pinned"}` +
        (install.installedNow ? ` (installed into bench/.peer/ in this run, ${install.installSeconds.toFixed(0)} s).` : ".");
    } catch (error) {
      peerSection.note = `failed: ${error instanceof Error ? error.message : String(error)}`;
      log(`peer ${peerSection.note}`);
    }
  }

  // Scale check.
  let scale: ScalePoint[] | null = null;
  if (options.scale) {
    scale = [];
    for (const sessions of options.scaleSessions) {
      const seeded = await bench.seed(`scale-${sessions}`, sessions);
      const server = await bench.startTessera(seeded);
      const results = await bench.tesseraScenarios(server, seeded.fixturesPath, sessions, ["authenticate-token", "exchange"]);
      await stopChild(server.child);
      scale.push({ sessions, seedSeconds: seeded.fixtures.seedSeconds, results });
      if (!options.keep && seeded.databasePath) rmSync(seeded.databasePath, { force: true });
    }
  }

  // PostgreSQL, once the adapter exists: the same scenarios in a schema of their own, dropped afterwards.
  const postgres: Results["postgres"] = { measured: false, note: "" };
  let postgresProfile: Record<string, ProfileSummary> = {};
  // PostgreSQL runs by default: TEST_DATABASE_URL, else the local server when it answers.
  const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? ((await reachable(LOCAL_POSTGRES_URL)) ? LOCAL_POSTGRES_URL : undefined);
  if (!options.postgres) {
    postgres.note = "not measured: --no-postgres.";
  } else if (!testDatabaseUrl) {
    postgres.note = `not measured: TEST_DATABASE_URL is not set and nothing answers at ${LOCAL_POSTGRES_URL}.`;
  } else {
    const schema = `bench_${randomBytes(6).toString("hex")}`;
    const url = new URL(testDatabaseUrl);
    url.searchParams.set("schema", schema);
    try {
      const seeded = await bench.seed("postgres", options.sessions, url.toString());
      const server = await bench.startTessera(seeded, "tessera-postgres");
      scenarios.push(...(await bench.tesseraScenarios(server, seeded.fixturesPath, options.sessions, TESSERA_SCENARIOS)));
      await stopChild(server.child);
      if (options.profile) postgresProfile = await bench.profile(seeded, "tessera-postgres");
      postgres.measured = true;
      postgres.note = `TEST_DATABASE_URL (${url.host}), schema ${schema}, seeded through the store; the schema is dropped afterwards.`;
    } catch (error) {
      postgres.note = `failed: ${error instanceof Error ? error.message : String(error)}`;
      log(`PostgreSQL ${postgres.note}`);
    } finally {
      await dropSchema(testDatabaseUrl, schema).catch((error: unknown) => bench.notes.push(`could not drop PostgreSQL schema ${schema}: ${String(error)}`));
    }
  }

  const profile = options.profile ? { ...(await bench.profile(main)), ...postgresProfile } : null;

  const partial: Omit<Results, "targets"> = {
    schema: 1,
    date: new Date().toISOString(),
    sample: options.sample,
    machine,
    git: gitInfo(),
    options: {
      duration: options.duration,
      warmup: options.warmup,
      connections: options.connections,
      organizations: options.organizations,
      members: options.members,
      sessions: options.sessions,
      pool: options.pool,
      scale: options.scale ? options.scaleSessions : false,
      profile: options.profile,
      serverLogLevel: options.logLevel,
    },
    pinning: {
      used: options.pin,
      serverCpu: bench.serverCpu,
      loadCpu: bench.loadCpu,
      note: options.pin ? "taskset -c" : machine.tasksetAvailable ? "--no-pin or fewer than 2 CPUs" : "taskset not available",
    },
    raw,
    seed: { counts: main.fixtures.counts, seconds: main.fixtures.seedSeconds },
    scenarios,
    peer: peerSection,
    comparisons: compare(scenarios),
    scale,
    postgres,
    profile,
    notes: bench.notes,
  };
  const loads = [...scenarios, ...(scale ?? []).flatMap((point) => point.results)]
    .map((result) => result.loadAverage1m.before)
    .filter((value): value is number => value !== null);
  const maxLoad = loads.length ? Math.max(...loads) : 0;
  if (maxLoad > machine.nproc * 0.75) {
    bench.notes.push(
      `NOISY: the 1-minute load average reached ${maxLoad.toFixed(1)} on ${machine.nproc} CPUs before a scenario — other work shared the machine; re-take the figures on a quiet machine.`,
    );
  }
  if (scenarios.some((result) => (result.loadGeneratorCoresBusy ?? 0) > 0.9)) {
    bench.notes.push("The load generator kept its core above 90 % busy in some scenario: there the client, not the server, may be the bound.");
  }
  const results: Results = { ...partial, targets: evaluateTargets(partial) };
  const markdown = renderMarkdown(results) + (profile ? `\n${renderProfileMarkdown(profile)}` : "");
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  const markdownPath = options.out.replace(/\.json$/, "") + ".md";
  writeFileSync(markdownPath, markdown);
  if (options.updateReadme && !updateReadme(renderMarkdown(results))) log("README.md has no <!-- bench:begin --> / <!-- bench:end --> markers; not updated");
  bench.cleanup();
  process.stdout.write(`\n${markdown}\n`);
  log(`wrote ${relative(process.cwd(), options.out)} and ${relative(process.cwd(), markdownPath)}`);
}

if (isMainModule(import.meta.url)) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
  main().catch((error: unknown) => {
    killAllChildren();
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
