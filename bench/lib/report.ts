/**
 * @module The results of a run: their shape (results.json), the issue's targets evaluated
 * against them, and the markdown the README shows. Pure.
 */
import type { LoadResult } from "../load.js";
import type { RawRates } from "../raw-crypto.js";
import type { MachineInfo } from "./machine.js";
import type { ProfileSummary } from "./cpuprofile.js";
import type { SeedCounts } from "./fixtures.js";
import { SCENARIO_TITLES, SCENARIO_WORK, type ScenarioName } from "./scenarios.js";

export type Target = "tessera-sqlite" | "tessera-postgres" | "better-auth";

export interface ServerMeasure {
  /** Server CPU seconds (user + system, all threads) over the measured window. */
  cpuSeconds: number;
  /** Of which in the kernel (system time: syscalls, fsync bookkeeping, networking). */
  systemCpuSeconds: number;
  cpuMicrosPerRequest: number;
  /** cpuSeconds / wall seconds: how many cores the server kept busy (1.0 = one core saturated). */
  coresBusy: number;
  /**
   * How the server's main thread (the event loop) spent the window, as shares of wall time: on a
   * CPU; runnable but waiting for a CPU (other processes had it: noise); the rest blocked in a
   * system call (fsync, I/O) or idle waiting for requests.
   */
  mainThread: { onCpu: number; waitingForCpu: number; blockedOrIdle: number } | null;
  /** Peak RSS during the measured window (VmHWM after a reset), or over the process's life. */
  peakRssMiB: number | null;
  peakRssScope: "window" | "process-lifetime";
  /**
   * Database round trips per request over the window, from the server's `/metrics`
   * (tessera_db_round_trips_total over tessera_http_requests_total); 0 on SQLite (embedded).
   * A count, independent of load: comparable across machines.
   */
  dbRoundTripsPerRequest?: number | null;
  /**
   * Round trips the database received per request (the process counter over requests, so a
   * batched statement shared by concurrent requests counts once; background work included).
   */
  dbRoundTripsSentPerRequest?: number | null;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  target: Target;
  /** Sessions in the database when measured. */
  sessions: number;
  title: string;
  load?: LoadResult;
  server?: ServerMeasure;
  /** CPU cores the load generator kept busy (≈1.0 on a 2-core box: the client may be the bound). */
  loadGeneratorCoresBusy?: number;
  loadAverage1m: { before: number | null; after: number | null };
  error?: string;
}

export interface TargetEvaluation {
  id: string;
  description: string;
  measured: string;
  /** null: not measured in this run. */
  pass: boolean | null;
  note: string;
}

export interface Comparison {
  ours: ScenarioName;
  theirs: ScenarioName;
  oursRps: number | null;
  theirsRps: number | null;
  ratio: number | null;
  requiredRatio: number;
  oursWork: string;
  theirsWork: string;
}

export interface ScalePoint {
  sessions: number;
  seedSeconds: number;
  results: ScenarioResult[];
}

export interface Results {
  schema: 1;
  date: string;
  sample: boolean;
  machine: MachineInfo;
  git: { commit: string; dirty: boolean };
  options: Record<string, unknown>;
  pinning: { used: boolean; serverCpu: string | null; loadCpu: string | null; note: string };
  raw: RawRates | null;
  seed: { counts: SeedCounts; seconds: number } | null;
  scenarios: ScenarioResult[];
  peer: { measured: boolean; betterAuthVersion: string; betterSqliteVersion: string; sqliteSynchronous: string; note: string };
  comparisons: Comparison[];
  scale: ScalePoint[] | null;
  postgres: { measured: boolean; note: string };
  targets: TargetEvaluation[];
  profile: Record<string, ProfileSummary> | null;
  notes: string[];
}

const round = (value: number, digits = 0): number => Math.round(value * 10 ** digits) / 10 ** digits;

function find(results: ScenarioResult[], scenario: ScenarioName, target?: Target): ScenarioResult | undefined {
  return results.find((result) => result.scenario === scenario && (target === undefined || result.target === target) && result.load);
}

export function compare(scenarios: ScenarioResult[]): Comparison[] {
  const pairs: [ScenarioName, ScenarioName, number][] = [
    ["exchange", "peer-set-active", 6],
    ["authenticate-token", "peer-get-session", 20],
  ];
  return pairs.map(([ours, theirs, requiredRatio]) => {
    const oursRps = find(scenarios, ours, "tessera-sqlite")?.load?.requestsPerSecond ?? null;
    const theirsRps = find(scenarios, theirs, "better-auth")?.load?.requestsPerSecond ?? null;
    return {
      ours,
      theirs,
      oursRps,
      theirsRps,
      ratio: oursRps !== null && theirsRps ? oursRps / theirsRps : null,
      requiredRatio,
      oursWork: SCENARIO_WORK[ours],
      theirsWork: SCENARIO_WORK[theirs],
    };
  });
}

/** Exchanges per server core: throughput when the server had one core; else per busy core. */
export function perServerCore(result: ScenarioResult, pinned: boolean): number | null {
  if (!result.load || !result.server) return null;
  if (pinned) return result.load.requestsPerSecond;
  return result.load.requestsPerSecond / Math.max(1, result.server.coresBusy);
}

export function evaluateTargets(results: Omit<Results, "targets">): TargetEvaluation[] {
  const targets: TargetEvaluation[] = [];
  const exchange = find(results.scenarios, "exchange", "tessera-sqlite");
  const signRate = results.raw?.rs256SignPerSecond ?? null;

  const perCore = exchange ? perServerCore(exchange, results.pinning.used) : null;
  const perCpuSecond = exchange?.server ? 1e6 / exchange.server.cpuMicrosPerRequest : null;
  targets.push({
    id: "exchange-vs-signing",
    description: "exchange (no-MFA) ≥ 80 % of the raw single-core RS256 signing rate per server core",
    measured:
      perCore !== null && signRate !== null
        ? `${round(perCore)} /s per server core = ${round((100 * perCore) / signRate)} % of ${round(signRate)} signatures/s ` +
          `(CPU efficiency: ${round(perCpuSecond!)} exchanges per server CPU-second = ${round((100 * perCpuSecond!) / signRate)} %)`
        : "not measured",
    pass: perCore !== null && signRate !== null ? perCore >= 0.8 * signRate : null,
    note:
      (results.pinning.used
        ? "server pinned to one core: throughput is per core"
        : "server not pinned: throughput divided by the cores it kept busy (at least 1)") +
      "; the signing rate is per CPU-second of a tight loop; the efficiency figure is what one fully available core would reach if nothing but CPU bounded the server",
  });
  const p99 = exchange?.load?.latencyMs.p99 ?? null;
  targets.push({
    id: "exchange-p99",
    description: `exchange (no-MFA) p99 ≤ 50 ms at ${exchange?.load?.connections ?? 32} connections`,
    measured: p99 !== null ? `${round(p99, 1)} ms` : "not measured",
    pass: p99 !== null ? p99 <= 50 : null,
    note: "",
  });
  // Issue 18: client-credentials grants against the same signing rate, on each database.
  for (const [target, database] of [["tessera-sqlite", "SQLite"], ["tessera-postgres", "PostgreSQL"]] as const) {
    const grants = find(results.scenarios, "m2m-token", target);
    const grantsPerCore = grants ? perServerCore(grants, results.pinning.used) : null;
    const grantsPerCpuSecond = grants?.server ? 1e6 / grants.server.cpuMicrosPerRequest : null;
    targets.push({
      id: `m2m-token-vs-signing-${database.toLowerCase()}`,
      description: `${database}: M2M client-credentials grants ≥ 60 % of the raw single-core RS256 signing rate per server core (issue 18)`,
      measured:
        grantsPerCore !== null && signRate !== null
          ? `${round(grantsPerCore)} /s per server core = ${round((100 * grantsPerCore) / signRate)} % of ${round(signRate)} signatures/s` +
            (grantsPerCpuSecond !== null ? ` (CPU efficiency: ${round(grantsPerCpuSecond)} grants per server CPU-second = ${round((100 * grantsPerCpuSecond) / signRate)} %)` : "")
          : "not measured",
      pass: grantsPerCore !== null && signRate !== null ? grantsPerCore >= 0.6 * signRate : null,
      note: "the same per-core rule as the exchange target",
    });
    const grantsP99 = grants?.load?.latencyMs.p99 ?? null;
    targets.push({
      id: `m2m-token-p99-${database.toLowerCase()}`,
      description: `${database}: M2M grants p99 ≤ 50 ms at ${grants?.load?.connections ?? 32} connections (issue 18)`,
      measured: grantsP99 !== null ? `${round(grantsP99, 1)} ms` : "not measured",
      pass: grantsP99 !== null ? grantsP99 <= 50 : null,
      note: "",
    });
  }
  // Issue 14: PostgreSQL within reach of SQLite, and its round trips per request.
  for (const [scenario, requiredShare, maxRoundTrips] of [["authenticate-token", 0.5, 2], ["exchange", 0.6, 3]] as const) {
    const sqlite = find(results.scenarios, scenario, "tessera-sqlite");
    const pg = find(results.scenarios, scenario, "tessera-postgres");
    const share = sqlite?.load && pg?.load ? pg.load.requestsPerSecond / sqlite.load.requestsPerSecond : null;
    targets.push({
      id: `postgres-${scenario}-share`,
      description: `PostgreSQL ${scenario} ≥ ${100 * requiredShare} % of SQLite's rate (issue 14)`,
      measured: share !== null ? `${round(100 * share)} % (${round(pg!.load!.requestsPerSecond)} vs ${round(sqlite!.load!.requestsPerSecond)} /s)` : "not measured",
      pass: share !== null ? share >= requiredShare : null,
      note: "",
    });
    const trips = pg?.server?.dbRoundTripsPerRequest ?? null;
    targets.push({
      id: `postgres-${scenario}-round-trips`,
      description: `PostgreSQL ${scenario} ≤ ${maxRoundTrips} database round trips per request (issue 14)`,
      measured: trips !== null ? `${round(trips, 2)}` : "not measured",
      pass: trips !== null ? trips <= maxRoundTrips : null,
      note: "a count, not a timing: the same on a quiet or a busy machine (batched round trips shared by concurrent requests count once per request)",
    });
    const p99 = pg?.load?.latencyMs.p99 ?? null;
    targets.push({
      id: `postgres-${scenario}-p99`,
      description: `PostgreSQL ${scenario} p99 ≤ 60 ms at ${pg?.load?.connections ?? 32} connections (issue 14)`,
      measured: p99 !== null ? `${round(p99, 1)} ms` : "not measured",
      pass: p99 !== null ? p99 <= 60 : null,
      note: "",
    });
  }
  for (const comparison of results.comparisons) {
    targets.push({
      id: `${comparison.ours}-vs-${comparison.theirs}`,
      description: `${comparison.ours} ≥ ${comparison.requiredRatio}× Better Auth ${comparison.theirs.replace("peer-", "")}`,
      measured:
        comparison.ratio !== null ? `${round(comparison.ratio, 2)}× (${round(comparison.oursRps!)} vs ${round(comparison.theirsRps!)} /s)` : "not measured",
      pass: comparison.ratio !== null ? comparison.ratio >= comparison.requiredRatio : null,
      note: "",
    });
  }
  if (results.scale && results.scale.length === 2) {
    const [small, large] = results.scale as [ScalePoint, ScalePoint];
    const parts: string[] = [];
    let pass: boolean | null = true;
    for (const scenario of ["authenticate-token", "exchange"] as const) {
      const a = find(small.results, scenario)?.load?.latencyMs.p99;
      const b = find(large.results, scenario)?.load?.latencyMs.p99;
      if (a === undefined || b === undefined) {
        pass = null;
        parts.push(`${scenario}: not measured`);
        continue;
      }
      parts.push(`${scenario} ${round(b, 1)} ms vs ${round(a, 1)} ms (${b <= a ? "−" : "+"}${round((100 * Math.abs(b - a)) / a)} %)`);
      if (pass !== null && b > 1.25 * a) pass = false;
    }
    targets.push({
      id: "p99-scale",
      description: `p99 with ${large.sessions.toLocaleString("en")} sessions within 25 % of p99 with ${small.sessions.toLocaleString("en")}`,
      measured: parts.join("; "),
      pass,
      note: "latency percentiles are exact (from every response time), but a noisy machine moves p99 by more than 25 % on its own",
    });
  } else {
    targets.push({
      id: "p99-scale",
      description: "p99 with 1,000,000 sessions within 25 % of p99 with 10,000",
      measured: "not measured (run without --no-scale)",
      pass: null,
      note: "",
    });
  }
  const rss = [...results.scenarios, ...(results.scale ?? []).flatMap((point) => point.results)]
    .filter((result) => result.target !== "better-auth" && result.server?.peakRssMiB != null)
    .map((result) => result.server!.peakRssMiB!);
  const peak = rss.length > 0 ? Math.max(...rss) : null;
  targets.push({
    id: "peak-rss",
    description: "peak RSS of the server ≤ 250 MB",
    measured: peak !== null ? `${round(peak)} MiB` : "not measured",
    pass: peak !== null ? peak * 1.048576 <= 250 : null,
    note: "largest VmHWM over every measured Tessera window, including the scale runs",
  });
  return targets;
}

const fmt = (value: number | null | undefined, digits = 0): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : round(value, digits).toLocaleString("en", { maximumFractionDigits: digits });

function scenarioRow(result: ScenarioResult): string {
  const name = `${result.target === "tessera-postgres" ? "PostgreSQL: " : ""}${SCENARIO_TITLES[result.scenario]}`;
  if (!result.load || !result.server) return `| ${name} | error: ${(result.error ?? "").replace(/\|/g, "\\|").slice(0, 120)} | | | | | | | | | |`;
  const { load, server } = result;
  const latency = load.latencyMs;
  const lat = (value: number): string => fmt(value, value < 10 ? 2 : 1);
  const outcomes = Object.entries(load.outcomes)
    .map(([key, count]) => `${key}: ${count}`)
    .join(", ");
  const thread = server.mainThread;
  const loop = thread ? `${fmt(100 * thread.onCpu)} / ${fmt(100 * thread.waitingForCpu)} / ${fmt(100 * thread.blockedOrIdle)}` : "–";
  return `| ${name}${outcomes ? ` (${outcomes})` : ""} | ${fmt(load.requestsPerSecond)} | ${fmt(server.dbRoundTripsPerRequest, 2)} | ${lat(latency.p50)} | ${lat(latency.p99)} | ${lat(latency.max)} | ${load.non2xx + load.errors} | ${fmt(server.cpuMicrosPerRequest)} | ${fmt(server.coresBusy, 2)} | ${loop} | ${fmt(server.peakRssMiB)} |`;
}

const HEADER = [
  "| Scenario | req/s | DB round trips/req | p50 ms | p99 ms | max ms | non-2xx + errors | server CPU µs/req | server cores busy | event loop % on CPU / waiting for CPU / blocked or idle | peak RSS MiB |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
];

export function renderMarkdown(results: Results): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(`### Benchmark results${results.sample ? " (SAMPLE: not final figures)" : ""}`);
  lines.push("");
  lines.push(
    `${results.date} · ${m.cpuModel} (family ${m.cpuFamily}, model ${m.cpuModelNumber}${m.cpuFlags.length ? `; ${m.cpuFlags.join(" ")}` : ""}), nproc ${m.nproc}, ${m.memoryGiB} GiB · Node ${m.node}, OpenSSL ${m.openssl} · ` +
      `databases on ${m.workDirFilesystem} · commit ${results.git.commit.slice(0, 10)}${results.git.dirty ? " (dirty)" : ""}`,
  );
  lines.push("");
  const o = results.options;
  lines.push(
    `${o.connections} connections, ${o.duration} s per scenario after ${o.warmup} s warm-up · ` +
      (results.pinning.used
        ? `servers pinned to CPU ${results.pinning.serverCpu}, load generator to CPU ${results.pinning.loadCpu}`
        : `not pinned (${results.pinning.note})`) +
      (results.seed
        ? ` · data: ${fmt(results.seed.counts.organizations)} organizations, ${fmt(results.seed.counts.members)} members, ${fmt(results.seed.counts.sessions)} sessions (${fmt(results.seed.counts.expiredSessions)} expired), seeded in ${fmt(results.seed.seconds, 1)} s`
        : ""),
  );
  lines.push("");
  if (results.raw) {
    const raw = results.raw;
    lines.push(
      `Raw limits on this machine (one core): **${fmt(raw.rs256SignPerSecond)} RS256 signatures/s** per CPU-second (${fmt(raw.rs256SignMicros)} µs each, ` +
        `${raw.signingInputBytes}-byte session-JWT input; ${fmt(raw.rs256SignPerWallSecond)}/s by the wall clock), ` +
        `${fmt(raw.jwtMintPerSecond)} whole JWT mints/s, ${fmt(raw.rs256VerifyPerSecond)} RS256 verifications/s, ` +
        (raw.sqliteCommitMicros !== null
          ? `one forced SQLite commit (WAL, synchronous=FULL, one 400-byte row) ${fmt(raw.sqliteCommitMicros)} µs of wall time, ${fmt(raw.sqliteCommitCpuMicros)} µs of CPU.`
          : "SQLite commit not measured."),
    );
    lines.push("");
  }
  lines.push(...HEADER);
  for (const result of results.scenarios) lines.push(scenarioRow(result));
  lines.push("");
  lines.push(...sideBySide(results.scenarios));
  if (results.comparisons.some((comparison) => comparison.ratio !== null)) {
    lines.push("| Ours | Better Auth | ratio (ours / theirs) | required | what ours does per request | what theirs does per request |");
    lines.push("|---|---|---:|---:|---|---|");
    for (const c of results.comparisons) {
      lines.push(
        `| ${c.ours} ${fmt(c.oursRps)} /s | ${c.theirs.replace("peer-", "")} ${fmt(c.theirsRps)} /s | ${c.ratio === null ? "–" : `${fmt(c.ratio, 2)}×`} | ${c.requiredRatio}× | ${c.oursWork} | ${c.theirsWork} |`,
      );
    }
    lines.push("");
    lines.push(`Peer: ${results.peer.note}`);
    lines.push("");
  } else {
    lines.push(`Peer not measured: ${results.peer.note}`);
    lines.push("");
  }
  if (results.scale) {
    lines.push("Scale check (fresh database per size, same members and organizations):");
    lines.push("");
    lines.push(...HEADER.map((line, index) => (index === 0 ? line.replace("| Scenario |", "| Sessions · scenario |") : line)));
    for (const point of results.scale) {
      for (const result of point.results) lines.push(scenarioRow(result).replace(/^\| /, `| ${fmt(point.sessions)} · `));
    }
    lines.push("");
  }
  lines.push("| Target (issue 7 unless marked) | Measured | Result |");
  lines.push("|---|---|---|");
  for (const target of results.targets) {
    lines.push(`| ${target.description} | ${target.measured} | ${target.pass === null ? "not measured" : target.pass ? "**pass**" : "**miss**"} |`);
  }
  lines.push("");
  lines.push(`PostgreSQL: ${results.postgres.note}`);
  if (results.notes.length > 0) {
    lines.push("");
    for (const note of results.notes) lines.push(`- ${note}`);
  }
  return `${lines.join("\n")}\n`;
}

/** SQLite and PostgreSQL per scenario, next to each other (issue 14). */
function sideBySide(scenarios: ScenarioResult[]): string[] {
  const rows: string[] = [];
  for (const result of scenarios) {
    if (result.target !== "tessera-sqlite") continue;
    const pg = find(scenarios, result.scenario, "tessera-postgres");
    if (!pg?.load || !result.load) continue;
    rows.push(
      `| ${result.scenario} | ${fmt(result.load.requestsPerSecond)} | ${fmt(pg.load.requestsPerSecond)} | ${fmt(pg.load.requestsPerSecond / result.load.requestsPerSecond, 2)} | ` +
        `${fmt(result.server?.cpuMicrosPerRequest)} | ${fmt(pg.server?.cpuMicrosPerRequest)} | ${fmt(result.load.latencyMs.p99, 1)} | ${fmt(pg.load.latencyMs.p99, 1)} | ` +
        `${fmt(pg.server?.dbRoundTripsPerRequest, 2)} | ${fmt(pg.server?.dbRoundTripsSentPerRequest, 2)} |`,
    );
  }
  if (rows.length === 0) return [];
  return [
    "| Scenario | SQLite req/s | PostgreSQL req/s | PG / SQLite | SQLite CPU µs/req | PG CPU µs/req | SQLite p99 ms | PG p99 ms | PG round trips/req (waited for) | PG round trips/req (received: batches shared) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
  ];
}

export function renderProfileMarkdown(profiles: Record<string, ProfileSummary>): string {
  const lines: string[] = [];
  for (const [scenario, summary] of Object.entries(profiles)) {
    lines.push(`#### CPU profile: ${scenario} (${fmt(summary.busyMs)} ms busy of ${fmt(summary.totalMs)} ms sampled)`);
    lines.push("");
    lines.push("| Area | self ms | % of busy |");
    lines.push("|---|---:|---:|");
    for (const area of summary.areas.slice(0, 12)) lines.push(`| ${area.area} | ${fmt(area.ms)} | ${fmt(area.percent, 1)} |`);
    lines.push("");
    lines.push("| Top self time | where | area | ms | % |");
    lines.push("|---|---|---|---:|---:|");
    for (const entry of summary.topSelf) lines.push(`| ${entry.function} | ${entry.location} | ${entry.area} | ${fmt(entry.ms, 1)} | ${fmt(entry.percent, 1)} |`);
    lines.push("");
    lines.push("| Tessera function (inclusive) | where | ms | % |");
    lines.push("|---|---|---:|---:|");
    for (const entry of summary.topTesseraInclusive) lines.push(`| ${entry.function} | ${entry.location} | ${fmt(entry.ms, 1)} | ${fmt(entry.percent, 1)} |`);
    lines.push("");
  }
  return lines.join("\n");
}
