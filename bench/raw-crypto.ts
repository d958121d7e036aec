/**
 * @module The physical limits a request cannot beat, measured on this machine in a process of
 * its own (pinned to the server's core when pinning is on):
 * - raw RS256 signing: `crypto.sign("sha256", input, <RSA-2048 key>)` in a tight loop, the issue's
 *   reference for "signatures per second per core" (per second of CPU time, so that other
 *   processes on the core do not lower it; the wall-clock rate is kept beside it);
 * - a whole session JWT mint as `signJwt` does it (JSON, base64url, signature);
 * - RS256 verification (what authenticate-by-JWT pays);
 * - one forced SQLite commit (WAL, synchronous=FULL, as the store runs) on the disk of the
 *   benchmark databases: what group commit would amortize.
 *
 *     node dist/bench/raw-crypto.js [--seconds 2] [--sqlite-dir <dir>]   → one JSON line
 */
import Database from "better-sqlite3";
import { generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { signJwt } from "../src/crypto/session-jwt.js";
import { sessionJwtClaims } from "../src/domain/session-claims.js";
import type { Session } from "../src/domain/types.js";
import { isMainModule } from "./lib/main-module.js";

export interface RawRates {
  /**
   * Signatures per second of CPU time of the measuring process: the machine's single-core rate
   * even when other processes share the core (then the wall-clock rate below is lower).
   */
  rs256SignPerSecond: number;
  rs256SignMicros: number;
  /** Signatures per second of wall time (equal to the above on a quiet machine). */
  rs256SignPerWallSecond: number;
  jwtMintPerSecond: number;
  rs256VerifyPerSecond: number;
  signingInputBytes: number;
  /** Wall time of one forced commit (mostly waiting for the disk) … */
  sqliteCommitMicros: number | null;
  sqliteCommitsPerSecond: number | null;
  /** … and the CPU time it costs (user + system: the write, the fsync's kernel work). */
  sqliteCommitCpuMicros: number | null;
  seconds: number;
}

/**
 * Calls `work` in a tight loop for about `seconds` (checking the clock every `batch` calls);
 * returns calls per wall second and per second of this process's CPU time.
 */
function measureRate(seconds: number, batch: number, work: () => void): { perWallSecond: number; perCpuSecond: number } {
  for (let i = 0; i < batch; i++) work(); // warm-up
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const deadline = started + seconds * 1000;
  let count = 0;
  let now = started;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) work();
    count += batch;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStarted);
  return { perWallSecond: count / ((now - started) / 1000), perCpuSecond: count / ((cpu.user + cpu.system) / 1e6) };
}

function rate(seconds: number, batch: number, work: () => void): number {
  return measureRate(seconds, batch, work).perCpuSecond;
}

/** A signing input shaped like a Tessera session JWT (one magic-link factor, no custom claims). */
export function sampleSigningInput(): { claims: Record<string, unknown>; input: Buffer } {
  const now = Date.now();
  const projectId = "project-test-11111111-2222-4333-8444-555555555555";
  const session: Session = {
    projectId,
    sessionId: "member-session-test-0b7f6c1e-6a3c-4c1e-9a4b-7d7f3f0e2a11",
    organizationId: "organization-test-5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    memberId: "member-test-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    startedAt: now,
    lastAccessedAt: now,
    expiresAt: now + 3_600_000,
    revokedAt: null,
    factors: [
      {
        type: "magic_link",
        delivery_method: "email",
        last_authenticated_at: new Date(now).toISOString(),
        email_factor: { email_id: "email-test-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", email_address: "person-42@bench.example.com" },
      },
    ],
    customClaims: {},
    roles: ["stytch_member"],
  };
  const claims = sessionJwtClaims({ projectId, session, organizationSlug: "bench-org-4", issuedAt: now });
  const header = { alg: "RS256", kid: "jwk-test-00000000-0000-4000-8000-000000000000", typ: "JWT" };
  const input = Buffer.from(
    `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`,
  );
  return { claims, input };
}

export function measureSqliteCommit(dir: string, seconds: number): { perWallSecond: number; perCpuSecond: number } {
  const scratch = mkdtempSync(join(dir, "commit-"));
  try {
    const db = new Database(join(scratch, "commit.db"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
    const insert = db.prepare("INSERT INTO t (payload) VALUES (?)");
    const payload = Buffer.alloc(400, 7);
    const commit = db.transaction(() => insert.run(payload));
    const rates = measureRate(seconds, 20, () => commit.immediate());
    db.close();
    return rates;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function measureRaw(seconds: number, sqliteDir: string | null): RawRates {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 }) as { privateKey: KeyObject; publicKey: KeyObject };
  const { claims, input } = sampleSigningInput();
  const signing = measureRate(seconds, 16, () => sign("sha256", input, privateKey));
  const rs256SignPerSecond = signing.perCpuSecond;
  const jwtMintPerSecond = rate(seconds / 2, 16, () => signJwt(claims, "jwk-test-00000000-0000-4000-8000-000000000000", privateKey));
  const signature = sign("sha256", input, privateKey);
  const rs256VerifyPerSecond = rate(seconds / 2, 64, () => verify("sha256", input, publicKey, signature));
  // Wall clock for the rate: a commit's cost is mostly waiting for the disk.
  const commits = sqliteDir === null ? null : measureSqliteCommit(sqliteDir, seconds / 2);
  const commitsPerSecond = commits?.perWallSecond ?? null;
  return {
    rs256SignPerSecond,
    rs256SignMicros: 1e6 / rs256SignPerSecond,
    rs256SignPerWallSecond: signing.perWallSecond,
    jwtMintPerSecond,
    rs256VerifyPerSecond,
    signingInputBytes: input.length,
    sqliteCommitMicros: commitsPerSecond === null ? null : 1e6 / commitsPerSecond,
    sqliteCommitsPerSecond: commitsPerSecond,
    sqliteCommitCpuMicros: commits === null ? null : 1e6 / commits.perCpuSecond,
    seconds,
  };
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "2" }, "sqlite-dir": { type: "string" } } });
  process.stdout.write(`${JSON.stringify(measureRaw(Number(values.seconds), values["sqlite-dir"] ?? null))}\n`);
}
