/**
 * @module The PostgreSQL adapter (node-postgres `Pool`): numbered migrations applied under an
 * advisory lock, one pooled client per multi-row method inside BEGIN … COMMIT, and conditional
 * single statements wherever a method must decide on the current row state. PostgreSQL runs
 * READ COMMITTED, so every "only if still live" rule is written into the WHERE clause of the one
 * statement that changes the row, never read first and written after.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool, type PoolClient } from "pg";
import type {
  EpochMs,
  IntermediateSession,
  Member,
  OneTimeSecret,
  OneTimeSecretPurpose,
  Organization,
  OutboxMessage,
  Project,
  RecoveryCode,
  SecurityEvent,
  Session,
  SigningKey,
  TotpRegistration,
} from "../../domain/types.js";
import { memberPredicate, organizationPredicate, paginate } from "../search.js";
import { StoreConflict, StoreUnavailable, type Change, type CommitResult, type Page, type SearchQuery, type Store } from "../store.js";
import { rowMappers, type Row } from "../rows.js";
import { numberPlaceholders, uniqueConstraintName, type AtomicResult, type SqlExecutor, type SqlStatement, type SqlValue } from "../sql/executor.js";
import { roundTrips, type RoundTripTally } from "../round-trips.js";
import { StatementBatcher } from "./batcher.js";

/** Migrations ship as .sql files beside the sources; compiled code finds them from the package root. */
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../../src/store/postgres/migrations");

/** First key of the two-int advisory lock taken while migrating; the second is the schema's hash. */
const MIGRATION_LOCK_KEY = 0x7e55e7a;

/** How often a transaction that lost a deadlock or serialization race is tried in all. */
const TRANSACTION_ATTEMPTS = 3;


export interface PostgresStoreOptions {
  /**
   * Schema holding Tessera's tables; created by `migrate()` if missing and put first on every
   * connection's `search_path`. Default: the connection's own `search_path` (usually `public`).
   */
  schema?: string;
  /** Most connections the pool opens at once. Default 10. */
  poolSize?: number;
  /** How long to wait for a connection (new or from a full pool) before StoreUnavailable. Default 10 000 ms. */
  connectionTimeoutMs?: number;
}

const json = (value: unknown): string => JSON.stringify(value);

/** Row → domain mapping (src/store/rows.ts) with this driver's column types. */
const fromRow = rowMappers({ bool: (value) => value === true, json: <T>(value: unknown) => value as T });
const int = (value: unknown): number => Number(value);

/** Values for MEMBER_COLUMNS, in order. JSON goes as text: node-postgres would send a JS array as a SQL array. */
function memberValues(member: Member): unknown[] {
  return [
    member.memberId,
    member.projectId,
    member.organizationId,
    member.emailId,
    member.emailAddress,
    member.emailAddress.toLowerCase(),
    member.emailAddressVerified,
    member.status,
    member.name,
    member.externalId,
    json(member.trustedMetadata),
    json(member.untrustedMetadata),
    member.isBreakglass,
    member.mfaEnrolled,
    member.mfaPhoneNumber,
    member.mfaPhoneNumberVerified,
    member.defaultMfaMethod,
    member.totpRegistrationId,
    member.memberPasswordId,
    json(member.roleIds),
    member.createdAt,
    member.updatedAt,
  ];
}

const MEMBER_COLUMNS = [
  "member_id", "project_id", "organization_id", "email_id", "email_address", "email_normalized", "email_address_verified",
  "status", "name", "external_id", "trusted_metadata", "untrusted_metadata", "is_breakglass", "mfa_enrolled",
  "mfa_phone_number", "mfa_phone_number_verified", "default_mfa_method", "totp_registration_id", "member_password_id",
  "role_ids", "created_at", "updated_at",
];

/** Values for ORGANIZATION_COLUMNS, in order. */
function organizationValues(org: Organization): unknown[] {
  return [
    org.organizationId,
    org.projectId,
    org.name,
    org.slug,
    org.logoUrl,
    org.externalId,
    json(org.trustedMetadata),
    json(org.settings),
    org.createdAt,
    org.updatedAt,
  ];
}

const ORGANIZATION_COLUMNS = [
  "organization_id", "project_id", "name", "slug", "logo_url", "external_id", "trusted_metadata", "settings", "created_at", "updated_at",
];

const placeholders = (count: number): string => Array.from({ length: count }, (_, index) => `$${index + 1}`).join(", ");

const INSERT_ORGANIZATION = `INSERT INTO organizations (${ORGANIZATION_COLUMNS.join(", ")}) VALUES (${placeholders(ORGANIZATION_COLUMNS.length)})`;
const INSERT_MEMBER = `INSERT INTO members (${MEMBER_COLUMNS.join(", ")}) VALUES (${placeholders(MEMBER_COLUMNS.length)})`;

/**
 * Rewrites every column of a member but its ids and creation time (see updateMemberValues). A
 * deleted member is left alone: an update built from a read before the delete must not undo it.
 */
const UPDATE_MEMBER = `UPDATE members SET email_id = $3, email_address = $4, email_normalized = $5, email_address_verified = $6, status = $7,
    name = $8, external_id = $9, trusted_metadata = $10, untrusted_metadata = $11, is_breakglass = $12, mfa_enrolled = $13,
    mfa_phone_number = $14, mfa_phone_number_verified = $15, default_mfa_method = $16, totp_registration_id = $17,
    member_password_id = $18, role_ids = $19, updated_at = $20
  WHERE member_id = $1 AND project_id = $2 AND status <> 'deleted'`;

function updateMemberValues(member: Member): unknown[] {
  return [
    member.memberId, member.projectId, member.emailId, member.emailAddress, member.emailAddress.toLowerCase(),
    member.emailAddressVerified, member.status, member.name, member.externalId, json(member.trustedMetadata),
    json(member.untrustedMetadata), member.isBreakglass, member.mfaEnrolled, member.mfaPhoneNumber,
    member.mfaPhoneNumberVerified, member.defaultMfaMethod, member.totpRegistrationId, member.memberPasswordId,
    json(member.roleIds), member.updatedAt,
  ];
}

const INSERT_SESSION = `INSERT INTO sessions (session_id, project_id, organization_id, member_id, token_hash, started_at, last_accessed_at,
    expires_at, revoked_at, factors, custom_claims, roles) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;

/** INSERT_SESSION guarded by the liveness of session $13 (project $14, at $15), as one statement. */
const INSERT_SESSION_IF_LIVE = `INSERT INTO sessions (session_id, project_id, organization_id, member_id, token_hash, started_at,
    last_accessed_at, expires_at, revoked_at, factors, custom_claims, roles)
  SELECT $1::text, $2::text, $3::text, $4::text, $5::bytea, $6::bigint, $7::bigint, $8::bigint, $9::bigint, $10::json, $11::json, $12::json
  WHERE EXISTS (SELECT 1 FROM sessions WHERE session_id = $13 AND project_id = $14 AND revoked_at IS NULL AND expires_at > $15 FOR SHARE)`;

function sessionValues(session: Session, tokenHash: Buffer): unknown[] {
  return [
    session.sessionId, session.projectId, session.organizationId, session.memberId, tokenHash, session.startedAt,
    session.lastAccessedAt, session.expiresAt, session.revokedAt, json(session.factors), json(session.customClaims), json(session.roles),
  ];
}

/** A rate-limit hit waiting for the next batched upsert. */
interface PendingRateLimitHit {
  key: string;
  windowStart: number;
  windowMs: number;
  limit: number;
  now: EpochMs;
  tally: RoundTripTally | null;
  resolve(result: { allowed: boolean; retryAfterMs: number }): void;
  reject(error: unknown): void;
}

/** A security event waiting for the next batched INSERT. */
interface PendingSecurityEvent {
  event: SecurityEvent;
  tally: RoundTripTally | null;
  resolve(): void;
  reject(error: unknown): void;
}

/** Thrown inside a commit's transaction to roll it back when a precondition does not hold. */
class PreconditionFailed extends Error {
  constructor(
    readonly index: number,
    readonly kind: Change["kind"],
  ) {
    super(`precondition failed: ${kind}`);
  }
}

/** Unique constraints (index names in 001_core.sql) that callers are told about. */
const CONFLICTS: Record<string, StoreConflict["constraint"]> = {
  organizations_slug: "organization_slug",
  organizations_external_id: "organization_external_id",
  members_email: "member_email",
  members_external_id: "member_external_id",
  projects_pkey: "project_id",
};

/** Socket-level failures reaching the server. */
const NETWORK_ERRNOS = new Set([
  "ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE",
]);

/**
 * SQLSTATEs meaning "not usable right now": 57P01-57P03 shutdown / crash / starting up, 53xxx out
 * of connections, memory or disk, 25006 read-only (a standby after failover), 55P03 lock not
 * available and 57014 statement cancelled (the counterparts of SQLITE_BUSY). Class 08 is checked apart.
 */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53000", "53100", "53200", "53300", "53400", "25006", "55P03", "57014"]);

/** node-postgres reports a lost or never-made connection by message only. */
const UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout)/;

/**
 * Maps driver errors to the store's two typed failures: a unique violation (23505) on a named
 * constraint becomes StoreConflict, an unreachable or unusable server StoreUnavailable. Anything
 * else is a bug or an unnamed constraint and passes through unchanged.
 */
export function translatePgError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof StoreConflict || error instanceof StoreUnavailable) return error;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (code === "23505") {
    const conflict = typeof constraint === "string" ? CONFLICTS[constraint] : undefined;
    return conflict ? new StoreConflict(conflict) : error;
  }
  if (typeof code === "string" && (NETWORK_ERRNOS.has(code) || code.startsWith("08") || UNAVAILABLE_SQLSTATES.has(code))) {
    return new StoreUnavailable(error);
  }
  if (code === undefined && UNAVAILABLE_MESSAGES.test(error.message)) return new StoreUnavailable(error);
  return error;
}

/** A lost deadlock or serialization race: the whole transaction may simply run again. */
const isRetryable = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001";
};

/** Schema names are put into SQL and startup options, so only plain lower-case identifiers are accepted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The connection string with `-c search_path=<schema>` appended to its startup `options`. */
function withSearchPath(connectionString: string, schema: string): string {
  const url = new URL(connectionString);
  const options = [url.searchParams.get("options"), `-c search_path=${schema}`].filter(Boolean).join(" ");
  url.searchParams.set("options", options);
  return url.toString();
}

/** Query parameters of DATABASE_URL that configure Tessera rather than the connection. */
const TESSERA_URL_PARAMETERS = { schema: "schema", poolSize: "pool_size", connectTimeoutMs: "connect_timeout_ms" } as const;

/**
 * Splits a `postgres://` DATABASE_URL into the connection string for node-postgres and the store
 * options carried as query parameters: `schema=<name>` and `pool_size=<n>`. Everything else
 * (host, credentials, `sslmode`, `application_name`, …) stays in the connection string.
 * @example parsePostgresUrl("postgres://db/tessera?pool_size=20&sslmode=require")
 * // → { connectionString: "postgres://db/tessera?sslmode=require", options: { poolSize: 20 } }
 */
export function parsePostgresUrl(databaseUrl: string): { connectionString: string; options: PostgresStoreOptions } {
  const url = new URL(databaseUrl);
  const options: PostgresStoreOptions = {};
  const schema = url.searchParams.get(TESSERA_URL_PARAMETERS.schema);
  if (schema !== null) options.schema = schema;
  const poolSize = url.searchParams.get(TESSERA_URL_PARAMETERS.poolSize);
  if (poolSize !== null) {
    if (!/^\d+$/.test(poolSize)) throw new Error(`invalid pool_size "${poolSize}" in DATABASE_URL: use a positive integer`);
    options.poolSize = Number(poolSize);
  }
  const connectTimeoutMs = url.searchParams.get(TESSERA_URL_PARAMETERS.connectTimeoutMs);
  if (connectTimeoutMs !== null) {
    if (!/^\d+$/.test(connectTimeoutMs)) throw new Error(`invalid connect_timeout_ms "${connectTimeoutMs}" in DATABASE_URL: use a positive integer`);
    // How long a request waits for a connection before its 503: bound it when the host may go silent.
    options.connectionTimeoutMs = Number(connectTimeoutMs);
  }
  if (schema === null && poolSize === null && connectTimeoutMs === null) return { connectionString: databaseUrl, options };
  for (const name of Object.values(TESSERA_URL_PARAMETERS)) url.searchParams.delete(name);
  return { connectionString: url.toString(), options };
}

export class PostgresStore implements Store {
  private readonly pool: Pool;
  private readonly schema: string | null;
  private closed = false;

  /**
   * `connectionString` is a `postgres://` or `postgresql://` URL. Nothing connects until the first
   * call; an unreachable server then rejects with StoreUnavailable.
   * @example new PostgresStore("postgres://tessera@db:5432/tessera", { schema: "tessera", poolSize: 20 })
   */
  constructor(connectionString: string, options: PostgresStoreOptions = {}) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new Error(`invalid schema name "${options.schema}": use lower-case letters, digits and _`);
    }
    const poolSize = options.poolSize ?? 10;
    if (!Number.isInteger(poolSize) || poolSize < 1) throw new Error(`invalid pool size ${poolSize}: use a positive integer`);
    this.schema = options.schema ?? null;
    this.pool = new Pool({
      connectionString: this.schema === null ? connectionString : withSearchPath(connectionString, this.schema),
      max: poolSize,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    });
    // An idle connection that the server closes (restart, failover, idle timeout) is reported here
    // and dropped by the pool; the next query opens a new one. Without a listener Node would crash.
    this.pool.on("error", () => {});
  }

  /** One statement on any pooled connection, with driver errors translated. */
  private async query(text: string, values: unknown[] = []): Promise<Row[]> {
    roundTrips.note();
    try {
      return (await this.pool.query(text, values)).rows;
    } catch (error) {
      throw translatePgError(error);
    }
  }

  private async execute(text: string, values: unknown[] = []): Promise<number> {
    roundTrips.note();
    try {
      return (await this.pool.query(text, values)).rowCount ?? 0;
    } catch (error) {
      throw translatePgError(error);
    }
  }

  /**
   * Runs `work` between BEGIN and COMMIT on one pooled connection, ROLLBACK on any error. A lost
   * deadlock is run again (each method's transaction is short and safe to repeat).
   */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw translatePgError(error);
      }
      let broken: Error | undefined;
      // A checked-out client whose connection dies emits 'error' besides failing its query; with no
      // listener that would be an uncaught exception. Noting it also keeps the client out of the pool.
      const onConnectionError = (error: Error): void => {
        broken = error;
      };
      client.on("error", onConnectionError);
      const counted = countingClient(client);
      try {
        await counted.query("BEGIN");
        const result = await work(counted);
        await counted.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await counted.query("ROLLBACK");
        } catch (rollbackError) {
          // The connection is unusable: release(error) destroys it instead of pooling it.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        if (broken === undefined && isRetryable(error) && attempt < TRANSACTION_ATTEMPTS) continue;
        throw translatePgError(error);
      } finally {
        client.removeListener("error", onConnectionError);
        client.release(broken);
      }
    }
  }

  async migrate(): Promise<void> {
    const files = readdirSync(MIGRATIONS_DIR).filter((name) => /^\d{3}_.*\.sql$/.test(name)).sort();
    await this.transaction(async (client) => {
      // Several nodes may start at once: the first applies the migrations, the others wait for its
      // commit and then find nothing left to do. The lock is scoped to the schema being migrated.
      await client.query("SELECT pg_advisory_xact_lock($1::int, hashtext(coalesce($2::text, current_schema(), '')))", [
        MIGRATION_LOCK_KEY,
        this.schema,
      ]);
      if (this.schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)");
      const applied = new Set((await client.query("SELECT version FROM schema_migrations")).rows.map((row: Row) => Number(row.version)));
      for (const file of files) {
        const version = Number(file.slice(0, 3));
        if (applied.has(version)) continue;
        await client.query(readFileSync(join(MIGRATIONS_DIR, file), "utf8"));
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [version, Date.now()]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1");
  }

  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Batched writes already accepted (audit events, rate-limit hits) are sent, not dropped.
    await Promise.all([this.rateLimitHits.idle(), this.securityEvents.idle()]);
    await this.pool.end();
  }

  // Projects

  async insertProject(project: Project): Promise<void> {
    await this.execute("INSERT INTO projects (project_id, environment, name, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)", [
      project.projectId,
      project.environment,
      project.name,
      project.secretHash,
      project.createdAt,
    ]);
  }

  async findProject(projectId: string): Promise<Project | null> {
    const [row] = await this.query("SELECT * FROM projects WHERE project_id = $1", [projectId]);
    if (!row) return null;
    return {
      projectId: String(row.project_id),
      environment: String(row.environment) as Project["environment"],
      name: String(row.name),
      secretHash: row.secret_hash as Buffer,
      createdAt: int(row.created_at),
    };
  }

  async setProjectSecretHash(projectId: string, secretHash: Buffer): Promise<void> {
    await this.execute("UPDATE projects SET secret_hash = $1 WHERE project_id = $2", [secretHash, projectId]);
  }

  async countProjects(): Promise<number> {
    const [row] = await this.query("SELECT count(*) AS n FROM projects");
    return int(row?.n);
  }

  async listProjectIds(): Promise<string[]> {
    return (await this.query("SELECT project_id FROM projects ORDER BY created_at, project_id")).map((row) => String(row.project_id));
  }

  // Signing keys

  async listSigningKeys(projectId: string): Promise<SigningKey[]> {
    return (await this.query("SELECT * FROM signing_keys WHERE project_id = $1 ORDER BY created_at, kid", [projectId])).map(fromRow.signingKey);
  }

  private async insertSigningKey(client: PoolClient, key: SigningKey): Promise<void> {
    await client.query(
      `INSERT INTO signing_keys (kid, project_id, state, private_key_pem, certificate_der, created_at, activated_at, retired_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (kid) DO NOTHING`,
      [key.kid, key.projectId, key.state, key.privateKeyPem, key.certificateDer, key.createdAt, key.activatedAt, key.retiredAt],
    );
  }

  async insertSigningKeys(keys: SigningKey[]): Promise<void> {
    if (keys.length === 0) return;
    await this.transaction(async (client) => {
      for (const key of keys) await this.insertSigningKey(client, key);
    });
  }

  async insertFirstSigningKeys(keys: SigningKey[]): Promise<boolean> {
    const projects = new Set(keys.map((key) => key.projectId));
    if (projects.size > 1) throw new Error("insertFirstSigningKeys: keys of more than one project");
    const projectId = keys[0]?.projectId;
    if (projectId === undefined) return false;
    return this.transaction(async (client) => {
      // The project row lock (the one rotations take) queues racing first-key inserts; the check
      // below is a new statement, so the second one sees the first one's committed keys.
      await client.query("SELECT 1 FROM projects WHERE project_id = $1 FOR NO KEY UPDATE", [projectId]);
      const existing = await client.query("SELECT 1 FROM signing_keys WHERE project_id = $1 LIMIT 1", [projectId]);
      if ((existing.rowCount ?? 0) > 0) return false;
      for (const key of keys) await this.insertSigningKey(client, key);
      return true;
    });
  }

  async rotateSigningKeys(projectId: string, newNext: SigningKey, now: EpochMs, dropRetiredBefore: EpochMs): Promise<void> {
    await this.transaction(async (client) => {
      // Two rotations of one project must run one after the other: under READ COMMITTED the second
      // would otherwise promote the first one's new `next` while the first's promotion also stands,
      // leaving two `current` keys. NO KEY UPDATE does not block inserts that reference the project.
      await client.query("SELECT 1 FROM projects WHERE project_id = $1 FOR NO KEY UPDATE", [projectId]);
      await client.query("DELETE FROM signing_keys WHERE project_id = $1 AND state = 'retired' AND retired_at < $2", [projectId, dropRetiredBefore]);
      await client.query("UPDATE signing_keys SET state = 'retired', retired_at = $1 WHERE project_id = $2 AND state = 'current'", [now, projectId]);
      await client.query("UPDATE signing_keys SET state = 'current', activated_at = $1 WHERE project_id = $2 AND state = 'next'", [now, projectId]);
      await this.insertSigningKey(client, newNext);
    });
  }

  // Organizations

  async insertOrganization(org: Organization): Promise<void> {
    await this.execute(INSERT_ORGANIZATION, organizationValues(org));
  }

  async findOrganization(projectId: string, ref: string): Promise<Organization | null> {
    // An organization id takes precedence over slugs and external ids, so one read ahead by id is the answer.
    const ahead = this.takeReadAhead(`organization|${projectId}|${ref}`);
    if (ahead) return fromRow.organization(ahead);
    // Three indexed lookups in order of precedence, in one round trip.
    const [row] = await this.query(
      `SELECT * FROM (
         (SELECT o.*, 1 AS precedence FROM organizations o WHERE organization_id = $2 AND project_id = $1)
         UNION ALL (SELECT o.*, 2 FROM organizations o WHERE project_id = $1 AND slug = $2)
         UNION ALL (SELECT o.*, 3 FROM organizations o WHERE project_id = $1 AND external_id = $2 AND external_id IS NOT NULL)
       ) found ORDER BY precedence LIMIT 1`,
      [projectId, ref],
    );
    return row ? fromRow.organization(row) : null;
  }

  async updateOrganization(org: Organization): Promise<void> {
    this.forgetReadAhead();
    await this.execute(
      `UPDATE organizations SET name = $3, slug = $4, logo_url = $5, external_id = $6, trusted_metadata = $7, settings = $8, updated_at = $9
       WHERE organization_id = $1 AND project_id = $2`,
      [org.organizationId, org.projectId, org.name, org.slug, org.logoUrl, org.externalId, json(org.trustedMetadata), json(org.settings), org.updatedAt],
    );
  }

  async deleteOrganization(projectId: string, organizationId: string, now: EpochMs): Promise<boolean> {
    this.forgetReadAhead();
    return this.transaction(async (client) => {
      // Lock order organization → members → sessions, the same as deleteMember (member → sessions),
      // so concurrent deletes wait for each other instead of deadlocking. Locking the organization
      // also holds off members being inserted into it (their foreign key check needs a share lock).
      await client.query("SELECT 1 FROM organizations WHERE project_id = $1 AND organization_id = $2 FOR UPDATE", [projectId, organizationId]);
      await client.query("SELECT 1 FROM members WHERE project_id = $1 AND organization_id = $2 ORDER BY member_id FOR UPDATE", [
        projectId,
        organizationId,
      ]);
      await client.query("UPDATE sessions SET revoked_at = $1 WHERE project_id = $2 AND organization_id = $3 AND revoked_at IS NULL", [
        now,
        projectId,
        organizationId,
      ]);
      await client.query("DELETE FROM members WHERE project_id = $1 AND organization_id = $2", [projectId, organizationId]);
      const deleted = await client.query("DELETE FROM organizations WHERE project_id = $1 AND organization_id = $2", [projectId, organizationId]);
      return (deleted.rowCount ?? 0) > 0;
    });
  }

  async searchOrganizations(projectId: string, query: SearchQuery | null, cursor: string | null, limit: number): Promise<Page<Organization>> {
    const needsMembers = query?.operands.some((operand) => operand.filter_name.startsWith("member_")) ?? false;
    // One statement, so the organizations and the member emails they are filtered by are one snapshot.
    const rows = await this.query(
      `SELECT o.*, ${
        needsMembers
          ? `coalesce((SELECT json_agg(m.email_normalized) FROM members m
               WHERE m.organization_id = o.organization_id AND m.status <> 'deleted'), '[]'::json)`
          : `'[]'::json`
      } AS member_emails
       FROM organizations o WHERE o.project_id = $1 ORDER BY o.seq`,
      [projectId],
    );
    const emailsByOrganization = new Map<string, string[]>(rows.map((row) => [String(row.organization_id), row.member_emails as string[]]));
    const matches = organizationPredicate(query, (id) => emailsByOrganization.get(id) ?? []);
    return paginate(rows, fromRow.organization, matches, cursor, limit);
  }

  // Members

  async insertMember(member: Member): Promise<void> {
    await this.execute(INSERT_MEMBER, memberValues(member));
  }

  async findMember(projectId: string, organizationId: string, ref: string): Promise<Member | null> {
    // A member id takes precedence over external ids, so one read ahead by id (in this organization) is the answer.
    const ahead = this.takeReadAhead(`member|${projectId}|${ref}`);
    if (ahead && String(ahead.organization_id) === organizationId) return fromRow.member(ahead);
    // By member id, then by external id: each an indexed lookup, in one round trip.
    const [row] = await this.query(
      `SELECT * FROM (
         (SELECT m.*, 1 AS precedence FROM members m WHERE member_id = $3 AND project_id = $1 AND organization_id = $2 AND status <> 'deleted')
         UNION ALL (SELECT m.*, 2 FROM members m WHERE organization_id = $2 AND external_id = $3 AND project_id = $1
                    AND status <> 'deleted' AND external_id IS NOT NULL)
       ) found ORDER BY precedence LIMIT 1`,
      [projectId, organizationId, ref],
    );
    return row ? fromRow.member(row) : null;
  }

  async findMemberByEmail(projectId: string, organizationId: string, emailAddress: string): Promise<Member | null> {
    const [row] = await this.query(
      "SELECT * FROM members WHERE project_id = $1 AND organization_id = $2 AND email_normalized = $3 AND status <> 'deleted'",
      [projectId, organizationId, emailAddress.toLowerCase()],
    );
    return row ? fromRow.member(row) : null;
  }

  async updateMember(member: Member): Promise<void> {
    this.forgetReadAhead();
    await this.execute(UPDATE_MEMBER, updateMemberValues(member));
  }

  async deleteMember(projectId: string, memberId: string, now: EpochMs): Promise<boolean> {
    this.forgetReadAhead();
    return this.transaction(async (client) => {
      await client.query("SELECT 1 FROM members WHERE project_id = $1 AND member_id = $2 FOR UPDATE", [projectId, memberId]);
      await client.query("UPDATE sessions SET revoked_at = $1 WHERE project_id = $2 AND member_id = $3 AND revoked_at IS NULL", [
        now,
        projectId,
        memberId,
      ]);
      const updated = await client.query(
        "UPDATE members SET status = 'deleted', updated_at = $1 WHERE project_id = $2 AND member_id = $3 AND status <> 'deleted'",
        [now, projectId, memberId],
      );
      return (updated.rowCount ?? 0) > 0;
    });
  }

  async searchMembers(
    projectId: string,
    organizationIds: string[],
    query: SearchQuery | null,
    cursor: string | null,
    limit: number,
  ): Promise<Page<Member>> {
    const rows = await this.query("SELECT * FROM members WHERE project_id = $1 AND organization_id = ANY($2::text[]) ORDER BY seq", [
      projectId,
      organizationIds,
    ]);
    return paginate(rows, fromRow.member, memberPredicate(query), cursor, limit);
  }

  // Sessions

  async insertSession(session: Session, tokenHash: Buffer): Promise<void> {
    await this.execute(INSERT_SESSION, sessionValues(session, tokenHash));
  }

  async findSessionByTokenHash(projectId: string, tokenHash: Buffer): Promise<Session | null> {
    return this.findSessionReadingAhead("token_hash", tokenHash, projectId);
  }

  async findSession(projectId: string, sessionId: string): Promise<Session | null> {
    return this.findSessionReadingAhead("session_id", sessionId, projectId);
  }

  /**
   * A session, and in the same statement (one snapshot) its organization and member: the reads a
   * request on a session makes next, handed out once from the request's scope instead of two
   * more round trips. Outside a request scope the session alone is read.
   */
  private async findSessionReadingAhead(column: "token_hash" | "session_id", value: unknown, projectId: string): Promise<Session | null> {
    const tally = roundTrips.currentTally();
    if (!tally) {
      const [row] = await this.query(`SELECT * FROM sessions WHERE ${column} = $1 AND project_id = $2`, [value, projectId]);
      return row ? fromRow.session(row) : null;
    }
    const [row] = await this.query(
      `SELECT s.*,
         (SELECT row_to_json(o) FROM organizations o WHERE o.organization_id = s.organization_id AND o.project_id = s.project_id) AS ahead_organization,
         (SELECT row_to_json(m) FROM members m WHERE m.member_id = s.member_id AND m.project_id = s.project_id AND m.status <> 'deleted') AS ahead_member
       FROM sessions s WHERE s.${column} = $1 AND s.project_id = $2`,
      [value, projectId],
    );
    if (!row) return null;
    if (row.ahead_organization) tally.readAhead.set(`organization|${projectId}|${row.organization_id}`, row.ahead_organization);
    if (row.ahead_member) tally.readAhead.set(`member|${projectId}|${row.member_id}`, row.ahead_member);
    return fromRow.session(row);
  }

  /** A row read ahead for this request (see findSessionReadingAhead), taken so it is used once. */
  private takeReadAhead(key: string): Row | null {
    const readAhead = roundTrips.currentTally()?.readAhead;
    const row = readAhead?.get(key) as Row | undefined;
    if (row === undefined) return null;
    readAhead!.delete(key);
    return row;
  }

  /** After any write in this request, later reads go to the database again. */
  private forgetReadAhead(): void {
    roundTrips.currentTally()?.readAhead.clear();
  }

  async touchSession(
    projectId: string,
    sessionId: string,
    update: { now: EpochMs; expiresAt?: EpochMs; customClaims?: Record<string, unknown> },
  ): Promise<Session | null> {
    // The liveness test is part of the UPDATE: a concurrent revoke that commits first makes this
    // statement re-check the revoked row and update nothing.
    const [row] = await this.query(
      `UPDATE sessions SET last_accessed_at = $1, expires_at = coalesce($2::bigint, expires_at),
         custom_claims = coalesce($3::json, custom_claims)
       WHERE session_id = $4 AND project_id = $5 AND revoked_at IS NULL AND expires_at > $1
       RETURNING *`,
      [update.now, update.expiresAt ?? null, update.customClaims ? json(update.customClaims) : null, sessionId, projectId],
    );
    return row ? fromRow.session(row) : null;
  }

  async listLiveSessions(projectId: string, memberId: string, now: EpochMs): Promise<Session[]> {
    return (
      await this.query(
        "SELECT * FROM sessions WHERE member_id = $1 AND project_id = $2 AND revoked_at IS NULL AND expires_at > $3 ORDER BY started_at, session_id",
        [memberId, projectId, now],
      )
    ).map(fromRow.session);
  }

  async revokeSession(projectId: string, sessionId: string, now: EpochMs): Promise<boolean> {
    const count = await this.execute(
      "UPDATE sessions SET revoked_at = $1 WHERE session_id = $2 AND project_id = $3 AND revoked_at IS NULL AND expires_at > $1",
      [now, sessionId, projectId],
    );
    return count > 0;
  }

  async revokeMemberSessions(projectId: string, memberId: string, now: EpochMs): Promise<number> {
    return this.execute(
      "UPDATE sessions SET revoked_at = $1 WHERE member_id = $2 AND project_id = $3 AND revoked_at IS NULL AND expires_at > $1",
      [now, memberId, projectId],
    );
  }

  // Authentication steps

  async commit(changes: Change[]): Promise<CommitResult> {
    this.forgetReadAhead();
    const [first, second] = changes;
    if (changes.length === 2 && first?.kind === "require_live_session" && second?.kind === "insert_session") {
      // A new session on the strength of a live one (exchange): one statement, so one round trip
      // instead of four, and atomic as a statement is. FOR SHARE as in require_live_session below.
      const inserted = await this.execute(INSERT_SESSION_IF_LIVE, [
        ...sessionValues(second.session, second.tokenHash),
        first.sessionId,
        first.projectId,
        first.now,
      ]);
      return inserted === 1 ? { ok: true } : { ok: false, failed: first.kind, index: 0 };
    }
    try {
      await this.transaction(async (client) => {
        for (const [index, change] of changes.entries()) {
          if (!(await this.applyChange(client, change))) throw new PreconditionFailed(index, change.kind);
        }
      });
      return { ok: true };
    } catch (error) {
      if (error instanceof PreconditionFailed) return { ok: false, failed: error.kind, index: error.index };
      throw error;
    }
  }

  /**
   * Applies one change inside the open transaction; false when its precondition does not hold.
   * Every precondition is the WHERE clause of the statement that takes the row lock, so a
   * concurrent writer that commits first is seen (READ COMMITTED re-checks the WHERE clause on
   * the row version it waited for) and two commits never both consume one row.
   */
  private async applyChange(client: PoolClient, change: Change): Promise<boolean> {
    const run = async (text: string, values: unknown[]): Promise<number> => (await client.query(text, values)).rowCount ?? 0;
    switch (change.kind) {
      case "insert_one_time_secret": {
        const secret = change.secret;
        if (change.supersedePrevious) {
          await run("UPDATE one_time_secrets SET consumed_at = $1 WHERE project_id = $2 AND purpose = $3 AND subject = $4 AND consumed_at IS NULL", [
            secret.createdAt,
            secret.projectId,
            secret.purpose,
            secret.subject,
          ]);
        }
        await run(
          `INSERT INTO one_time_secrets (secret_id, project_id, purpose, subject, secret_hash, organization_id, member_id, details,
             attempts, max_attempts, created_at, expires_at, consumed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [
            secret.secretId, secret.projectId, secret.purpose, secret.subject, secret.secretHash, secret.organizationId, secret.memberId,
            json(secret.details), secret.attempts, secret.maxAttempts, secret.createdAt, secret.expiresAt, secret.consumedAt,
          ],
        );
        return true;
      }
      case "consume_one_time_secret":
        return (
          (await run(
            "UPDATE one_time_secrets SET consumed_at = $1 WHERE secret_id = $2 AND project_id = $3 AND consumed_at IS NULL AND expires_at > $1",
            [change.now, change.secretId, change.projectId],
          )) === 1
        );
      case "insert_intermediate_session": {
        const ist = change.intermediateSession;
        await run(
          `INSERT INTO intermediate_sessions (intermediate_session_id, project_id, organization_id, member_id, email_address, token_hash,
             factors, created_at, expires_at, consumed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            ist.intermediateSessionId, ist.projectId, ist.organizationId ?? "", ist.memberId ?? "", ist.emailAddress, change.tokenHash,
            json(ist.factors), ist.createdAt, ist.expiresAt, ist.consumedAt,
          ],
        );
        return true;
      }
      case "update_live_intermediate_session":
        return (
          (await run(
            `UPDATE intermediate_sessions SET factors = $1, organization_id = coalesce($2, organization_id), member_id = coalesce($3, member_id)
             WHERE intermediate_session_id = $4 AND project_id = $5 AND consumed_at IS NULL AND expires_at > $6`,
            [
              json(change.factors), change.bindTo?.organizationId ?? null, change.bindTo?.memberId ?? null,
              change.intermediateSessionId, change.projectId, change.now,
            ],
          )) === 1
        );
      case "consume_intermediate_session":
        return (
          (await run(
            `UPDATE intermediate_sessions SET consumed_at = $1 WHERE intermediate_session_id = $2 AND project_id = $3
             AND consumed_at IS NULL AND expires_at > $1`,
            [change.now, change.intermediateSessionId, change.projectId],
          )) === 1
        );
      case "insert_session":
        await client.query(INSERT_SESSION, sessionValues(change.session, change.tokenHash));
        return true;
      case "update_live_session":
        return (
          (await run(
            `UPDATE sessions SET last_accessed_at = $1, factors = coalesce($2::json, factors), expires_at = coalesce($3::bigint, expires_at),
               custom_claims = coalesce($4::json, custom_claims)
             WHERE session_id = $5 AND project_id = $6 AND revoked_at IS NULL AND expires_at > $1`,
            [
              change.now, change.factors ? json(change.factors) : null, change.expiresAt ?? null,
              change.customClaims ? json(change.customClaims) : null, change.sessionId, change.projectId,
            ],
          )) === 1
        );
      case "require_live_session":
        // FOR SHARE: a revoke that is under way (it holds the row) is waited for and then seen, and a
        // revoke that comes later waits for this commit. Either way nothing is written on the
        // strength of a session whose revocation committed first.
        return (
          (await run("SELECT 1 FROM sessions WHERE session_id = $1 AND project_id = $2 AND revoked_at IS NULL AND expires_at > $3 FOR SHARE", [
            change.sessionId,
            change.projectId,
            change.now,
          ])) === 1
        );
      case "insert_organization":
        await client.query(INSERT_ORGANIZATION, organizationValues(change.organization));
        return true;
      case "insert_member":
        await client.query(INSERT_MEMBER, memberValues(change.member));
        return true;
      case "update_member":
        return (await run(UPDATE_MEMBER, updateMemberValues(change.member))) === 1;
      case "set_member_password":
        await run(
          `INSERT INTO member_passwords (member_id, project_id, member_password_id, password_hash, updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (member_id) DO UPDATE SET member_password_id = excluded.member_password_id,
             password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
          [change.memberId, change.projectId, change.memberPasswordId, change.passwordHash, change.now],
        );
        return true;
      case "delete_member_password":
        await run("DELETE FROM member_passwords WHERE member_id = $1 AND project_id = $2", [change.memberId, change.projectId]);
        return true;
      case "save_totp_registration": {
        const r = change.registration;
        await run(
          `INSERT INTO totp_registrations (totp_registration_id, project_id, member_id, sealed_secret, verified, last_used_step, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (totp_registration_id) DO UPDATE SET verified = excluded.verified, expires_at = excluded.expires_at`,
          [r.totpRegistrationId, r.projectId, r.memberId, r.sealedSecret, r.verified, r.lastUsedStep, r.createdAt, r.expiresAt],
        );
        return true;
      }
      case "delete_totp_registrations":
        await run("DELETE FROM recovery_codes WHERE member_id = $1 AND project_id = $2", [change.memberId, change.projectId]);
        await run("DELETE FROM totp_registrations WHERE member_id = $1 AND project_id = $2", [change.memberId, change.projectId]);
        return true;
      case "replace_recovery_codes":
        await run("DELETE FROM recovery_codes WHERE totp_registration_id = $1 AND project_id = $2", [change.totpRegistrationId, change.projectId]);
        for (const code of change.codes) {
          await run(
            `INSERT INTO recovery_codes (recovery_code_id, project_id, totp_registration_id, member_id, code_hash, sealed_code, consumed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [code.recoveryCodeId, code.projectId, code.totpRegistrationId, code.memberId, code.codeHash, code.sealedCode, code.consumedAt],
          );
        }
        return true;
      case "consume_recovery_code":
        return (
          (await run("UPDATE recovery_codes SET consumed_at = $1 WHERE recovery_code_id = $2 AND project_id = $3 AND consumed_at IS NULL", [
            change.now,
            change.recoveryCodeId,
            change.projectId,
          ])) === 1
        );
      case "advance_totp_step":
        return (
          (await run(
            "UPDATE totp_registrations SET last_used_step = $1 WHERE totp_registration_id = $2 AND project_id = $3 AND last_used_step < $1",
            [change.step, change.totpRegistrationId, change.projectId],
          )) === 1
        );
      case "enqueue_message": {
        const m = change.message;
        await run(
          `INSERT INTO outbox_messages (message_id, project_id, channel, recipient, subject, body, html_body, locale, magic_links_token, code,
             status, attempts, next_attempt_at, last_error, created_at, delivered_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
          [
            m.messageId, m.projectId, m.channel, m.recipient, m.subject, m.body, m.htmlBody, m.locale, m.magicLinksToken, m.code,
            m.status, m.attempts, m.nextAttemptAt, m.lastError, m.createdAt, m.deliveredAt,
          ],
        );
        return true;
      }
      case "reset_failure_counter":
        await run("DELETE FROM failure_counters WHERE project_id = $1 AND key = $2", [change.projectId, change.key]);
        return true;
    }
  }

  async findMembersByEmail(projectId: string, emailAddress: string): Promise<Member[]> {
    return (
      await this.query("SELECT * FROM members WHERE project_id = $1 AND email_normalized = $2 AND status <> 'deleted' ORDER BY seq", [
        projectId,
        emailAddress.toLowerCase(),
      ])
    ).map(fromRow.member);
  }

  async findMemberById(projectId: string, memberId: string): Promise<Member | null> {
    const ahead = this.takeReadAhead(`member|${projectId}|${memberId}`);
    if (ahead) return fromRow.member(ahead);
    const [row] = await this.query("SELECT * FROM members WHERE member_id = $1 AND project_id = $2 AND status <> 'deleted'", [memberId, projectId]);
    return row ? fromRow.member(row) : null;
  }

  async findIntermediateSessionByTokenHash(projectId: string, tokenHash: Buffer): Promise<IntermediateSession | null> {
    const [row] = await this.query("SELECT * FROM intermediate_sessions WHERE token_hash = $1 AND project_id = $2", [tokenHash, projectId]);
    return row ? fromRow.intermediateSession(row) : null;
  }

  async findOneTimeSecretByHash(projectId: string, purpose: OneTimeSecretPurpose, secretHash: Buffer): Promise<OneTimeSecret | null> {
    const [row] = await this.query("SELECT * FROM one_time_secrets WHERE secret_hash = $1 AND project_id = $2 AND purpose = $3", [
      secretHash,
      projectId,
      purpose,
    ]);
    return row ? fromRow.oneTimeSecret(row) : null;
  }

  async findLatestOneTimeSecret(projectId: string, purpose: OneTimeSecretPurpose, subject: string): Promise<OneTimeSecret | null> {
    const [row] = await this.query(
      `SELECT * FROM one_time_secrets WHERE project_id = $1 AND purpose = $2 AND subject = $3 AND consumed_at IS NULL
       ORDER BY created_at DESC, secret_id DESC LIMIT 1`,
      [projectId, purpose, subject],
    );
    return row ? fromRow.oneTimeSecret(row) : null;
  }

  async claimOneTimeSecretAttempt(projectId: string, secretId: string): Promise<number | null> {
    // One statement: concurrent claims queue on the row lock and each re-checks the budget on the
    // version the previous one committed, so at most max_attempts claims ever succeed.
    const [row] = await this.query(
      `UPDATE one_time_secrets SET attempts = attempts + 1
       WHERE secret_id = $1 AND project_id = $2 AND consumed_at IS NULL AND attempts < max_attempts RETURNING attempts`,
      [secretId, projectId],
    );
    return row ? int(row.attempts) : null;
  }

  async findMemberPasswordHash(projectId: string, memberId: string): Promise<string | null> {
    const [row] = await this.query("SELECT password_hash FROM member_passwords WHERE member_id = $1 AND project_id = $2", [memberId, projectId]);
    return row ? String(row.password_hash) : null;
  }

  async listTotpRegistrations(projectId: string, memberId: string): Promise<TotpRegistration[]> {
    return (
      await this.query("SELECT * FROM totp_registrations WHERE member_id = $1 AND project_id = $2 ORDER BY created_at, totp_registration_id", [
        memberId,
        projectId,
      ])
    ).map(fromRow.totpRegistration);
  }

  async listRecoveryCodes(projectId: string, totpRegistrationId: string): Promise<RecoveryCode[]> {
    return (
      await this.query("SELECT * FROM recovery_codes WHERE totp_registration_id = $1 AND project_id = $2 ORDER BY recovery_code_id", [
        totpRegistrationId,
        projectId,
      ])
    ).map(fromRow.recoveryCode);
  }

  async incrementFailureCounter(projectId: string, key: string, now: EpochMs): Promise<number> {
    const [row] = await this.query(
      `INSERT INTO failure_counters (project_id, key, count, updated_at) VALUES ($1, $2, 1, $3)
       ON CONFLICT (project_id, key) DO UPDATE SET count = failure_counters.count + 1, updated_at = excluded.updated_at RETURNING count`,
      [projectId, key, now],
    );
    return int(row?.count);
  }

  async getFailureCounter(projectId: string, key: string): Promise<number> {
    const [row] = await this.query("SELECT count FROM failure_counters WHERE project_id = $1 AND key = $2", [projectId, key]);
    return row ? int(row.count) : 0;
  }

  async hitRateLimit(key: string, windowMs: number, limit: number, now: EpochMs): Promise<{ allowed: boolean; retryAfterMs: number }> {
    // Hits made in the same turn of the event loop (a request's several rules, concurrent requests)
    // go to the database as one statement: one round trip instead of one each.
    return new Promise((resolve, reject) => {
      this.rateLimitHits.add({ key, windowStart: now - (now % windowMs), windowMs, limit, now, tally: roundTrips.currentTally(), resolve, reject });
    });
  }

  private readonly rateLimitHits = new StatementBatcher<PendingRateLimitHit>((hits) => this.sendRateLimitHits(hits), {
    maxItems: 500,
    oneAtATime: false,
  });

  /**
   * One upsert for every pending hit. Concurrent upserts queue on each row and each counts on the
   * version the previous one committed. A later window starts over; a hit from an earlier window
   * (a node whose clock is behind) counts against the current window instead of resetting it.
   * Hits on one key are summed into one row (a statement may change a row once) and each caller
   * gets the count it would have seen one after another. Keys are locked in sorted order, so two
   * nodes' batches never deadlock.
   */
  private async sendRateLimitHits(hits: PendingRateLimitHit[]): Promise<void> {
    const byKey = new Map<string, { windowStart: number; hits: PendingRateLimitHit[] }>();
    for (const hit of hits) {
      const entry = byKey.get(hit.key);
      if (entry) {
        entry.windowStart = Math.max(entry.windowStart, hit.windowStart);
        entry.hits.push(hit);
      } else byKey.set(hit.key, { windowStart: hit.windowStart, hits: [hit] });
    }
    const keys = [...byKey.keys()].sort();
    roundTrips.noteShared(hits.map((hit) => hit.tally));
    let rows: Row[];
    try {
      rows = (
        await this.pool.query(
          `INSERT INTO rate_limits (key, window_start, count)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) ORDER BY 1
           ON CONFLICT (key) DO UPDATE SET
             count = CASE WHEN excluded.window_start > rate_limits.window_start THEN excluded.count ELSE rate_limits.count + excluded.count END,
             window_start = greatest(rate_limits.window_start, excluded.window_start)
           RETURNING key, count, window_start`,
          [keys, keys.map((key) => byKey.get(key)!.windowStart), keys.map((key) => byKey.get(key)!.hits.length)],
        )
      ).rows;
    } catch (error) {
      const translated = translatePgError(error);
      for (const hit of hits) hit.reject(translated);
      return;
    }
    for (const row of rows) {
      const entry = byKey.get(String(row.key))!;
      const finalCount = int(row.count);
      entry.hits.forEach((hit, index) => {
        const count = finalCount - entry.hits.length + index + 1;
        const allowed = count <= hit.limit;
        hit.resolve({ allowed, retryAfterMs: allowed ? 0 : int(row.window_start) + hit.windowMs - hit.now });
      });
    }
  }

  // Outbox

  async claimOutboxMessages(now: EpochMs, leaseMs: number, limit: number): Promise<OutboxMessage[]> {
    // SKIP LOCKED: rows another node is claiming right now are passed over rather than waited for,
    // and a row whose lease another node committed meanwhile fails the re-checked WHERE clause.
    // So concurrent claims on any number of nodes split the due messages without overlap.
    const rows = await this.query(
      `WITH due AS (
         SELECT message_id, next_attempt_at FROM outbox_messages
         WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, seq LIMIT $3
         FOR UPDATE SKIP LOCKED
       )
       UPDATE outbox_messages o SET next_attempt_at = $1::bigint + $2::bigint, attempts = o.attempts + 1
       FROM due WHERE o.message_id = due.message_id
       RETURNING o.*, due.next_attempt_at AS due_at`,
      [now, leaseMs, limit],
    );
    // The claimed copy carries this delivery's attempt number and the time it fell due, as on SQLite.
    return rows
      .sort((a, b) => int(a.due_at) - int(b.due_at) || int(a.seq) - int(b.seq))
      .map((row) => ({ ...fromRow.outboxMessage(row), nextAttemptAt: int(row.due_at) }));
  }

  async markOutboxDelivered(messageId: string, now: EpochMs, redactBody: boolean): Promise<void> {
    await this.execute(
      `UPDATE outbox_messages SET status = 'delivered', delivered_at = $1, last_error = '',
         body = CASE WHEN $2 THEN '' ELSE body END, html_body = CASE WHEN $2 THEN '' ELSE html_body END,
         magic_links_token = CASE WHEN $2 THEN NULL ELSE magic_links_token END, code = CASE WHEN $2 THEN NULL ELSE code END
       WHERE message_id = $3`,
      [now, redactBody, messageId],
    );
  }

  async markOutboxFailed(messageId: string, error: string, nextAttemptAt: EpochMs | null): Promise<void> {
    await this.execute(
      `UPDATE outbox_messages SET last_error = $1, status = CASE WHEN $2::bigint IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = coalesce($2::bigint, next_attempt_at) WHERE message_id = $3`,
      [error.slice(0, 500), nextAttemptAt, messageId],
    );
  }

  async listOutboxMessages(projectId: string, recipient: string, limit: number): Promise<OutboxMessage[]> {
    return (
      await this.query("SELECT * FROM outbox_messages WHERE project_id = $1 AND recipient = $2 ORDER BY created_at DESC, seq DESC LIMIT $3", [
        projectId,
        recipient,
        limit,
      ])
    ).map(fromRow.outboxMessage);
  }

  async countPendingOutboxMessages(): Promise<number> {
    const [row] = await this.query("SELECT count(*) AS n FROM outbox_messages WHERE status = 'pending'");
    return int(row?.n);
  }

  async recordMemberDevice(sighting: {
    projectId: string;
    memberId: string;
    visitorId: string;
    ipAddress: string;
    userAgent: string;
    now: EpochMs;
  }): Promise<{ visitorFirstSeenAt: EpochMs | null; ipFirstSeenAt: EpochMs | null }> {
    const { projectId, memberId, visitorId, ipAddress, userAgent, now } = sighting;
    // Each upsert reports whether it inserted the row (xmax = 0 on a freshly inserted version) and
    // the row's first sighting, which the update leaves alone: two sightings racing on a new device
    // see one "new" and one "first seen at", as they would one after the other.
    return this.transaction(async (client) => {
      const device = (
        await client.query(
          `INSERT INTO member_devices (project_id, member_id, visitor_id, ip_address, user_agent, first_seen_at, last_seen_at)
           VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (project_id, member_id, visitor_id)
           DO UPDATE SET ip_address = excluded.ip_address, user_agent = excluded.user_agent, last_seen_at = excluded.last_seen_at
           RETURNING first_seen_at, (xmax = 0) AS inserted`,
          [projectId, memberId, visitorId, ipAddress, userAgent, now],
        )
      ).rows[0] as Row;
      let ipFirstSeenAt: EpochMs | null = null;
      if (ipAddress !== "") {
        const ip = (
          await client.query(
            `INSERT INTO member_ip_addresses (project_id, member_id, ip_address, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (project_id, member_id, ip_address) DO UPDATE SET last_seen_at = excluded.last_seen_at
             RETURNING first_seen_at, (xmax = 0) AS inserted`,
            [projectId, memberId, ipAddress, now],
          )
        ).rows[0] as Row;
        ipFirstSeenAt = ip.inserted === true ? null : int(ip.first_seen_at);
      }
      return { visitorFirstSeenAt: device.inserted === true ? null : int(device.first_seen_at), ipFirstSeenAt };
    });
  }

  // Security events

  async recordSecurityEvent(event: SecurityEvent): Promise<void> {
    // Events are written in the background: those of concurrent requests share one INSERT.
    return new Promise((resolve, reject) => this.securityEvents.add({ event, tally: roundTrips.currentTally(), resolve, reject }));
  }

  private readonly securityEvents = new StatementBatcher<PendingSecurityEvent>((pending) => this.sendSecurityEvents(pending), {
    maxItems: 100,
    oneAtATime: true,
  });

  private async sendSecurityEvents(pending: PendingSecurityEvent[]): Promise<void> {
    const columns = 13;
    const rows = pending.map((_, row) => `(${Array.from({ length: columns }, (_, column) => `$${row * columns + column + 1}`).join(", ")})`);
    const values = pending.flatMap(({ event }) => [
      event.eventId, event.projectId, event.requestId, event.kind, event.outcome, event.reason, event.route, event.organizationId,
      event.memberId, event.sessionIdHash, event.ipAddress, event.userAgent, event.createdAt,
    ]);
    roundTrips.noteShared(pending.map((entry) => entry.tally));
    try {
      await this.pool.query(
        `INSERT INTO security_events (event_id, project_id, request_id, kind, outcome, reason, route, organization_id, member_id,
           session_id_hash, ip_address, user_agent, created_at) VALUES ${rows.join(", ")}`,
        values,
      );
    } catch (error) {
      const translated = translatePgError(error);
      if (pending.length > 1 && !(translated instanceof StoreUnavailable)) {
        // One event the database refuses must not take the others with it: each on its own.
        for (const entry of pending) await this.sendSecurityEvents([entry]);
        return;
      }
      for (const entry of pending) entry.reject(translated);
      return;
    }
    for (const entry of pending) entry.resolve();
  }

  async listSecurityEvents(projectId: string | null, options: { sinceAt?: EpochMs; limit: number }): Promise<SecurityEvent[]> {
    return (
      await this.query(
        `SELECT * FROM security_events WHERE ($1::text IS NULL OR project_id = $1) AND created_at >= $2
         ORDER BY seq DESC LIMIT $3`,
        [projectId, options.sinceAt ?? 0, options.limit],
      )
    ).map(fromRow.securityEvent);
  }

  async instanceSecret(name: string, create: () => Buffer): Promise<Buffer> {
    const [existing] = await this.query("SELECT value FROM instance_secrets WHERE name = $1", [name]);
    if (existing) return existing.value as Buffer;
    // Several nodes may create it at once: the first insert wins and everyone reads the winner.
    await this.execute("INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [name, create()]);
    const [row] = await this.query("SELECT value FROM instance_secrets WHERE name = $1", [name]);
    if (!row) throw new Error(`instance secret ${name} vanished after it was created`);
    return row.value as Buffer;
  }

  sqlExecutor(): SqlExecutor {
    return this.executor;
  }

  private readonly executor: SqlExecutor = {
    dialect: "postgres",
    query: async (sql: string, params: SqlValue[] = []): Promise<Row[]> => {
      this.forgetReadAhead();
      try {
        return await this.query(numberPlaceholders(sql), params);
      } catch (error) {
        throw genericConflict(error);
      }
    },
    atomically: async (statements: SqlStatement[]): Promise<AtomicResult> => {
      this.forgetReadAhead();
      try {
        return await this.transaction(async (client) => {
          const results = [];
          for (const [index, statement] of statements.entries()) {
            const result = await client.query(numberPlaceholders(statement.sql), statement.params ?? []);
            const changes = result.rowCount ?? 0;
            if ((statement.expect === "one" && changes !== 1) || (statement.expect === "some" && changes < 1)) throw new GuardFailed(index);
            results.push({ rows: result.rows as Row[], changes });
          }
          return { ok: true as const, results };
        });
      } catch (error) {
        if (error instanceof GuardFailed) return { ok: false, failedIndex: error.index };
        throw genericConflict(error);
      }
    },
  };
}


/**
 * The client with every `query` counted as a round trip, in the caller's async context (the
 * pool's own callbacks may run in another request's context, so counting happens here).
 */
function countingClient(client: PoolClient): PoolClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "query") {
        return (...args: Parameters<PoolClient["query"]>) => {
          roundTrips.note();
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Thrown inside an executor transaction to roll it back when a statement's guard does not hold. */
class GuardFailed extends Error {
  constructor(readonly index: number) {
    super(`guard ${index} failed`);
  }
}

/** A unique violation the core's names do not cover, as `table(col1,col2)` (from the error's detail). */
function genericConflict(error: unknown): unknown {
  const { code, table, detail } = (error ?? {}) as { code?: unknown; table?: unknown; detail?: unknown };
  if (code !== "23505" || typeof table !== "string") return error;
  const columns = typeof detail === "string" ? /^Key \(([^)]*)\)/.exec(detail)?.[1] : undefined;
  return new StoreConflict(uniqueConstraintName(table, (columns ?? "").split(",")) as StoreConflict["constraint"]);
}
