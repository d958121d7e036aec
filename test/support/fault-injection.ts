/**
 * @module Fault points for crash tests, loaded into the server process with
 * `node --import …/fault-injection.js` and armed by `TESSERA_FAULT`. Without that variable this
 * module does nothing (node's test runner also imports it as a file under test/).
 *
 *   commit:before:N        SIGKILL just before the N-th `store.commit` starts
 *   commit:inside:N:K      SIGKILL inside the N-th commit's transaction, after its K-th change
 *   commit:after:N         SIGKILL right after the N-th commit is durable, before any response
 *   revoke:before:N / revoke:after:N   around the N-th `store.revokeSession`
 *   touch:after:N          right after the N-th `store.touchSession` (authenticate)
 */
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

const spec = process.env.TESSERA_FAULT;

function die(): never {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable");
}

if (spec) {
  const [method, point, nText, kText] = spec.split(":");
  const n = Number(nText);
  const k = Number(kText ?? "1");
  const prototype = SqliteStore.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const target = { commit: "commit", revoke: "revokeSession", touch: "touchSession" }[method ?? ""];
  if (!target || !["before", "inside", "after"].includes(point ?? "") || !Number.isInteger(n)) {
    throw new Error(`TESSERA_FAULT must look like commit:after:12, got "${spec}"`);
  }
  const original = prototype[target]!;
  let calls = 0;
  let armedInside = false;
  let appliedInside = 0;
  if (point === "inside") {
    const applyChange = prototype.applyChange!;
    prototype.applyChange = function (this: unknown, ...args: unknown[]) {
      const result = applyChange.apply(this, args);
      if (armedInside && ++appliedInside >= k) die();
      return result;
    };
  }
  prototype[target] = function (this: unknown, ...args: unknown[]) {
    calls++;
    if (calls === n && point === "before") die();
    if (calls === n && point === "inside") armedInside = true;
    // The SQLite store works synchronously: when this returns, the write is committed (or not).
    const result = original.apply(this, args);
    if (calls === n && point === "after") die();
    return result;
  };
}
