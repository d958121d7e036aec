/**
 * @module Seeding process: creates the benchmark project and its realistic data in a fresh
 * database, then writes the fixtures (credentials, token pools) the load generator needs. The
 * project and its keys go through the service layer; organizations (validated by the service's
 * `build`) and members through the store's `commit`, batched; sessions through `commit` as well
 * with `--seed-path store`, or by default through a direct SQLite path with the store's row
 * format (see directSessionSink), checked by reading a sample back through the store.
 *
 * Shape of the data (defaults: 1,000 organizations, 10,000 members, 100,000 sessions):
 * - organizations `bench-org-<i>`; the last 30 % have `mfa_policy: REQUIRED_FOR_ALL` (so the MFA
 *   path has 3,000 members, each with 5 SMS sends per minute before the send limit applies);
 * - members in contiguous blocks (10 per organization); member m and member m + members/2 are
 *   the same person (same email), so every person belongs to one organization in the first half
 *   and one in the second; every member has its own phone number;
 * - sessions dealt round-robin over the members (session k belongs to member k mod members), one
 *   magic-link factor each; every tenth round is already expired.
 *
 *     node dist/bench/seed.js --database-url sqlite:<file> --project-id <id> --secret <s> --out <fixtures.json>
 *       [--organizations 1000] [--members 10000] [--sessions 100000] [--pool 1000]
 *       [--mfa-fraction 0.3] [--seed-path direct|store]
 *
 * Any DATABASE_URL the server accepts works (PostgreSQL through the store path only).
 */
import Database from "better-sqlite3";
import assert from "node:assert/strict";
import { randomBytes, randomFillSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildServices, openStore } from "../src/app.js";
import { newSessionToken, newStytchId, type RandomSource } from "../src/crypto/random.js";
import { sha256 } from "../src/crypto/token-hash.js";
import { rfc3339, systemClock } from "../src/domain/time.js";
import type { AuthenticationFactor, Member, Organization, Session } from "../src/domain/types.js";
import type { Change, Store } from "../src/store/store.js";
import type { ExchangePair, Fixtures } from "./lib/fixtures.js";

/** M2M clients seeded; 200 keeps every client far below its 1,200 grants per minute at any rate this machine reaches. */
const M2M_BENCH_CLIENTS = 200;
import { isMainModule } from "./lib/main-module.js";

const BATCH = 10_000;
/** Sessions per transaction on the direct path. */
const DIRECT_BATCH = 50_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface SeedPlan {
  organizations: number;
  members: number;
  sessions: number;
  mfaFraction: number;
}

/** Which organization member m belongs to (contiguous blocks). */
export function organizationOfMember(m: number, plan: SeedPlan): number {
  return Math.floor((m * plan.organizations) / plan.members);
}

/** The person member m is: members m and m + persons share an email address. */
export function personOfMember(m: number, plan: SeedPlan): number {
  const persons = Math.floor(plan.members / 2);
  return m < persons ? m : m - persons;
}

export function mfaOrganizationCount(plan: SeedPlan): number {
  return Math.ceil(plan.organizations * plan.mfaFraction);
}

/** Rounds of the round-robin deal whose sessions are seeded expired: every tenth. */
export function isExpiredRound(round: number): boolean {
  return round % 10 === 9;
}

export function checkPlan(plan: SeedPlan): void {
  if (plan.organizations < 4) throw new Error("--organizations must be at least 4");
  if (plan.members < 2 * plan.organizations) throw new Error("--members must be at least twice --organizations (two per organization)");
  if (plan.members % 2 !== 0) throw new Error("--members must be even (every person is two members)");
  if (plan.sessions < plan.members) throw new Error("--sessions must be at least --members (the pools use each member's first session)");
  if (!(plan.mfaFraction > 0 && plan.mfaFraction < 0.5)) throw new Error("the MFA fraction must be in (0, 0.5)");
}

/**
 * A CSPRNG source that draws from a 64 KiB pool (one randomFillSync per pool instead of one
 * randomBytes call per id, whose per-call overhead was a seventh of seeding's CPU).
 */
export function pooledRandom(poolBytes = 65_536): RandomSource {
  const pool = Buffer.alloc(poolBytes);
  let offset = poolBytes;
  return {
    bytes(length) {
      if (length > poolBytes) return randomBytes(length);
      if (offset + length > poolBytes) {
        randomFillSync(pool);
        offset = 0;
      }
      const out = Buffer.from(pool.subarray(offset, offset + length));
      offset += length;
      return out;
    },
  };
}

interface SessionSink {
  add(session: Session, tokenHash: Buffer): Promise<void>;
  finish(): Promise<void>;
}

/** Sessions through the store's own `commit` (insert_session changes), BATCH per transaction. */
function storeSessionSink(commit: (changes: Change[]) => Promise<void>): SessionSink {
  let changes: Change[] = [];
  return {
    async add(session, tokenHash) {
      changes.push({ kind: "insert_session", session, tokenHash });
      if (changes.length === BATCH) {
        await commit(changes);
        changes = [];
      }
    },
    async finish() {
      if (changes.length > 0) await commit(changes);
    },
  };
}

/**
 * The fast path for large tables: a second connection to the same SQLite file with a large page
 * cache and no fsync per batch (a seed needs no durability until it is done: the file is
 * checkpointed and synced at the end), writing the row format of SqliteStore's `insert_session`
 * (same statement, same JSON columns). Through the store's 2 MB cache and forced commits,
 * 1,000,000 sessions take minutes (random keys in three indexes); this takes a fraction of it.
 * The read-back check after seeding proves the format still matches the store.
 */
async function directSessionSink(path: string, store: Store): Promise<SessionSink> {
  await store.ping();
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -524288"); // 512 MiB
  db.pragma("busy_timeout = 5000");
  const insert = db.prepare(
    `INSERT INTO sessions (session_id, project_id, organization_id, member_id, token_hash, started_at, last_accessed_at, expires_at,
       revoked_at, factors, custom_claims, roles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const json = (value: unknown): string => JSON.stringify(value);
  let rows: [Session, Buffer][] = [];
  const flush = db.transaction((batch: [Session, Buffer][]) => {
    for (const [s, tokenHash] of batch) {
      insert.run(s.sessionId, s.projectId, s.organizationId, s.memberId, tokenHash, s.startedAt, s.lastAccessedAt, s.expiresAt, s.revokedAt,
        json(s.factors), json(s.customClaims), json(s.roles));
    }
  });
  return {
    async add(session, tokenHash) {
      rows.push([session, tokenHash]);
      if (rows.length === DIRECT_BATCH) {
        flush.immediate(rows);
        rows = [];
      }
    },
    async finish() {
      if (rows.length > 0) flush.immediate(rows);
      db.pragma("synchronous = FULL");
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "database-url": { type: "string" },
      "project-id": { type: "string" },
      secret: { type: "string" },
      out: { type: "string" },
      organizations: { type: "string", default: "1000" },
      members: { type: "string", default: "10000" },
      sessions: { type: "string", default: "100000" },
      pool: { type: "string", default: "1000" },
      "mfa-fraction": { type: "string", default: "0.3" },
      "seed-path": { type: "string", default: "direct" },
    },
  });
  const databaseUrl = values["database-url"];
  if (!databaseUrl || !values["project-id"] || !values.secret || !values.out) {
    throw new Error("--database-url, --project-id, --secret and --out are required");
  }
  const sqlitePath = databaseUrl.startsWith("sqlite:") ? databaseUrl.slice("sqlite:".length) : null;
  const plan: SeedPlan = {
    organizations: Number(values.organizations),
    members: Number(values.members),
    sessions: Number(values.sessions),
    mfaFraction: Number(values["mfa-fraction"]),
  };
  checkPlan(plan);
  const poolSize = Number(values.pool);
  const seedPath = sqlitePath === null ? "store" : values["seed-path"];
  if (seedPath !== "direct" && seedPath !== "store") throw new Error("--seed-path is direct or store");
  const started = performance.now();
  const random = pooledRandom();
  const store = await openStore(databaseUrl);
  const services = buildServices(store, systemClock, random);
  const project = await services.projects.ensure(values["project-id"], values.secret, "bench");
  const env = project.environment;
  const now = systemClock.now();

  const commit = async (changes: Change[]): Promise<void> => {
    const result = await store.commit(changes);
    if (!result.ok) throw new Error(`seeding commit failed at ${result.failed}`);
  };

  // Organizations, through the service's own validation of settings.
  const mfaOrganizations = mfaOrganizationCount(plan);
  const organizations: Organization[] = [];
  for (let i = 0; i < plan.organizations; i++) {
    const mfa = i >= plan.organizations - mfaOrganizations;
    organizations.push(
      services.organizations.build(project, {
        organization_name: `Bench Org ${i}`,
        organization_slug: `bench-org-${i}`,
        ...(mfa ? { mfa_policy: "REQUIRED_FOR_ALL" as const } : {}),
      }),
    );
  }
  for (let i = 0; i < organizations.length; i += BATCH) {
    await commit(organizations.slice(i, i + BATCH).map((organization) => ({ kind: "insert_organization", organization })));
  }

  // Members: the row shape MemberService.create writes, active, with a phone number each.
  const members: Member[] = [];
  for (let m = 0; m < plan.members; m++) {
    const organization = organizations[organizationOfMember(m, plan)]!;
    const person = personOfMember(m, plan);
    members.push({
      projectId: project.projectId,
      organizationId: organization.organizationId,
      memberId: newStytchId("member", env, random),
      emailId: newStytchId("email", env, random),
      emailAddress: `person-${person}@bench.example.com`,
      emailAddressVerified: true,
      status: "active",
      name: `Person ${person}`,
      externalId: null,
      trustedMetadata: {},
      untrustedMetadata: {},
      isBreakglass: false,
      mfaEnrolled: false,
      mfaPhoneNumber: `+1555${String(m).padStart(7, "0")}`,
      mfaPhoneNumberVerified: false,
      defaultMfaMethod: "",
      totpRegistrationId: "",
      memberPasswordId: "",
      roleIds: [],
      createdAt: now - 30 * DAY_MS,
      updatedAt: now - 30 * DAY_MS,
    });
  }
  for (let i = 0; i < members.length; i += BATCH) {
    await commit(members.slice(i, i + BATCH).map((member) => ({ kind: "insert_member", member })));
  }

  // Sessions: dealt round-robin; the pools keep the tokens of each member's first (round 0) session.
  const firstToken: string[] = new Array<string>(plan.members);
  const firstSession: Session[] = new Array<Session>(plan.members);
  let expiredSessions = 0;
  const sink = seedPath === "direct" && sqlitePath !== null ? await directSessionSink(sqlitePath, store) : storeSessionSink(commit);
  for (let k = 0; k < plan.sessions; k++) {
    const m = k % plan.members;
    const round = Math.floor(k / plan.members);
    const member = members[m]!;
    const expired = isExpiredRound(round);
    if (expired) expiredSessions++;
    const startedAt = now - ((k * 7919) % DAY_MS) - (expired ? 8 * DAY_MS : 0);
    const factor: AuthenticationFactor = {
      type: "magic_link",
      delivery_method: "email",
      last_authenticated_at: rfc3339(startedAt),
      email_factor: { email_id: member.emailId, email_address: member.emailAddress },
    };
    const session: Session = {
      projectId: project.projectId,
      sessionId: newStytchId("member-session", env, random),
      organizationId: member.organizationId,
      memberId: member.memberId,
      startedAt,
      lastAccessedAt: startedAt,
      expiresAt: expired ? now - DAY_MS : now + 7 * DAY_MS,
      revokedAt: null,
      factors: [factor],
      customClaims: {},
      roles: ["stytch_member"],
    };
    const token = newSessionToken(random);
    if (round === 0) {
      firstToken[m] = token;
      firstSession[m] = session;
    }
    await sink.add(session, sha256(token));
  }
  await sink.finish();
  // Whatever path wrote them, the store must read the sessions back exactly as written.
  for (let m = 0; m < plan.members; m += Math.max(1, Math.floor(plan.members / 50))) {
    const read = await store.findSessionByTokenHash(project.projectId, sha256(firstToken[m]!));
    assert.deepStrictEqual(read, firstSession[m], "a seeded session does not read back through the store");
  }

  // Pools.
  const persons = plan.members / 2;
  const orgById = new Map(organizations.map((organization) => [organization.organizationId, organization]));
  const authenticate: Fixtures["authenticate"] = [];
  const authCount = Math.min(poolSize, plan.members);
  for (let i = 0; i < authCount; i++) {
    // Spread over members (and so over organizations and the whole token-hash index).
    const m = Math.floor((i * plan.members) / authCount);
    const session = firstSession[m]!;
    const jwt = await services.sessions.mintJwt(project, session, orgById.get(session.organizationId)!);
    authenticate.push({ token: firstToken[m]!, jwt });
  }
  // No-MFA people: person p's second membership (p + persons) is in an organization below the MFA block.
  const firstMfaMember = members.findIndex((member) => orgById.get(member.organizationId)!.settings.mfa_policy === "REQUIRED_FOR_ALL");
  const noMfaPersons = firstMfaMember - persons;
  const exchange: ExchangePair[] = [];
  for (let i = 0; i < Math.min(poolSize, noMfaPersons); i++) {
    const p = Math.floor((i * noMfaPersons) / Math.min(poolSize, noMfaPersons));
    exchange.push({
      tokenA: firstToken[p]!,
      orgA: members[p]!.organizationId,
      tokenB: firstToken[p + persons]!,
      orgB: members[p + persons]!.organizationId,
    });
  }
  // MFA people: every one (each request a different member and phone until the pool wraps).
  const exchangeMfa: Fixtures["exchangeMfa"] = [];
  for (let m = firstMfaMember; m < plan.members; m++) {
    const p = m - persons;
    exchangeMfa.push({ token: firstToken[p]!, targetOrg: members[m]!.organizationId });
  }

  // M2M clients, through the service (keyed secret hashes as in production); grants rotate over them.
  const m2mClients: Fixtures["m2mClients"] = [];
  for (let i = 0; i < M2M_BENCH_CLIENTS; i++) {
    const created = await services.m2mClients.create(project, { scopes: ["read:invoices", "write:invoices", "read:*"], client_name: `bench-${i}` });
    m2mClients.push({ clientId: created.client.clientId, clientSecret: created.clientSecret });
  }

  await store.close();
  const fixtures: Fixtures = {
    projectId: project.projectId,
    secret: values.secret,
    counts: {
      organizations: plan.organizations,
      mfaOrganizations,
      members: plan.members,
      persons,
      sessions: plan.sessions,
      expiredSessions,
    },
    seedSeconds: (performance.now() - started) / 1000,
    authenticate,
    exchange,
    exchangeMfa,
    m2mClients,
  };
  writeFileSync(values.out, JSON.stringify(fixtures));
  process.stdout.write(`${JSON.stringify({ seedSeconds: fixtures.seedSeconds, counts: fixtures.counts })}\n`);
}

// Runs only as a script (the plan helpers are imported by tests).
if (isMainModule(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
