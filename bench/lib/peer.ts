/**
 * @module The Better Auth peer (../shared/peers/better-auth): a cached, writable install (its
 * `npm install` builds better-sqlite3 from source, about two minutes, so it is done once and kept
 * under bench/.peer/), and starting and seeding it for a run.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface PeerInstall {
  dir: string;
  /** better-auth version actually installed. */
  betterAuthVersion: string;
  betterSqliteVersion: string;
  installedNow: boolean;
  installSeconds: number;
}

const SOURCE_FILES = ["package.json", "auth.mjs", "server.mjs", "seed.mjs"];

function fingerprint(dir: string): string {
  return SOURCE_FILES.map((file) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8") : "")).join("\u0000");
}

function installedVersion(dir: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "";
  }
}

/**
 * Makes sure `cacheDir/better-auth` is a copy of `sourceDir` with its dependencies installed and
 * better-sqlite3's native module built; reinstalls when the peer's sources differ from the copy.
 */
export function ensurePeerInstalled(sourceDir: string, cacheDir: string, log: (line: string) => void): PeerInstall {
  const dir = join(cacheDir, "better-auth");
  const nativeModule = join(dir, "node_modules/better-sqlite3/build/Release/better_sqlite3.node");
  if (existsSync(nativeModule) && fingerprint(dir) === fingerprint(sourceDir)) {
    return {
      dir,
      betterAuthVersion: installedVersion(dir, "better-auth"),
      betterSqliteVersion: installedVersion(dir, "better-sqlite3"),
      installedNow: false,
      installSeconds: 0,
    };
  }
  log(`installing the Better Auth peer into ${dir} (npm install builds better-sqlite3: about 2 minutes, once)`);
  const started = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of SOURCE_FILES) cpSync(join(sourceDir, file), join(dir, file));
  const install = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 15 * 60_000,
  });
  if (install.status !== 0 || !existsSync(nativeModule)) {
    throw new Error(`npm install of the peer failed (status ${install.status}${install.error ? `, ${install.error.message}` : ""})`);
  }
  return {
    dir,
    betterAuthVersion: installedVersion(dir, "better-auth"),
    betterSqliteVersion: installedVersion(dir, "better-sqlite3"),
    installedNow: true,
    installSeconds: (performance.now() - started) / 1000,
  };
}
