/**
 * @module Reads a V8 .cpuprofile (node --cpu-prof) into what the lead needs to decide
 * optimisations: self time per function (where the CPU actually is), inclusive time of
 * Tessera's own functions (which use case costs what), and self time per area (Tessera src,
 * each npm package, Node internals, native/GC). Tessera frames are mapped back to their .ts line
 * through the compiled code's source maps.
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  function: string;
  location: string;
  area: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Sampled time that was not idle. */
  busyMs: number;
  topSelf: FunctionCost[];
  topTesseraInclusive: FunctionCost[];
  areas: { area: string; ms: number; percent: number }[];
}

/** Which part of the program a frame belongs to. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") {
    if (functionName === "(garbage collector)") return "V8 garbage collector";
    if (functionName === "(idle)") return "idle";
    if (functionName === "(program)") return "V8/native (unattributed)";
    return "native (C++ bindings)";
  }
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (packageMatch) return `npm:${packageMatch[1]}`;
  if (url.startsWith("node:")) {
    const module = /^node:internal\/(?:deps\/)?([^/]+)/.exec(url)?.[1] ?? url.slice(5);
    return `node:${module}`;
  }
  if (/\/dist\/src\//.test(url)) return "tessera src";
  if (/\/dist\/bench\//.test(url)) return "bench";
  return "other";
}

const sourceMaps = new Map<string, SourceMap | null>();

/** `src/…ts:line` for a compiled Tessera frame when its source map says so, else the JS location. */
export function locate(frame: CallFrame): string {
  const { url, lineNumber, columnNumber } = frame;
  if (url === "") return "";
  const shortJs = url.replace(/^file:\/\/.*?\/(dist\/|node_modules\/)/, "$1");
  if (!url.startsWith("file://") || !/\/dist\/(src|bench)\//.test(url)) return `${shortJs}:${lineNumber + 1}`;
  let map = sourceMaps.get(url);
  if (map === undefined) {
    try {
      const path = fileURLToPath(url);
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8")));
    } catch {
      map = null;
    }
    sourceMaps.set(url, map);
  }
  const entry = map?.findEntry(lineNumber, columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
  if (!entry || entry.originalSource === undefined || entry.originalLine === undefined) return `${shortJs}:${lineNumber + 1}`;
  const source = entry.originalSource.replace(/^.*?\/((src|bench)\/)/, "$1").replace(/^(\.\.\/)+/, "");
  return `${source}:${entry.originalLine + 1}`;
}

function keyOf(frame: CallFrame): string {
  return `${frame.functionName || "(anonymous)"}\u0000${frame.url}\u0000${frame.lineNumber}\u0000${frame.columnNumber}`;
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, { frame: CallFrame; us: number }>();
  const inclusive = new Map<string, { frame: CallFrame; us: number }>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // A sample stands for the time until the next one.
    const us = timeDeltas[i + 1] ?? 0;
    if (us <= 0) continue;
    const node = byId.get(samples[i]!);
    if (!node) continue;
    total += us;
    const area = areaOf(node.callFrame);
    if (area === "idle") {
      idle += us;
      continue;
    }
    areas.set(area, (areas.get(area) ?? 0) + us);
    const key = keyOf(node.callFrame);
    const entry = self.get(key) ?? { frame: node.callFrame, us: 0 };
    entry.us += us;
    self.set(key, entry);
    // Inclusive: every distinct Tessera function on the stack.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (areaOf(frame) !== "tessera src") continue;
      const frameKey = keyOf(frame);
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      const inc = inclusive.get(frameKey) ?? { frame, us: 0 };
      inc.us += us;
      inclusive.set(frameKey, inc);
    }
  }
  const busy = total - idle;
  const cost = (entry: { frame: CallFrame; us: number }): FunctionCost => ({
    function: entry.frame.functionName || "(anonymous)",
    location: locate(entry.frame),
    area: areaOf(entry.frame),
    ms: Math.round(entry.us / 100) / 10,
    percent: busy > 0 ? Math.round((1000 * entry.us) / busy) / 10 : 0,
  });
  return {
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    topSelf: [...self.values()].sort((a, b) => b.us - a.us).slice(0, top).map(cost),
    topTesseraInclusive: [...inclusive.values()].sort((a, b) => b.us - a.us).slice(0, top).map(cost),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: Math.round(us / 1000), percent: busy > 0 ? Math.round((1000 * us) / busy) / 10 : 0 })),
  };
}
