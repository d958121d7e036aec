/** @module The machine a run happened on, as results.json records it. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, hostname, release, totalmem } from "node:os";
import { resolve } from "node:path";

export interface MachineInfo {
  hostname: string;
  /** `nproc`: CPUs this process may run on. */
  nproc: number;
  cpuModel: string;
  /** /proc/cpuinfo `cpu family` / `model`, e.g. 25 / 1 for AMD Zen 3 "Milan". */
  cpuFamily: string;
  cpuModelNumber: string;
  cpuMHz: number | null;
  /**
   * CPU features that change the cost of the work measured: avx512ifma (OpenSSL 3's RSA
   * fast path: RS256 signing is ~3–4× faster than without), sha_ni (SHA-256), aes/vaes.
   */
  cpuFlags: string[];
  memoryGiB: number;
  kernel: string;
  node: string;
  openssl: string;
  /** Filesystem type holding the benchmark databases (tmpfs would make fsync free and the figures meaningless). */
  workDirFilesystem: string;
  tasksetAvailable: boolean;
}

function cpuinfoField(text: string, field: string): string {
  return new RegExp(`^${field}\\s*:\\s*(.*)$`, "m").exec(text)?.[1]?.trim() ?? "";
}

/** The filesystem type of the longest /proc/mounts mount point that contains `path`. */
export function filesystemOf(path: string): string {
  try {
    const absolute = resolve(path);
    let best = { mountPoint: "", type: "unknown" };
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [, mountPoint, type] = line.split(" ");
      if (!mountPoint || !type) continue;
      const inside = absolute === mountPoint || absolute.startsWith(mountPoint.endsWith("/") ? mountPoint : `${mountPoint}/`);
      if (inside && mountPoint.length >= best.mountPoint.length) best = { mountPoint, type };
    }
    return best.type;
  } catch {
    return "unknown";
  }
}

export function commandExists(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function machineInfo(workDir: string): MachineInfo {
  let cpuinfo = "";
  try {
    cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // not Linux
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || nproc;
  } catch {
    // keep os.cpus()
  }
  const mhz = Number(cpuinfoField(cpuinfo, "cpu MHz"));
  return {
    hostname: hostname(),
    nproc,
    cpuModel: cpuinfoField(cpuinfo, "model name") || (cpus()[0]?.model ?? "unknown"),
    cpuFamily: cpuinfoField(cpuinfo, "cpu family"),
    cpuModelNumber: cpuinfoField(cpuinfo, "model"),
    cpuMHz: Number.isFinite(mhz) && mhz > 0 ? mhz : null,
    cpuFlags: cpuinfoField(cpuinfo, "flags")
      .split(" ")
      .filter((flag) => ["avx2", "avx512f", "avx512ifma", "sha_ni", "aes", "vaes"].includes(flag)),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    openssl: process.versions.openssl ?? "",
    workDirFilesystem: filesystemOf(workDir),
    tasksetAvailable: commandExists("taskset"),
  };
}
