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
import { Pool, type PoolClient, type QueryResultRow } from "pg";
import type {
  EpochMs,
  IntermediateSession,
  Member,
  MemberStatus,
  OneTimeSecret,
  Organization,
  OutboxMessage,
  Project,
  RecoveryCode,
  Session,
  SigningKey,
  TotpRegistration,
} from "../../domain/types.js";
import { decodeCursor, encodeCursor, memberPredicate, organizationPredicate } from "../search.js";
import { StoreConflict, StoreUnavailable, type CommitResult, type Page, type SearchQuery, type Store } from "../store.js";

/** Migrations ship as .sql files beside the sources; compiled code finds them from the package root. */
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../../src/store/postgres/migrations");

/** First key of the two-int advisory lock taken while migrating; the second is the schema's hash. */
const MIGRATION_LOCK_KEY = 0x7e55e7a;

/** How often a transaction that lost a deadlock or serialization race is tried in all. */
const TRANSACTION_ATTEMPTS = 3;

type Row = QueryResultRow;

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
const int = (value: unknown): number => Number(value);
const intOrNull = (value: unknown): number | null => (value === null ? null : Number(value));
const textOrNull = (value: unknown): string | null => (value === null ? null : String(value));

function organizationFromRow(row: Row): Organization {
  return {
    projectId: String(row.project_id),
    organizationId: String(row.organization_id),
    name: String(row.name),
    slug: String(row.slug),
    logoUrl: String(row.logo_url),
    externalId: textOrNull(row.external_id),
    trustedMetadata: row.trusted_metadata,
    settings: row.settings,
    createdAt: int(row.created_at),
    updatedAt: int(row.updated_at),
  };
}

function memberFromRow(row: Row): Member {
  return {
    projectId: String(row.project_id),
    organizationId: String(row.organization_id),
    memberId: String(row.member_id),
    emailId: String(row.email_id),
    emailAddress: String(row.email_address),
    emailAddressVerified: row.email_address_verified === true,
    status: String(row.status) as MemberStatus,
    name: String(row.name),
    externalId: textOrNull(row.external_id),
    trustedMetadata: row.trusted_metadata,
    untrustedMetadata: row.untrusted_metadata,
    isBreakglass: row.is_breakglass === true,
    mfaEnrolled: row.mfa_enrolled === true,
    mfaPhoneNumber: String(row.mfa_phone_number),
    mfaPhoneNumberVerified: row.mfa_phone_number_verified === true,
    defaultMfaMethod: String(row.default_mfa_method) as Member["defaultMfaMethod"],
    totpRegistrationId: String(row.totp_registration_id),
    memberPasswordId: String(row.member_password_id),
    roleIds: row.role_ids,
    createdAt: int(row.created_at),
    updatedAt: int(row.updated_at),
  };
}

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

function sessionFromRow(row: Row): Session {
  return {
    projectId: String(row.project_id),
    sessionId: String(row.session_id),
    organizationId: String(row.organization_id),
    memberId: String(row.member_id),
    startedAt: int(row.started_at),
    lastAccessedAt: int(row.last_accessed_at),
    expiresAt: int(row.expires_at),
    revokedAt: intOrNull(row.revoked_at),
    factors: row.factors,
    customClaims: row.custom_claims,
    roles: row.roles,
  };
}

function signingKeyFromRow(row: Row): SigningKey {
  return {
    projectId: String(row.project_id),
    kid: String(row.kid),
    state: String(row.state) as SigningKey["state"],
    privateKeyPem: String(row.private_key_pem),
    certificateDer: String(row.certificate_der),
    createdAt: int(row.created_at),
    activatedAt: intOrNull(row.activated_at),
    retiredAt: intOrNull(row.retired_at),
  };
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
const TESSERA_URL_PARAMETERS = { schema: "schema", poolSize: "pool_size" } as const;

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
  if (schema === null && poolSize === null) return { connectionString: databaseUrl, options };
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
    try {
      return (await this.pool.query(text, values)).rows;
    } catch (error) {
      throw translatePgError(error);
    }
  }

  private async execute(text: string, values: unknown[] = []): Promise<number> {
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
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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
    return (await this.query("SELECT * FROM signing_keys WHERE project_id = $1 ORDER BY created_at, kid", [projectId])).map(signingKeyFromRow);
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
    await this.execute(
      `INSERT INTO organizations (${ORGANIZATION_COLUMNS.join(", ")}) VALUES (${placeholders(ORGANIZATION_COLUMNS.length)})`,
      organizationValues(org),
    );
  }

  async findOrganization(projectId: string, ref: string): Promise<Organization | null> {
    const [row] = await this.query(
      `SELECT * FROM organizations WHERE project_id = $1 AND (organization_id = $2 OR slug = $2 OR external_id = $2)
       ORDER BY (organization_id = $2) DESC, (slug = $2) DESC LIMIT 1`,
      [projectId, ref],
    );
    return row ? organizationFromRow(row) : null;
  }

  async updateOrganization(org: Organization): Promise<void> {
    await this.execute(
      `UPDATE organizations SET name = $3, slug = $4, logo_url = $5, external_id = $6, trusted_metadata = $7, settings = $8, updated_at = $9
       WHERE organization_id = $1 AND project_id = $2`,
      [org.organizationId, org.projectId, org.name, org.slug, org.logoUrl, org.externalId, json(org.trustedMetadata), json(org.settings), org.updatedAt],
    );
  }

  async deleteOrganization(projectId: string, organizationId: string, now: EpochMs): Promise<boolean> {
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
    return paginate(rows, organizationFromRow, matches, cursor, limit);
  }

  // Members

  async insertMember(member: Member): Promise<void> {
    await this.execute(`INSERT INTO members (${MEMBER_COLUMNS.join(", ")}) VALUES (${placeholders(MEMBER_COLUMNS.length)})`, memberValues(member));
  }

  async findMember(projectId: string, organizationId: string, ref: string): Promise<Member | null> {
    const [row] = await this.query(
      `SELECT * FROM members WHERE project_id = $1 AND organization_id = $2 AND status <> 'deleted'
       AND (member_id = $3 OR external_id = $3) ORDER BY (member_id = $3) DESC LIMIT 1`,
      [projectId, organizationId, ref],
    );
    return row ? memberFromRow(row) : null;
  }

  async findMemberByEmail(projectId: string, organizationId: string, emailAddress: string): Promise<Member | null> {
    const [row] = await this.query(
      "SELECT * FROM members WHERE project_id = $1 AND organization_id = $2 AND email_normalized = $3 AND status <> 'deleted'",
      [projectId, organizationId, emailAddress.toLowerCase()],
    );
    return row ? memberFromRow(row) : null;
  }

  async updateMember(member: Member): Promise<void> {
    await this.execute(
      `UPDATE members SET email_id = $3, email_address = $4, email_normalized = $5, email_address_verified = $6, status = $7,
         name = $8, external_id = $9, trusted_metadata = $10, untrusted_metadata = $11, is_breakglass = $12, mfa_enrolled = $13,
         mfa_phone_number = $14, mfa_phone_number_verified = $15, default_mfa_method = $16, totp_registration_id = $17,
         member_password_id = $18, role_ids = $19, updated_at = $20
       WHERE member_id = $1 AND project_id = $2`,
      [
        member.memberId, member.projectId, member.emailId, member.emailAddress, member.emailAddress.toLowerCase(),
        member.emailAddressVerified, member.status, member.name, member.externalId, json(member.trustedMetadata),
        json(member.untrustedMetadata), member.isBreakglass, member.mfaEnrolled, member.mfaPhoneNumber,
        member.mfaPhoneNumberVerified, member.defaultMfaMethod, member.totpRegistrationId, member.memberPasswordId,
        json(member.roleIds), member.updatedAt,
      ],
    );
  }

  async deleteMember(projectId: string, memberId: string, now: EpochMs): Promise<boolean> {
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
    return paginate(rows, memberFromRow, memberPredicate(query), cursor, limit);
  }

  // Sessions

  async insertSession(session: Session, tokenHash: Buffer): Promise<void> {
    await this.execute(
      `INSERT INTO sessions (session_id, project_id, organization_id, member_id, token_hash, started_at, last_accessed_at, expires_at,
         revoked_at, factors, custom_claims, roles) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        session.sessionId, session.projectId, session.organizationId, session.memberId, tokenHash, session.startedAt,
        session.lastAccessedAt, session.expiresAt, session.revokedAt, json(session.factors), json(session.customClaims), json(session.roles),
      ],
    );
  }

  async findSessionByTokenHash(projectId: string, tokenHash: Buffer): Promise<Session | null> {
    const [row] = await this.query("SELECT * FROM sessions WHERE token_hash = $1 AND project_id = $2", [tokenHash, projectId]);
    return row ? sessionFromRow(row) : null;
  }

  async findSession(projectId: string, sessionId: string): Promise<Session | null> {
    const [row] = await this.query("SELECT * FROM sessions WHERE session_id = $1 AND project_id = $2", [sessionId, projectId]);
    return row ? sessionFromRow(row) : null;
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
    return row ? sessionFromRow(row) : null;
  }

  async listLiveSessions(projectId: string, memberId: string, now: EpochMs): Promise<Session[]> {
    return (
      await this.query(
        "SELECT * FROM sessions WHERE member_id = $1 AND project_id = $2 AND revoked_at IS NULL AND expires_at > $3 ORDER BY started_at, session_id",
        [memberId, projectId, now],
      )
    ).map(sessionFromRow);
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

  // Authentication steps: not yet implemented on PostgreSQL (the merge of main added them to Store).

  commit(): Promise<CommitResult> { return notYet("commit"); }
  findMembersByEmail(): Promise<Member[]> { return notYet("findMembersByEmail"); }
  findMemberById(): Promise<Member | null> { return notYet("findMemberById"); }
  findIntermediateSessionByTokenHash(): Promise<IntermediateSession | null> { return notYet("findIntermediateSessionByTokenHash"); }
  findOneTimeSecretByHash(): Promise<OneTimeSecret | null> { return notYet("findOneTimeSecretByHash"); }
  findLatestOneTimeSecret(): Promise<OneTimeSecret | null> { return notYet("findLatestOneTimeSecret"); }
  claimOneTimeSecretAttempt(): Promise<number | null> { return notYet("claimOneTimeSecretAttempt"); }
  findMemberPasswordHash(): Promise<string | null> { return notYet("findMemberPasswordHash"); }
  listTotpRegistrations(): Promise<TotpRegistration[]> { return notYet("listTotpRegistrations"); }
  listRecoveryCodes(): Promise<RecoveryCode[]> { return notYet("listRecoveryCodes"); }
  incrementFailureCounter(): Promise<number> { return notYet("incrementFailureCounter"); }
  getFailureCounter(): Promise<number> { return notYet("getFailureCounter"); }
  hitRateLimit(): Promise<{ allowed: boolean; retryAfterMs: number }> { return notYet("hitRateLimit"); }
  claimOutboxMessages(): Promise<OutboxMessage[]> { return notYet("claimOutboxMessages"); }
  markOutboxDelivered(): Promise<void> { return notYet("markOutboxDelivered"); }
  markOutboxFailed(): Promise<void> { return notYet("markOutboxFailed"); }
  listOutboxMessages(): Promise<OutboxMessage[]> { return notYet("listOutboxMessages"); }
  countPendingOutboxMessages(): Promise<number> { return notYet("countPendingOutboxMessages"); }
  recordMemberDevice(): Promise<{ visitorFirstSeenAt: EpochMs | null; ipFirstSeenAt: EpochMs | null }> { return notYet("recordMemberDevice"); }
  instanceSecret(): Promise<Buffer> { return notYet("instanceSecret"); }
}

const notYet = (method: string): Promise<never> => Promise.reject(new Error(`PostgresStore.${method} is not implemented yet`));

/** Keyset pagination over rows ordered by `seq`, filtering with `matches` (as the SQLite adapter does). */
function paginate<T>(rows: Row[], toItem: (row: Row) => T, matches: (item: T) => boolean, cursor: string | null, limit: number): Page<T> {
  const afterSeq = cursor === null ? 0 : (decodeCursor(cursor) ?? 0);
  const matching: { seq: number; item: T }[] = [];
  for (const row of rows) {
    const item = toItem(row);
    if (matches(item)) matching.push({ seq: Number(row.seq), item });
  }
  const remaining = matching.filter((entry) => entry.seq > afterSeq);
  const page = remaining.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((entry) => entry.item),
    total: matching.length,
    nextCursor: remaining.length > limit && last ? encodeCursor(last.seq) : null,
  };
}
