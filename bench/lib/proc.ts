/**
 * @module What the kernel says about a process: CPU time (utime + stime of all its threads) and
 * resident memory (current, peak), read from /proc. Linux only; elsewhere every reader returns null.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

let clockTicks: number | undefined;

/** Kernel clock ticks per second (`getconf CLK_TCK`), the unit of utime/stime; 100 if unknown. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * utime and stime in clock ticks from the text of /proc/<pid>/stat. The command name (field 2)
 * may contain spaces and parentheses, so fields are counted after its last ')'.
 */
export function parseStatCpuTicks(stat: string): { user: number; system: number } {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const user = Number(rest[11]);
  const system = Number(rest[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) throw new Error(`unparseable /proc stat: ${stat.slice(0, 80)}`);
  return { user, system };
}

/** CPU seconds the process has used so far (all threads), user and system, or null. */
export function cpuTimes(pid: number): { user: number; system: number; total: number } | null {
  try {
    const ticks = parseStatCpuTicks(readFileSync(`/proc/${pid}/stat`, "utf8"));
    const hz = clockTicksPerSecond();
    return { user: ticks.user / hz, system: ticks.system / hz, total: (ticks.user + ticks.system) / hz };
  } catch {
    return null;
  }
}

/** CPU seconds the process has used so far (all threads, user + system), or null. */
export function cpuSeconds(pid: number): number | null {
  return cpuTimes(pid)?.total ?? null;
}

/** A `Vm*` field of /proc/<pid>/status in MiB (e.g. VmRSS, VmHWM = peak RSS), or null. */
export function statusMiB(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Resets the peak-RSS watermark (VmHWM) to the current RSS (`echo 5 > /proc/<pid>/clear_refs`,
 * Linux ≥ 4.0), so a later VmHWM is the peak of what ran in between. False when not permitted.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * The main thread's scheduler statistics (/proc/<pid>/schedstat: seconds on a CPU, seconds
 * runnable but waiting for one), or null. For a Node server the main thread is the event loop:
 * wall time minus both is time it was blocked (fsync, I/O) or idle.
 */
export function mainThreadSchedstat(pid: number): { onCpu: number; waitingForCpu: number } | null {
  try {
    const [onCpu, waiting] = readFileSync(`/proc/${pid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
    if (onCpu === undefined || waiting === undefined || !Number.isFinite(onCpu) || !Number.isFinite(waiting)) return null;
    return { onCpu: onCpu / 1e9, waitingForCpu: waiting / 1e9 };
  } catch {
    return null;
  }
}

/** 1-minute load average (a noise indicator: other work on the machine during a scenario). */
export function loadAverage1m(): number | null {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return null;
  }
}
