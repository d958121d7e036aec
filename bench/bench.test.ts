/**
 * Unit tests of the benchmark's pure parts: /proc parsing, latency percentiles, the seeded data's
 * shape, CPU-profile aggregation and the evaluation of issue 7's targets. (The benchmark itself
 * is `npm run bench`; nothing here starts a server.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { areaOf, summarizeProfile, type CpuProfile } from "./lib/cpuprofile.js";
import { parseStatCpuTicks } from "./lib/proc.js";
import { compare, evaluateTargets, renderMarkdown, type Results, type ScenarioResult } from "./lib/report.js";
import { percentile, summarize } from "./lib/stats.js";
import { checkPlan, isExpiredRound, mfaOrganizationCount, organizationOfMember, personOfMember, type SeedPlan } from "./seed.js";

describe("bench: /proc parsing", () => {
  it("reads utime and stime after a command name with spaces and parentheses", () => {
    const stat = "4242 (node (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 5000";
    assert.deepEqual(parseStatCpuTicks(stat), { user: 1234, system: 567 });
  });
});

describe("bench: latency statistics", () => {
  it("takes nearest-rank percentiles of every value", () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000 … 1, unsorted
    const summary = summarize(values);
    assert.equal(summary.p50, 500);
    assert.equal(summary.p99, 990);
    assert.equal(summary.max, 1000);
    assert.equal(summary.mean, 500.5);
    assert.equal(percentile(new Float64Array(0), 99), 0);
  });
});

describe("bench: seeded data shape", () => {
  const plan: SeedPlan = { organizations: 1000, members: 10_000, sessions: 100_000, mfaFraction: 0.3 };
  it("puts every person in two organizations, one in each half, and MFA organizations only in the second", () => {
    const mfaFrom = plan.organizations - mfaOrganizationCount(plan);
    assert.equal(mfaFrom, 700);
    const organizationsOf = new Map<number, number[]>();
    for (let m = 0; m < plan.members; m++) {
      const person = personOfMember(m, plan);
      organizationsOf.set(person, [...(organizationsOf.get(person) ?? []), organizationOfMember(m, plan)]);
    }
    assert.equal(organizationsOf.size, 5000);
    for (const [, organizations] of organizationsOf) {
      assert.equal(organizations.length, 2);
      const [a, b] = organizations as [number, number];
      assert.ok(a < 500 && b >= 500, `${a} ${b}`);
      assert.ok(a < mfaFrom, "the first membership is never in an MFA organization");
    }
    assert.equal(organizationOfMember(9999, plan), 999);
    assert.equal(organizationOfMember(0, plan), 0);
  });
  it("expires every tenth round and refuses plans the pools cannot use", () => {
    assert.deepEqual([0, 8, 9, 19].map(isExpiredRound), [false, false, true, true]);
    assert.throws(() => checkPlan({ ...plan, sessions: 5000 }), /sessions/);
    assert.throws(() => checkPlan({ ...plan, members: 10_001 }), /even/);
    checkPlan(plan);
  });
});

describe("bench: CPU profile summary", () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", ""), children: [2, 5] },
      { id: 2, callFrame: frame("exchange", "file:///x/dist/src/services/exchange.js"), children: [3] },
      { id: 3, callFrame: frame("run", "file:///x/node_modules/better-sqlite3/lib/methods/wrappers.js"), children: [4] },
      { id: 4, callFrame: frame("signOneShot", "node:internal/crypto/sig"), children: [] },
      { id: 5, callFrame: frame("(idle)", ""), children: [] },
    ],
    startTime: 0,
    endTime: 10_000,
    samples: [3, 3, 4, 5, 2, 3],
    timeDeltas: [0, 1000, 1000, 1000, 1000, 1000],
  };
  it("attributes self time, Tessera inclusive time and areas, leaving idle out", () => {
    const summary = summarizeProfile(profile);
    assert.equal(summary.busyMs, 4);
    assert.equal(summary.topSelf[0]?.function, "run");
    assert.equal(summary.topSelf[0]?.ms, 2);
    assert.equal(summary.topSelf[0]?.area, "npm:better-sqlite3");
    assert.equal(summary.topTesseraInclusive[0]?.function, "exchange");
    assert.equal(summary.topTesseraInclusive[0]?.percent, 100);
    assert.equal(areaOf(frame("(garbage collector)", "")), "V8 garbage collector");
    assert.equal(areaOf(frame("sign", "node:internal/crypto/sig")), "node:crypto");
  });
});

describe("bench: targets", () => {
  const scenario = (
    name: ScenarioResult["scenario"],
    target: ScenarioResult["target"],
    rps: number,
    p99: number,
    rss = 120,
    dbRoundTripsPerRequest = 0,
  ): ScenarioResult => ({
    scenario: name,
    target,
    sessions: 100_000,
    title: name,
    loadAverage1m: { before: 0.1, after: 0.1 },
    load: {
      scenario: name,
      connections: 32,
      durationSeconds: 10,
      requests: rps * 10,
      requestsPerSecond: rps,
      latencyMs: { mean: p99 / 2, p50: p99 / 2, p90: p99 * 0.9, p99, max: p99 * 2 },
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      statusCounts: { 200: rps * 10 },
      outcomes: {},
      autocannon: { latencyP50: 1, latencyP99: 1, latencyMax: 1, requestsAverage: rps },
      warmupRequests: 0,
      nextIndex: 0,
    },
    server: {
      cpuSeconds: 10,
      systemCpuSeconds: 1,
      cpuMicrosPerRequest: 1e6 / rps,
      coresBusy: 1,
      mainThread: { onCpu: 0.9, waitingForCpu: 0, blockedOrIdle: 0.1 },
      peakRssMiB: rss,
      peakRssScope: "window",
      dbRoundTripsPerRequest,
    },
  });
  const scenarios = [
    scenario("exchange", "tessera-sqlite", 900, 40),
    scenario("authenticate-token", "tessera-sqlite", 5000, 10, 260),
    scenario("peer-set-active", "better-auth", 100, 300),
    scenario("peer-get-session", "better-auth", 215, 150),
    scenario("m2m-token", "tessera-sqlite", 650, 30),
    scenario("m2m-token", "tessera-postgres", 550, 70),
    scenario("authenticate-token", "tessera-postgres", 2600, 20, 120, 2),
    scenario("exchange", "tessera-postgres", 500, 70, 120, 5.5),
  ];
  const base: Omit<Results, "targets"> = {
    schema: 1,
    date: "2026-01-01T00:00:00Z",
    sample: true,
    machine: {
      hostname: "h", nproc: 2, cpuModel: "cpu", cpuFamily: "25", cpuModelNumber: "1", cpuMHz: null, cpuFlags: [], memoryGiB: 8, kernel: "k",
      node: "v20", openssl: "3", workDirFilesystem: "ext4", tasksetAvailable: true,
    },
    git: { commit: "abc", dirty: false },
    options: { connections: 32, duration: 10, warmup: 1 },
    pinning: { used: true, serverCpu: "0", loadCpu: "1", note: "" },
    raw: {
      rs256SignPerSecond: 1000, rs256SignMicros: 1000, rs256SignPerWallSecond: 1000, jwtMintPerSecond: 950, rs256VerifyPerSecond: 20_000,
      signingInputBytes: 1300, sqliteCommitMicros: 300, sqliteCommitsPerSecond: 3333, sqliteCommitCpuMicros: 40, seconds: 2,
    },
    seed: null,
    scenarios,
    peer: { measured: true, betterAuthVersion: "1", betterSqliteVersion: "1", sqliteSynchronous: "NORMAL", note: "" },
    comparisons: compare(scenarios),
    scale: [
      { sessions: 10_000, seedSeconds: 1, results: [scenario("authenticate-token", "tessera-sqlite", 5000, 10), scenario("exchange", "tessera-sqlite", 900, 40)] },
      { sessions: 1_000_000, seedSeconds: 60, results: [scenario("authenticate-token", "tessera-sqlite", 5000, 12), scenario("exchange", "tessera-sqlite", 900, 60)] },
    ],
    postgres: { measured: false, note: "" },
    profile: null,
    notes: [],
  };
  it("evaluates each target to pass, miss or not measured", () => {
    const targets = Object.fromEntries(evaluateTargets(base).map((target) => [target.id, target.pass]));
    assert.deepEqual(targets, {
      "exchange-vs-signing": true, // 900 ≥ 0.8 × 1000
      "exchange-p99": true,
      "exchange-vs-peer-set-active": true, // 9×
      "authenticate-token-vs-peer-get-session": true, // 23×
      "p99-scale": false, // exchange 60 ms > 1.25 × 40 ms
      "peak-rss": false, // 260 MiB > 250 MB
      "m2m-token-vs-signing-sqlite": true, // 650 ≥ 0.6 × 1000
      "m2m-token-p99-sqlite": true,
      "m2m-token-vs-signing-postgresql": false, // 550 < 600
      "m2m-token-p99-postgresql": false, // 70 ms > 50 ms
      "postgres-authenticate-token-share": true, // 2600 ≥ 0.5 × 5000
      "postgres-authenticate-token-round-trips": true, // 2 ≤ 2
      "postgres-authenticate-token-p99": true,
      "postgres-exchange-share": false, // 500 < 0.6 × 900
      "postgres-exchange-round-trips": false, // 5.5 > 3
      "postgres-exchange-p99": false, // 70 ms > 60 ms
    });
    const unmeasured = evaluateTargets({ ...base, scenarios: [], comparisons: compare([]), scale: null, raw: null });
    assert.ok(unmeasured.every((target) => target.pass === null));
  });
  it("renders a table with the date, the machine and every target", () => {
    const markdown = renderMarkdown({ ...base, targets: evaluateTargets(base) });
    assert.match(markdown, /2026-01-01/);
    assert.match(markdown, /\*\*miss\*\*/);
    assert.match(markdown, /1,000 RS256 signatures\/s/);
    // SQLite and PostgreSQL side by side, with PostgreSQL's round trips per request.
    assert.match(markdown, /\| exchange \| 900 \| 500 \| 0\.56 \|.*\| 5\.5 \|/);
  });
});
