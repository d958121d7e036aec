/**
 * @module The embedded SQLite adapter (better-sqlite3): WAL, synchronous=FULL, busy_timeout,
 * numbered migrations, prepared statements. Every method runs synchronously inside one
 * SQLite transaction where it writes more than one row, and resolves a promise.
 */
import Database from "better-sqlite3";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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
import { uniqueConstraintName, type AtomicResult, type SqlExecutor, type SqlStatement, type SqlValue } from "../sql/executor.js";

/** Migrations ship as .sql files beside the sources; compiled code finds them from the package root. */
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../../src/store/sqlite/migrations");


const json = (value: unknown): string => JSON.stringify(value);

/** Row → domain mapping (src/store/rows.ts) with this driver's column types. */
const fromRow = rowMappers({ bool: (value) => value === 1, json: <T>(value: unknown) => JSON.parse(String(value)) as T });

function memberParams(member: Member): Row {
  return {
    member_id: member.memberId,
    project_id: member.projectId,
    organization_id: member.organizationId,
    email_id: member.emailId,
    email_address: member.emailAddress,
    email_normalized: member.emailAddress.toLowerCase(),
    email_address_verified: member.emailAddressVerified ? 1 : 0,
    status: member.status,
    name: member.name,
    external_id: member.externalId,
    trusted_metadata: json(member.trustedMetadata),
    untrusted_metadata: json(member.untrustedMetadata),
    is_breakglass: member.isBreakglass ? 1 : 0,
    mfa_enrolled: member.mfaEnrolled ? 1 : 0,
    mfa_phone_number: member.mfaPhoneNumber,
    mfa_phone_number_verified: member.mfaPhoneNumberVerified ? 1 : 0,
    default_mfa_method: member.defaultMfaMethod,
    totp_registration_id: member.totpRegistrationId,
    member_password_id: member.memberPasswordId,
    role_ids: json(member.roleIds),
    created_at: member.createdAt,
    updated_at: member.updatedAt,
  };
}

function organizationParams(org: Organization): Row {
  return {
    organization_id: org.organizationId,
    project_id: org.projectId,
    name: org.name,
    slug: org.slug,
    logo_url: org.logoUrl,
    external_id: org.externalId,
    trusted_metadata: json(org.trustedMetadata),
    settings: json(org.settings),
    created_at: org.createdAt,
    updated_at: org.updatedAt,
  };
}

/** Thrown inside a commit transaction to roll it back when a precondition fails. */
class PreconditionFailed extends Error {
  constructor(readonly index: number, readonly kind: Change["kind"]) {
    super(`precondition failed: ${kind}`);
  }
}

/** SQLite's default: checkpoint once the WAL holds this many pages. */
const WAL_AUTOCHECKPOINT_PAGES = 1000;
/** Writes whose loss in a power cut costs nothing that decides an authentication (counters, audit events). */
const RELAXED = { durable: false } as const;

/** How long a write waits for another process's write lock before the request gets a 503. */
const BUSY_TIMEOUT_MS = 5000;
/**
 * The wait while the store is degraded (a wait for the lock has just timed out, and no write
 * transaction has succeeded since). The driver is synchronous, so every wait stalls the whole
 * process: without this, N queued requests would take N × 5 s to be told 503, /healthz included.
 */
const DEGRADED_BUSY_TIMEOUT_MS = 0;
/** The readiness probe's wait for the write lock. */
const PING_BUSY_TIMEOUT_MS = 20;

const UNAVAILABLE_CODES = new Set(["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_FULL"]);

/** Maps driver errors to the store's two typed failures; everything else is a bug and passes through. */
function translateError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: string }).code ?? "";
  if (code.startsWith("SQLITE_CONSTRAINT")) {
    const message = error.message;
    if (message.includes("organizations.slug")) return new StoreConflict("organization_slug");
    if (message.includes("organizations.external_id")) return new StoreConflict("organization_external_id");
    if (message.includes("members.email_normalized")) return new StoreConflict("member_email");
    if (message.includes("members.external_id")) return new StoreConflict("member_external_id");
    if (message.includes("projects.project_id")) return new StoreConflict("project_id");
  }
  if ([...UNAVAILABLE_CODES].some((prefix) => code.startsWith(prefix))) return new StoreUnavailable(error);
  return error;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private pendingWrites: { work: () => unknown; durable: boolean; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];

  /** `path` is a file path or ":memory:". */
  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      this.db.pragma("foreign_keys = ON");
    } catch (error) {
      throw translateError(error);
    }
  }

  /** Prepares each SQL text once and keeps the statement. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Runs `work` and resolves its result, translating driver errors. */
  private run<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      this.noteLockTimeout(error);
      return Promise.reject(translateError(error));
    }
  }

  /** True while writes fail fast: the last wait for the write lock timed out and none has succeeded since. */
  private degraded = false;

  /** After a timed-out wait for the write lock, stop waiting (see DEGRADED_BUSY_TIMEOUT_MS). */
  private noteLockTimeout(error: unknown): void {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) && !this.degraded) {
      this.degraded = true;
      this.db.pragma(`busy_timeout = ${DEGRADED_BUSY_TIMEOUT_MS}`);
    }
  }

  /** The write lock was taken again: the outage is over. */
  private noteLockAcquired(): void {
    if (this.degraded) {
      this.degraded = false;
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  private transaction<T>(work: () => T): T {
    // Inside a group commit this nests as a savepoint.
    const result = this.db.transaction(work).immediate();
    this.noteLockAcquired();
    return result;
  }

  /**
   * Group commit: writes requested during one turn of the event loop run together in one
   * transaction — one COMMIT, one fsync — each inside its own savepoint, so one failing write
   * rolls back alone. Durability is unchanged (synchronous=FULL); the fsync is shared.
   */
  private write<T>(work: () => T, options: { durable: boolean } = { durable: true }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pendingWrites.push({ work, durable: options.durable, resolve: resolve as (value: unknown) => void, reject });
      if (this.pendingWrites.length === 1) setImmediate(() => this.flushWrites());
    });
  }

  private flushWrites(): void {
    const batch = this.pendingWrites;
    this.pendingWrites = [];
    if (batch.length === 0) return;
    if (!this.db.open) {
      for (const item of batch) item.reject(new StoreUnavailable(new Error("the database is closed")));
      return;
    }
    // A batch of nothing but counters and audit events commits without an fsync: those rows reach
    // the disk with the next durable commit (the WAL is one file), survive a crash of the process,
    // and only a power cut can lose the last few. Any authentication write makes the batch FULL.
    // No checkpoint may run inside such a commit either: an unsynced checkpoint could let the WAL
    // be reused before the database file holds what earlier FULL commits wrote.
    const durable = batch.some((item) => item.durable);
    if (!durable) {
      this.db.pragma("synchronous = OFF");
      this.db.pragma("wal_autocheckpoint = 0");
    }
    try {
      this.flushBatch(batch);
    } finally {
      // Every other write path (and the next batch) commits with FULL, and checkpoints, again.
      if (!durable) {
        this.db.pragma("synchronous = FULL");
        this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      }
    }
  }

  private flushBatch(batch: SqliteStore["pendingWrites"]): void {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.sql("BEGIN IMMEDIATE").run();
    } catch (error) {
      this.noteLockTimeout(error);
      for (const item of batch) item.reject(translateError(error));
      return;
    }
    this.noteLockAcquired();
    for (const item of batch) {
      this.sql("SAVEPOINT group_write").run();
      try {
        const value = item.work();
        this.sql("RELEASE group_write").run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        this.sql("ROLLBACK TO group_write").run();
        this.sql("RELEASE group_write").run();
        outcomes.push({ ok: false, error: translateError(error) });
      }
    }
    try {
      this.sql("COMMIT").run();
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      for (const item of batch) item.reject(translateError(error));
      return;
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  async migrate(): Promise<void> {
    const files = readdirSync(MIGRATIONS_DIR).filter((name) => /^\d{3}_.*\.sql$/.test(name)).sort();
    await this.run(() =>
      this.transaction(() => {
        this.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
        const applied = new Set(
          (this.db.prepare("SELECT version FROM schema_migrations").all() as Row[]).map((row) => Number(row.version)),
        );
        for (const file of files) {
          const version = Number(file.slice(0, 3));
          if (applied.has(version)) continue;
          this.db.exec(readFileSync(join(MIGRATIONS_DIR, file), "utf8"));
          this.db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(version, Date.now());
        }
      }),
    );
  }

  /** Ready means writable: takes the write lock (waiting briefly) and gives it back, writing nothing. */
  ping(): Promise<void> {
    return this.run(() => {
      this.db.pragma(`busy_timeout = ${PING_BUSY_TIMEOUT_MS}`);
      try {
        this.transaction(() => this.sql("SELECT count(*) FROM schema_migrations").get());
      } finally {
        this.db.pragma(`busy_timeout = ${this.degraded ? DEGRADED_BUSY_TIMEOUT_MS : BUSY_TIMEOUT_MS}`);
      }
    });
  }

  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: 1, idle: this.pendingWrites.length === 0 ? 1 : 0, waiting: this.pendingWrites.length };
  }

  async close(): Promise<void> {
    // Writes already queued (an audit event, say) are committed, not dropped.
    this.flushWrites();
    this.db.close();
  }

  // Projects

  insertProject(project: Project): Promise<void> {
    return this.write(() => {
      this.sql(
        "INSERT INTO projects (project_id, environment, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
      ).run(project.projectId, project.environment, project.name, project.secretHash, project.createdAt);
    });
  }

  findProject(projectId: string): Promise<Project | null> {
    return this.run(() => {
      const row = this.sql("SELECT * FROM projects WHERE project_id = ?").get(projectId) as Row | undefined;
      if (!row) return null;
      return {
        projectId: String(row.project_id),
        environment: String(row.environment) as Project["environment"],
        name: String(row.name),
        secretHash: row.secret_hash as Buffer,
        createdAt: Number(row.created_at),
      };
    });
  }

  setProjectSecretHash(projectId: string, secretHash: Buffer): Promise<void> {
    return this.write(() => {
      this.sql("UPDATE projects SET secret_hash = ? WHERE project_id = ?").run(secretHash, projectId);
    });
  }

  countProjects(): Promise<number> {
    return this.run(() => Number((this.sql("SELECT count(*) AS n FROM projects").get() as Row).n));
  }

  listProjectIds(): Promise<string[]> {
    return this.run(() =>
      (this.sql("SELECT project_id FROM projects ORDER BY created_at").all() as Row[]).map((row) => String(row.project_id)),
    );
  }

  // Signing keys

  listSigningKeys(projectId: string): Promise<SigningKey[]> {
    return this.run(() =>
      (this.sql("SELECT * FROM signing_keys WHERE project_id = ? ORDER BY created_at").all(projectId) as Row[]).map(
        fromRow.signingKey,
      ),
    );
  }

  private insertSigningKey(key: SigningKey): void {
    this.sql(
      `INSERT OR IGNORE INTO signing_keys (kid, project_id, state, private_key_pem, certificate_der, created_at, activated_at, retired_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(key.kid, key.projectId, key.state, key.privateKeyPem, key.certificateDer, key.createdAt, key.activatedAt, key.retiredAt);
  }

  insertSigningKeys(keys: SigningKey[]): Promise<void> {
    return this.write(() => this.transaction(() => keys.forEach((key) => this.insertSigningKey(key))));
  }

  insertFirstSigningKeys(keys: SigningKey[]): Promise<boolean> {
    const projectId = singleProject(keys);
    if (projectId === null) return Promise.resolve(false);
    // The check and the inserts share one write transaction, which SQLite runs one at a time.
    return this.write(() =>
      this.transaction(() => {
        if (this.sql("SELECT 1 FROM signing_keys WHERE project_id = ? LIMIT 1").get(projectId) !== undefined) return false;
        keys.forEach((key) => this.insertSigningKey(key));
        return true;
      }),
    );
  }

  rotateSigningKeys(projectId: string, newNext: SigningKey, now: EpochMs, dropRetiredBefore: EpochMs): Promise<void> {
    return this.write(() =>
      this.transaction(() => {
        this.sql("DELETE FROM signing_keys WHERE project_id = ? AND state = 'retired' AND retired_at < ?").run(projectId, dropRetiredBefore);
        this.sql("UPDATE signing_keys SET state = 'retired', retired_at = ? WHERE project_id = ? AND state = 'current'").run(now, projectId);
        this.sql("UPDATE signing_keys SET state = 'current', activated_at = ? WHERE project_id = ? AND state = 'next'").run(now, projectId);
        this.insertSigningKey(newNext);
      }),
    );
  }

  // Organizations

  insertOrganization(org: Organization): Promise<void> {
    return this.write(() => this.insertOrganizationRow(org));
  }

  private insertOrganizationRow(org: Organization): void {
    this.sql(
      `INSERT INTO organizations (organization_id, project_id, name, slug, logo_url, external_id, trusted_metadata, settings, created_at, updated_at)
       VALUES (@organization_id, @project_id, @name, @slug, @logo_url, @external_id, @trusted_metadata, @settings, @created_at, @updated_at)`,
    ).run(organizationParams(org));
  }

  findOrganization(projectId: string, ref: string): Promise<Organization | null> {
    // Three indexed lookups in order of precedence (one OR'ed query would scan the project's organizations).
    return this.run(() => {
      const row = (this.sql("SELECT * FROM organizations WHERE organization_id = ? AND project_id = ?").get(ref, projectId) ??
        this.sql("SELECT * FROM organizations WHERE project_id = ? AND slug = ?").get(projectId, ref) ??
        this.sql("SELECT * FROM organizations WHERE project_id = ? AND external_id = ? AND external_id IS NOT NULL").get(projectId, ref)) as
        | Row
        | undefined;
      return row ? fromRow.organization(row) : null;
    });
  }

  updateOrganization(org: Organization): Promise<void> {
    return this.write(() => {
      this.sql(
        `UPDATE organizations SET name = @name, slug = @slug, logo_url = @logo_url, external_id = @external_id,
         trusted_metadata = @trusted_metadata, settings = @settings, updated_at = @updated_at
         WHERE organization_id = @organization_id AND project_id = @project_id`,
      ).run(organizationParams(org));
    });
  }

  deleteOrganization(projectId: string, organizationId: string, now: EpochMs): Promise<boolean> {
    return this.write(() =>
      this.transaction(() => {
        this.sql(
          "UPDATE sessions SET revoked_at = ? WHERE project_id = ? AND organization_id = ? AND revoked_at IS NULL",
        ).run(now, projectId, organizationId);
        this.sql("DELETE FROM members WHERE project_id = ? AND organization_id = ?").run(projectId, organizationId);
        return this.sql("DELETE FROM organizations WHERE project_id = ? AND organization_id = ?").run(projectId, organizationId).changes > 0;
      }),
    );
  }

  searchOrganizations(projectId: string, query: SearchQuery | null, cursor: string | null, limit: number): Promise<Page<Organization>> {
    return this.run(() => {
      const rows = this.sql("SELECT * FROM organizations WHERE project_id = ? ORDER BY seq").all(projectId) as Row[];
      const needsMembers = query?.operands.some((operand) => operand.filter_name.startsWith("member_")) ?? false;
      const emailsByOrganization = new Map<string, string[]>();
      if (needsMembers) {
        for (const row of this.sql("SELECT organization_id, email_normalized FROM members WHERE project_id = ? AND status <> 'deleted'").all(projectId) as Row[]) {
          const list = emailsByOrganization.get(String(row.organization_id)) ?? [];
          list.push(String(row.email_normalized));
          emailsByOrganization.set(String(row.organization_id), list);
        }
      }
      const matches = organizationPredicate(query, (id) => emailsByOrganization.get(id) ?? []);
      return paginate(rows, (row) => fromRow.organization(row), matches, cursor, limit);
    });
  }

  // Members

  insertMember(member: Member): Promise<void> {
    return this.write(() => this.insertMemberRow(member));
  }

  private insertMemberRow(member: Member): void {
    this.sql(
        `INSERT INTO members (member_id, project_id, organization_id, email_id, email_address, email_normalized, email_address_verified,
           status, name, external_id, trusted_metadata, untrusted_metadata, is_breakglass, mfa_enrolled, mfa_phone_number,
           mfa_phone_number_verified, default_mfa_method, totp_registration_id, member_password_id, role_ids, created_at, updated_at)
         VALUES (@member_id, @project_id, @organization_id, @email_id, @email_address, @email_normalized, @email_address_verified,
           @status, @name, @external_id, @trusted_metadata, @untrusted_metadata, @is_breakglass, @mfa_enrolled, @mfa_phone_number,
           @mfa_phone_number_verified, @default_mfa_method, @totp_registration_id, @member_password_id, @role_ids, @created_at, @updated_at)`,
    ).run(memberParams(member));
  }

  findMember(projectId: string, organizationId: string, ref: string): Promise<Member | null> {
    // By member id, then by external id: each an indexed point lookup.
    return this.run(() => {
      const row = (this.sql(
        "SELECT * FROM members WHERE member_id = ? AND project_id = ? AND organization_id = ? AND status <> 'deleted'",
      ).get(ref, projectId, organizationId) ??
        this.sql(
          `SELECT * FROM members WHERE organization_id = ? AND external_id = ? AND project_id = ?
           AND status <> 'deleted' AND external_id IS NOT NULL`,
        ).get(organizationId, ref, projectId)) as Row | undefined;
      return row ? fromRow.member(row) : null;
    });
  }

  findMemberByEmail(projectId: string, organizationId: string, emailAddress: string): Promise<Member | null> {
    return this.run(() => {
      const row = this.sql(
        "SELECT * FROM members WHERE project_id = ? AND organization_id = ? AND email_normalized = ? AND status <> 'deleted'",
      ).get(projectId, organizationId, emailAddress.toLowerCase()) as Row | undefined;
      return row ? fromRow.member(row) : null;
    });
  }

  updateMember(member: Member): Promise<void> {
    return this.write(() => {
      this.updateMemberRow(member);
    });
  }

  private updateMemberRow(member: Member): number {
    return this.sql(
        `UPDATE members SET email_id = @email_id, email_address = @email_address, email_normalized = @email_normalized,
           email_address_verified = @email_address_verified, status = @status, name = @name, external_id = @external_id,
           trusted_metadata = @trusted_metadata, untrusted_metadata = @untrusted_metadata, is_breakglass = @is_breakglass,
           mfa_enrolled = @mfa_enrolled, mfa_phone_number = @mfa_phone_number, mfa_phone_number_verified = @mfa_phone_number_verified,
           default_mfa_method = @default_mfa_method, totp_registration_id = @totp_registration_id,
           member_password_id = @member_password_id, role_ids = @role_ids, updated_at = @updated_at
         WHERE member_id = @member_id AND project_id = @project_id AND status <> 'deleted'`,
    ).run(memberParams(member)).changes;
  }

  deleteMember(projectId: string, memberId: string, now: EpochMs): Promise<boolean> {
    return this.write(() =>
      this.transaction(() => {
        this.sql("UPDATE sessions SET revoked_at = ? WHERE project_id = ? AND member_id = ? AND revoked_at IS NULL").run(now, projectId, memberId);
        return (
          this.sql("UPDATE members SET status = 'deleted', updated_at = ? WHERE project_id = ? AND member_id = ? AND status <> 'deleted'").run(
            now,
            projectId,
            memberId,
          ).changes > 0
        );
      }),
    );
  }

  searchMembers(projectId: string, organizationIds: string[], query: SearchQuery | null, cursor: string | null, limit: number): Promise<Page<Member>> {
    return this.run(() => {
      const placeholders = organizationIds.map(() => "?").join(", ");
      const rows = this.db
        .prepare(`SELECT * FROM members WHERE project_id = ? AND organization_id IN (${placeholders}) ORDER BY seq`)
        .all(projectId, ...organizationIds) as Row[];
      return paginate(rows, fromRow.member, memberPredicate(query), cursor, limit);
    });
  }

  // Sessions

  insertSession(session: Session, tokenHash: Buffer): Promise<void> {
    return this.write(() => {
      this.sql(
        `INSERT INTO sessions (session_id, project_id, organization_id, member_id, token_hash, started_at, last_accessed_at, expires_at,
           revoked_at, factors, custom_claims, roles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        session.sessionId, session.projectId, session.organizationId, session.memberId, tokenHash, session.startedAt,
        session.lastAccessedAt, session.expiresAt, session.revokedAt, json(session.factors), json(session.customClaims), json(session.roles),
      );
    });
  }

  findSessionByTokenHash(projectId: string, tokenHash: Buffer): Promise<Session | null> {
    return this.run(() => {
      const row = this.sql("SELECT * FROM sessions WHERE token_hash = ? AND project_id = ?").get(tokenHash, projectId) as Row | undefined;
      return row ? fromRow.session(row) : null;
    });
  }

  findSession(projectId: string, sessionId: string): Promise<Session | null> {
    return this.run(() => {
      const row = this.sql("SELECT * FROM sessions WHERE session_id = ? AND project_id = ?").get(sessionId, projectId) as Row | undefined;
      return row ? fromRow.session(row) : null;
    });
  }

  touchSession(
    projectId: string,
    sessionId: string,
    update: { now: EpochMs; expiresAt?: EpochMs; customClaims?: Record<string, unknown> },
  ): Promise<Session | null> {
    return this.write(() => {
      const row = this.sql(
        `UPDATE sessions SET last_accessed_at = @now, expires_at = coalesce(@expires_at, expires_at),
           custom_claims = coalesce(@custom_claims, custom_claims)
         WHERE session_id = @session_id AND project_id = @project_id AND revoked_at IS NULL AND expires_at > @now
         RETURNING *`,
      ).get({
        now: update.now,
        expires_at: update.expiresAt ?? null,
        custom_claims: update.customClaims ? json(update.customClaims) : null,
        session_id: sessionId,
        project_id: projectId,
      }) as Row | undefined;
      return row ? fromRow.session(row) : null;
    });
  }

  listLiveSessions(projectId: string, memberId: string, now: EpochMs): Promise<Session[]> {
    return this.run(() =>
      (
        this.sql(
          "SELECT * FROM sessions WHERE member_id = ? AND project_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY started_at",
        ).all(memberId, projectId, now) as Row[]
      ).map(fromRow.session),
    );
  }

  revokeSession(projectId: string, sessionId: string, now: EpochMs): Promise<boolean> {
    return this.write(
      () =>
        this.sql("UPDATE sessions SET revoked_at = ? WHERE session_id = ? AND project_id = ? AND revoked_at IS NULL AND expires_at > ?").run(
          now,
          sessionId,
          projectId,
          now,
        ).changes > 0,
    );
  }

  revokeMemberSessions(projectId: string, memberId: string, now: EpochMs): Promise<number> {
    return this.write(
      () =>
        this.sql("UPDATE sessions SET revoked_at = ? WHERE member_id = ? AND project_id = ? AND revoked_at IS NULL AND expires_at > ?").run(
          now,
          memberId,
          projectId,
          now,
        ).changes,
    );
  }

  // Authentication steps

  commit(changes: Change[]): Promise<CommitResult> {
    return this.write(() => {
      try {
        this.transaction(() => changes.forEach((change, index) => {
          if (!this.applyChange(change)) throw new PreconditionFailed(index, change.kind);
        }));
        return { ok: true } as const;
      } catch (error) {
        if (error instanceof PreconditionFailed) return { ok: false, failed: error.kind, index: error.index } as const;
        throw error;
      }
    });
  }

  /** Applies one change inside the open transaction; false when its precondition does not hold. */
  private applyChange(change: Change): boolean {
    switch (change.kind) {
      case "insert_one_time_secret": {
        const secret = change.secret;
        if (change.supersedePrevious) {
          this.sql(
            "UPDATE one_time_secrets SET consumed_at = ? WHERE project_id = ? AND purpose = ? AND subject = ? AND consumed_at IS NULL",
          ).run(secret.createdAt, secret.projectId, secret.purpose, secret.subject);
        }
        this.sql(
          `INSERT INTO one_time_secrets (secret_id, project_id, purpose, subject, secret_hash, organization_id, member_id, details,
             attempts, max_attempts, created_at, expires_at, consumed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          secret.secretId, secret.projectId, secret.purpose, secret.subject, secret.secretHash, secret.organizationId, secret.memberId,
          json(secret.details), secret.attempts, secret.maxAttempts, secret.createdAt, secret.expiresAt, secret.consumedAt,
        );
        return true;
      }
      case "consume_one_time_secret":
        return (
          this.sql(
            "UPDATE one_time_secrets SET consumed_at = ? WHERE secret_id = ? AND project_id = ? AND consumed_at IS NULL AND expires_at > ?",
          ).run(change.now, change.secretId, change.projectId, change.now).changes === 1
        );
      case "insert_intermediate_session": {
        const ist = change.intermediateSession;
        this.sql(
          `INSERT INTO intermediate_sessions (intermediate_session_id, project_id, organization_id, member_id, email_address, token_hash,
             factors, created_at, expires_at, consumed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(ist.intermediateSessionId, ist.projectId, ist.organizationId ?? "", ist.memberId ?? "", ist.emailAddress, change.tokenHash,
          json(ist.factors), ist.createdAt, ist.expiresAt, ist.consumedAt);
        return true;
      }
      case "update_live_intermediate_session":
        return (
          this.sql(
            `UPDATE intermediate_sessions SET factors = ?, organization_id = coalesce(?, organization_id), member_id = coalesce(?, member_id)
             WHERE intermediate_session_id = ? AND project_id = ? AND consumed_at IS NULL AND expires_at > ?`,
          ).run(json(change.factors), change.bindTo?.organizationId ?? null, change.bindTo?.memberId ?? null,
            change.intermediateSessionId, change.projectId, change.now).changes === 1
        );
      case "consume_intermediate_session":
        return (
          this.sql(
            `UPDATE intermediate_sessions SET consumed_at = ? WHERE intermediate_session_id = ? AND project_id = ?
             AND consumed_at IS NULL AND expires_at > ?`,
          ).run(change.now, change.intermediateSessionId, change.projectId, change.now).changes === 1
        );
      case "insert_session": {
        const session = change.session;
        this.sql(
          `INSERT INTO sessions (session_id, project_id, organization_id, member_id, token_hash, started_at, last_accessed_at, expires_at,
             revoked_at, factors, custom_claims, roles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          session.sessionId, session.projectId, session.organizationId, session.memberId, change.tokenHash, session.startedAt,
          session.lastAccessedAt, session.expiresAt, session.revokedAt, json(session.factors), json(session.customClaims), json(session.roles),
        );
        return true;
      }
      case "update_live_session":
        return (
          this.sql(
            `UPDATE sessions SET last_accessed_at = @now, factors = coalesce(@factors, factors),
               expires_at = coalesce(@expires_at, expires_at), custom_claims = coalesce(@custom_claims, custom_claims)
             WHERE session_id = @session_id AND project_id = @project_id AND revoked_at IS NULL AND expires_at > @now`,
          ).run({
            now: change.now,
            factors: change.factors ? json(change.factors) : null,
            expires_at: change.expiresAt ?? null,
            custom_claims: change.customClaims ? json(change.customClaims) : null,
            session_id: change.sessionId,
            project_id: change.projectId,
          }).changes === 1
        );
      case "require_live_session":
        return (
          this.sql("SELECT 1 FROM sessions WHERE session_id = ? AND project_id = ? AND revoked_at IS NULL AND expires_at > ?").get(
            change.sessionId,
            change.projectId,
            change.now,
          ) !== undefined
        );
      case "insert_organization":
        this.insertOrganizationRow(change.organization);
        return true;
      case "insert_member":
        this.insertMemberRow(change.member);
        return true;
      case "update_member":
        return this.updateMemberRow(change.member) === 1;
      case "set_member_password":
        this.sql(
          `INSERT INTO member_passwords (member_id, project_id, member_password_id, password_hash, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (member_id) DO UPDATE SET member_password_id = excluded.member_password_id,
             password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
        ).run(change.memberId, change.projectId, change.memberPasswordId, change.passwordHash, change.now);
        return true;
      case "delete_member_password":
        this.sql("DELETE FROM member_passwords WHERE member_id = ? AND project_id = ?").run(change.memberId, change.projectId);
        return true;
      case "save_totp_registration": {
        const r = change.registration;
        this.sql(
          `INSERT INTO totp_registrations (totp_registration_id, project_id, member_id, sealed_secret, verified, last_used_step, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (totp_registration_id) DO UPDATE SET verified = excluded.verified, expires_at = excluded.expires_at`,
        ).run(r.totpRegistrationId, r.projectId, r.memberId, r.sealedSecret, r.verified ? 1 : 0, r.lastUsedStep, r.createdAt, r.expiresAt);
        return true;
      }
      case "delete_totp_registrations":
        this.sql("DELETE FROM recovery_codes WHERE member_id = ? AND project_id = ?").run(change.memberId, change.projectId);
        this.sql("DELETE FROM totp_registrations WHERE member_id = ? AND project_id = ?").run(change.memberId, change.projectId);
        return true;
      case "replace_recovery_codes":
        this.sql("DELETE FROM recovery_codes WHERE totp_registration_id = ? AND project_id = ?").run(change.totpRegistrationId, change.projectId);
        for (const code of change.codes) {
          this.sql(
            `INSERT INTO recovery_codes (recovery_code_id, project_id, totp_registration_id, member_id, code_hash, sealed_code, consumed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          ).run(code.recoveryCodeId, code.projectId, code.totpRegistrationId, code.memberId, code.codeHash, code.sealedCode, code.consumedAt);
        }
        return true;
      case "consume_recovery_code":
        return (
          this.sql("UPDATE recovery_codes SET consumed_at = ? WHERE recovery_code_id = ? AND project_id = ? AND consumed_at IS NULL").run(
            change.now,
            change.recoveryCodeId,
            change.projectId,
          ).changes === 1
        );
      case "advance_totp_step":
        return (
          this.sql(
            "UPDATE totp_registrations SET last_used_step = ? WHERE totp_registration_id = ? AND project_id = ? AND last_used_step < ?",
          ).run(change.step, change.totpRegistrationId, change.projectId, change.step).changes === 1
        );
      case "enqueue_message": {
        const m = change.message;
        this.sql(
          `INSERT INTO outbox_messages (message_id, project_id, channel, recipient, subject, body, html_body, locale, magic_links_token, code,
             status, attempts, next_attempt_at, last_error, created_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(m.messageId, m.projectId, m.channel, m.recipient, m.subject, m.body, m.htmlBody, m.locale, m.magicLinksToken, m.code,
          m.status, m.attempts, m.nextAttemptAt, m.lastError, m.createdAt, m.deliveredAt);
        return true;
      }
      case "reset_failure_counter":
        this.sql("DELETE FROM failure_counters WHERE project_id = ? AND key = ?").run(change.projectId, change.key);
        return true;
    }
  }

  findMembersByEmail(projectId: string, emailAddress: string): Promise<Member[]> {
    return this.run(() =>
      (
        this.sql("SELECT * FROM members WHERE project_id = ? AND email_normalized = ? AND status <> 'deleted' ORDER BY seq").all(
          projectId,
          emailAddress.toLowerCase(),
        ) as Row[]
      ).map(fromRow.member),
    );
  }

  findMemberById(projectId: string, memberId: string): Promise<Member | null> {
    return this.run(() => {
      const row = this.sql("SELECT * FROM members WHERE member_id = ? AND project_id = ? AND status <> 'deleted'").get(memberId, projectId) as
        | Row
        | undefined;
      return row ? fromRow.member(row) : null;
    });
  }

  findIntermediateSessionByTokenHash(projectId: string, tokenHash: Buffer): Promise<IntermediateSession | null> {
    return this.run(() => {
      const row = this.sql("SELECT * FROM intermediate_sessions WHERE token_hash = ? AND project_id = ?").get(tokenHash, projectId) as
        | Row
        | undefined;
      return row ? fromRow.intermediateSession(row) : null;
    });
  }

  findOneTimeSecretByHash(projectId: string, purpose: OneTimeSecretPurpose, secretHash: Buffer): Promise<OneTimeSecret | null> {
    return this.run(() => {
      const row = this.sql("SELECT * FROM one_time_secrets WHERE secret_hash = ? AND project_id = ? AND purpose = ?").get(
        secretHash,
        projectId,
        purpose,
      ) as Row | undefined;
      return row ? fromRow.oneTimeSecret(row) : null;
    });
  }

  findLatestOneTimeSecret(projectId: string, purpose: OneTimeSecretPurpose, subject: string): Promise<OneTimeSecret | null> {
    return this.run(() => {
      const row = this.sql(
        `SELECT * FROM one_time_secrets WHERE project_id = ? AND purpose = ? AND subject = ? AND consumed_at IS NULL
         ORDER BY created_at DESC LIMIT 1`,
      ).get(projectId, purpose, subject) as Row | undefined;
      return row ? fromRow.oneTimeSecret(row) : null;
    });
  }

  claimOneTimeSecretAttempt(projectId: string, secretId: string): Promise<number | null> {
    return this.write(() => {
      const row = this.sql(
        `UPDATE one_time_secrets SET attempts = attempts + 1
         WHERE secret_id = ? AND project_id = ? AND consumed_at IS NULL AND attempts < max_attempts RETURNING attempts`,
      ).get(secretId, projectId) as Row | undefined;
      return row ? Number(row.attempts) : null;
    });
  }

  findMemberPasswordHash(projectId: string, memberId: string): Promise<string | null> {
    return this.run(() => {
      const row = this.sql("SELECT password_hash FROM member_passwords WHERE member_id = ? AND project_id = ?").get(memberId, projectId) as
        | Row
        | undefined;
      return row ? String(row.password_hash) : null;
    });
  }

  listTotpRegistrations(projectId: string, memberId: string): Promise<TotpRegistration[]> {
    return this.run(() =>
      (this.sql("SELECT * FROM totp_registrations WHERE member_id = ? AND project_id = ? ORDER BY created_at").all(memberId, projectId) as Row[]).map(
        fromRow.totpRegistration,
      ),
    );
  }

  listRecoveryCodes(projectId: string, totpRegistrationId: string): Promise<RecoveryCode[]> {
    return this.run(() =>
      (
        this.sql("SELECT * FROM recovery_codes WHERE totp_registration_id = ? AND project_id = ? ORDER BY recovery_code_id").all(
          totpRegistrationId,
          projectId,
        ) as Row[]
      ).map(fromRow.recoveryCode),
    );
  }

  incrementFailureCounter(projectId: string, key: string, now: EpochMs): Promise<number> {
    return this.write(() => {
      const row = this.sql(
        `INSERT INTO failure_counters (project_id, key, count, updated_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (project_id, key) DO UPDATE SET count = count + 1, updated_at = excluded.updated_at RETURNING count`,
      ).get(projectId, key, now) as Row;
      return Number(row.count);
    });
  }

  getFailureCounter(projectId: string, key: string): Promise<number> {
    return this.run(() => {
      const row = this.sql("SELECT count FROM failure_counters WHERE project_id = ? AND key = ?").get(projectId, key) as Row | undefined;
      return row ? Number(row.count) : 0;
    });
  }

  hitRateLimit(key: string, windowMs: number, limit: number, now: EpochMs): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const windowStart = now - (now % windowMs);
    return this.write(() => {
      // A later window starts over at 1; a hit stamped in an earlier window (a node whose clock is
      // behind) counts against the current window instead of resetting it.
      const row = this.sql(
        `INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN excluded.window_start > window_start THEN 1 ELSE count + 1 END,
           window_start = max(window_start, excluded.window_start)
         RETURNING count, window_start`,
      ).get(key, windowStart) as Row;
      const allowed = Number(row.count) <= limit;
      return { allowed, retryAfterMs: allowed ? 0 : Number(row.window_start) + windowMs - now };
    }, RELAXED);
  }

  // Outbox

  claimOutboxMessages(now: EpochMs, leaseMs: number, limit: number): Promise<OutboxMessage[]> {
    return this.write(() =>
      this.transaction(() => {
        const rows = this.sql(
          "SELECT * FROM outbox_messages WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
        ).all(now, limit) as Row[];
        // The lease: push the due time forward so no other worker picks these up meanwhile.
        for (const row of rows) {
          this.sql("UPDATE outbox_messages SET next_attempt_at = ?, attempts = attempts + 1 WHERE message_id = ?").run(now + leaseMs, row.message_id);
        }
        return rows.map((row) => ({ ...fromRow.outboxMessage(row), attempts: Number(row.attempts) + 1 }));
      }),
    );
  }

  markOutboxDelivered(messageId: string, now: EpochMs, redactBody: boolean): Promise<void> {
    return this.write(() => {
      this.sql(
        `UPDATE outbox_messages SET status = 'delivered', delivered_at = ?, last_error = '',
           body = CASE WHEN ? THEN '' ELSE body END, html_body = CASE WHEN ? THEN '' ELSE html_body END,
           magic_links_token = CASE WHEN ? THEN NULL ELSE magic_links_token END, code = CASE WHEN ? THEN NULL ELSE code END
         WHERE message_id = ?`,
      ).run(now, redactBody ? 1 : 0, redactBody ? 1 : 0, redactBody ? 1 : 0, redactBody ? 1 : 0, messageId);
    });
  }

  markOutboxFailed(messageId: string, error: string, nextAttemptAt: EpochMs | null): Promise<void> {
    return this.write(() => {
      this.sql(
        `UPDATE outbox_messages SET last_error = ?, status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END,
           next_attempt_at = coalesce(?, next_attempt_at) WHERE message_id = ?`,
      ).run(error.slice(0, 500), nextAttemptAt, nextAttemptAt, messageId);
    });
  }

  listOutboxMessages(projectId: string, recipient: string, limit: number): Promise<OutboxMessage[]> {
    return this.run(() =>
      (
        this.sql("SELECT * FROM outbox_messages WHERE project_id = ? AND recipient = ? ORDER BY created_at DESC, rowid DESC LIMIT ?").all(
          projectId,
          recipient,
          limit,
        ) as Row[]
      ).map(fromRow.outboxMessage),
    );
  }

  countPendingOutboxMessages(): Promise<number> {
    return this.run(() => Number((this.sql("SELECT count(*) AS n FROM outbox_messages WHERE status = 'pending'").get() as Row).n));
  }

  recordMemberDevice(sighting: {
    projectId: string;
    memberId: string;
    visitorId: string;
    ipAddress: string;
    userAgent: string;
    now: EpochMs;
  }): Promise<{ visitorFirstSeenAt: EpochMs | null; ipFirstSeenAt: EpochMs | null }> {
    const { projectId, memberId, visitorId, ipAddress, userAgent, now } = sighting;
    return this.write(() =>
      this.transaction(() => {
        const device = this.sql(
          "SELECT first_seen_at FROM member_devices WHERE project_id = ? AND member_id = ? AND visitor_id = ?",
        ).get(projectId, memberId, visitorId) as Row | undefined;
        this.sql(
          `INSERT INTO member_devices (project_id, member_id, visitor_id, ip_address, user_agent, first_seen_at, last_seen_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, member_id, visitor_id)
           DO UPDATE SET ip_address = excluded.ip_address, user_agent = excluded.user_agent, last_seen_at = excluded.last_seen_at`,
        ).run(projectId, memberId, visitorId, ipAddress, userAgent, now, now);
        let ipFirstSeenAt: EpochMs | null = null;
        if (ipAddress !== "") {
          const ip = this.sql(
            "SELECT first_seen_at FROM member_ip_addresses WHERE project_id = ? AND member_id = ? AND ip_address = ?",
          ).get(projectId, memberId, ipAddress) as Row | undefined;
          ipFirstSeenAt = ip ? Number(ip.first_seen_at) : null;
          this.sql(
            `INSERT INTO member_ip_addresses (project_id, member_id, ip_address, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (project_id, member_id, ip_address) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
          ).run(projectId, memberId, ipAddress, now, now);
        }
        return { visitorFirstSeenAt: device ? Number(device.first_seen_at) : null, ipFirstSeenAt };
      }),
    );
  }

  recordSecurityEvent(event: SecurityEvent): Promise<void> {
    return this.write(() => {
      this.sql(
        `INSERT INTO security_events (event_id, project_id, request_id, kind, outcome, reason, route, organization_id, member_id,
           session_id_hash, ip_address, user_agent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(event.eventId, event.projectId, event.requestId, event.kind, event.outcome, event.reason, event.route, event.organizationId,
        event.memberId, event.sessionIdHash, event.ipAddress, event.userAgent, event.createdAt);
    }, RELAXED);
  }

  listSecurityEvents(projectId: string | null, options: { sinceAt?: EpochMs; limit: number }): Promise<SecurityEvent[]> {
    return this.run(() =>
      (
        this.sql(
          `SELECT * FROM security_events WHERE (@project IS NULL OR project_id = @project) AND created_at >= @since
           ORDER BY seq DESC LIMIT @limit`,
        ).all({ project: projectId, since: options.sinceAt ?? 0, limit: options.limit }) as Row[]
      ).map(fromRow.securityEvent),
    );
  }

  instanceSecret(name: string, create: () => Buffer): Promise<Buffer> {
    return this.write(() =>
      this.transaction(() => {
        const row = this.sql("SELECT value FROM instance_secrets WHERE name = ?").get(name) as Row | undefined;
        if (row) return row.value as Buffer;
        const value = create();
        this.sql("INSERT INTO instance_secrets (name, value) VALUES (?, ?)").run(name, value);
        return value;
      }),
    );
  }

  sqlExecutor(): SqlExecutor {
    return this.executor;
  }

  private readonly executor: SqlExecutor = {
    dialect: "sqlite",
    query: (sql: string, params: SqlValue[] = []): Promise<Row[]> =>
      this.run(() => this.sql(sql).all(...params) as Row[]).catch((error: unknown) => Promise.reject(genericConflict(error))),
    atomically: (statements: SqlStatement[], options: { durable?: boolean } = {}): Promise<AtomicResult> =>
      this.write(
        (): AtomicResult => {
          const results = [];
          for (const [index, statement] of statements.entries()) {
            const prepared = this.sql(statement.sql);
            const params = statement.params ?? [];
            let result: { rows: Row[]; changes: number };
            if (prepared.reader) {
              const rows = prepared.all(...params) as Row[];
              // As on PostgreSQL, a SELECT or `… RETURNING` counts the rows it gave (so a guard can require a row).
              result = { rows, changes: rows.length };
            } else {
              result = { rows: [], changes: prepared.run(...params).changes };
            }
            const { changes } = result;
            if ((statement.expect === "one" && changes !== 1) || (statement.expect === "some" && changes < 1)) throw new GuardFailed(index);
            results.push(result);
          }
          return { ok: true, results };
        },
        { durable: options.durable ?? true },
      ).catch((error: unknown) => {
        if (error instanceof GuardFailed) return { ok: false, failedIndex: error.index };
        throw genericConflict(error);
      }),
  };

}

/** The one project `keys` belong to; null for no keys. Keys of several projects are a caller's bug. */
function singleProject(keys: SigningKey[]): string | null {
  const projects = new Set(keys.map((key) => key.projectId));
  if (projects.size > 1) throw new Error("insertFirstSigningKeys: keys of more than one project");
  return keys[0]?.projectId ?? null;
}


/** Thrown inside an executor statement list to roll its savepoint back when a guard does not hold. */
class GuardFailed extends Error {
  constructor(readonly index: number) {
    super(`guard ${index} failed`);
  }
}

/** A unique violation the core's names do not cover, as `table(col1,col2)` (from SQLite's message). */
function genericConflict(error: unknown): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== "string" || !/^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(code) || typeof message !== "string") return error;
  const columns = /constraint failed: (.*)$/.exec(message)?.[1]?.split(",").map((column) => column.trim()) ?? [];
  const table = columns[0]?.split(".")[0] ?? "";
  return new StoreConflict(uniqueConstraintName(table, columns.map((column) => column.split(".")[1] ?? column)) as StoreConflict["constraint"]);
}
