/**
 * @module The load generator, a process of its own (pinned to its own core when pinning is on):
 * checks one request of the scenario, warms up, tells the orchestrator (which then snapshots the
 * server's CPU time and resets its peak RSS), runs the measured window at fixed concurrency with
 * autocannon, and reports. Latency percentiles are computed exactly from every response time
 * (autocannon's own histogram has 1 ms resolution); autocannon's figures are kept beside them.
 *
 * Started by run.js with an IPC channel: receives {type:"run", spec}, sends "warmed", waits for
 * "go", sends {type:"result", result}. Every loop is bounded: by duration and by maxRequests.
 */
import autocannon, { type AutocannonResult } from "autocannon";
import { readFixtures } from "./lib/fixtures.js";
import { summarize, type LatencySummary } from "./lib/stats.js";
import { expectedShape, peerPlan, tesseraPlan, type PeerFixtures, type RequestPlan, type ScenarioName, type TesseraScenario } from "./lib/scenarios.js";
import { isMainModule } from "./lib/main-module.js";

export interface LoadSpec {
  scenario: ScenarioName;
  /** Base URL, always http://127.0.0.1:<port>. */
  baseUrl: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Upper bound on the measured window's requests (autocannon maxOverallRequests). */
  maxRequests: number;
  fixturesPath?: string;
  peer?: PeerFixtures;
  /** First pool index to use (so consecutive runs on the same data do not reuse the same entries first). */
  startIndex?: number;
}

export interface LoadResult {
  scenario: ScenarioName;
  connections: number;
  durationSeconds: number;
  /** Responses received in the measured window (any status). */
  requests: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  outcomes: Record<string, number>;
  autocannon: { latencyP50: number; latencyP99: number; latencyMax: number; requestsAverage: number };
  warmupRequests: number;
  nextIndex: number;
}

function planFor(spec: LoadSpec): RequestPlan {
  if (spec.scenario.startsWith("peer-")) {
    if (!spec.peer) throw new Error("peer scenario without peer fixtures");
    return peerPlan(spec.scenario as "peer-set-active" | "peer-get-session", spec.peer);
  }
  if (!spec.fixturesPath) throw new Error("Tessera scenario without fixtures");
  return tesseraPlan(spec.scenario as TesseraScenario, readFixtures(spec.fixturesPath));
}

/** One request outside the measurement: the scenario must answer 2xx with the expected shape. */
async function check(spec: LoadSpec, plan: RequestPlan, index: number): Promise<void> {
  const body = plan.body(index);
  const response = await fetch(`${spec.baseUrl}${plan.path(index)}`, {
    method: plan.method,
    headers: plan.headers,
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (response.status < 200 || response.status > 299) throw new Error(`${spec.scenario}: check request answered ${response.status}: ${text.slice(0, 400)}`);
  const problem = expectedShape(spec.scenario, parsed);
  if (problem) throw new Error(`${spec.scenario}: ${problem}`);
}

interface Window {
  responses: number;
  times: Float64Array;
  statusCounts: Record<string, number>;
  outcomes: Record<string, number>;
  result: AutocannonResult;
}

async function runWindow(spec: LoadSpec, plan: RequestPlan, seconds: number, counter: { next: number }, maxRequests: number): Promise<Window> {
  const times = new Float64Array(maxRequests);
  let responses = 0;
  const statusCounts: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const instance = autocannon({
    url: spec.baseUrl,
    connections: spec.connections,
    duration: seconds,
    maxOverallRequests: maxRequests,
    timeout: 10,
    requests: [
      {
        method: plan.method,
        headers: plan.headers,
        setupRequest: (request) => {
          const i = counter.next++;
          request.path = plan.path(i);
          const body = plan.body(i);
          if (body !== undefined) request.body = body;
          return request;
        },
        ...(plan.classify
          ? {
              onResponse: (status: number, body: string) => {
                const outcome = status >= 200 && status < 300 ? plan.classify!(body) : `status_${status}`;
                outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
              },
            }
          : {}),
      },
    ],
  });
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (responses < times.length) times[responses] = responseTime;
    responses++;
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  });
  const result = await instance;
  return { responses, times: times.subarray(0, Math.min(responses, times.length)), statusCounts, outcomes, result };
}

function send(message: unknown): void {
  process.send!(message);
}

function waitFor(type: string): Promise<any> {
  return new Promise((resolve) => {
    const listener = (message: any): void => {
      if (message?.type === type) {
        process.off("message", listener);
        resolve(message);
      }
    };
    process.on("message", listener);
  });
}

async function main(): Promise<void> {
  if (!process.send) throw new Error("load.js runs under run.js (it needs an IPC channel)");
  const { spec } = (await waitFor("run")) as { spec: LoadSpec };
  const plan = planFor(spec);
  const counter = { next: spec.startIndex ?? 0 };
  await check(spec, plan, counter.next++);
  let warmupRequests = 0;
  if (spec.warmupSeconds > 0) {
    const warm = await runWindow(spec, plan, spec.warmupSeconds, counter, spec.maxRequests);
    warmupRequests = warm.responses;
  }
  send({ type: "warmed" });
  await waitFor("go");
  const measured = await runWindow(spec, plan, spec.durationSeconds, counter, spec.maxRequests);
  const duration = measured.result.duration;
  const result: LoadResult = {
    scenario: spec.scenario,
    connections: spec.connections,
    durationSeconds: duration,
    requests: measured.responses,
    requestsPerSecond: measured.responses / duration,
    latencyMs: summarize(measured.times),
    non2xx: measured.result.non2xx,
    errors: measured.result.errors,
    timeouts: measured.result.timeouts,
    statusCounts: measured.statusCounts,
    outcomes: measured.outcomes,
    autocannon: {
      latencyP50: measured.result.latency.p50,
      latencyP99: measured.result.latency.p99,
      latencyMax: measured.result.latency.max,
      requestsAverage: measured.result.requests.average,
    },
    warmupRequests,
    nextIndex: counter.next,
  };
  send({ type: "result", result });
  process.disconnect();
}

if (isMainModule(import.meta.url)) {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    try {
      send({ type: "error", message });
    } catch {
      // no channel
    }
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
  });
}
