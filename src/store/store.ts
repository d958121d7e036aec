/**
 * @module The one storage interface. Methods are named after use cases and each is atomic on
 * its own: a service never opens a transaction, it calls the method that does the whole step.
 * Not-found is `null`; a unique-constraint violation is a `StoreConflict`.
 */
import type {
  AuthenticationFactor,
  EpochMs,
  IntermediateSession,
  Member,
  MemberStatus,
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
} from "../domain/types.js";
import type { SqlExecutor } from "./sql/executor.js";

/**
 * A unique constraint refused a write; `constraint` names what was already taken: one of the
 * core's names, or `table(col1,col2)` for statements run through the SQL executor (store/sql).
 */
export class StoreConflict extends Error {
  readonly constraint:
    | "organization_slug"
    | "organization_external_id"
    | "member_email"
    | "member_external_id"
    | "project_id"
    | `${string}(${string})`;
  constructor(constraint: StoreConflict["constraint"]) {
    super(`unique constraint violated: ${constraint}`);
    this.name = "StoreConflict";
    this.constraint = constraint;
  }
}

/** The database could not be reached or is not usable right now (locked, unreadable, down). */
export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    super("database unavailable", { cause });
    this.name = "StoreUnavailable";
  }
}

export interface SearchOperand {
  filter_name: string;
  filter_value: unknown;
}

export interface SearchQuery {
  operator: "AND" | "OR";
  operands: SearchOperand[];
}

export interface Page<T> {
  items: T[];
  /** Count of all matches across pages. */
  total: number;
  /** Opaque position after the last item, or null on the last page. */
  nextCursor: string | null;
}

/**
 * One step of an authentication, applied all-or-nothing by `Store.commit`. Items whose name
 * starts with `consume_`, `require_` or `update_live_` are preconditions as well as writes: if
 * one does not hold (already used, expired, revoked), nothing at all is written.
 */
export type Change =
  | { kind: "insert_one_time_secret"; secret: OneTimeSecret; supersedePrevious: boolean }
  | { kind: "consume_one_time_secret"; projectId: string; secretId: string; now: EpochMs }
  | { kind: "insert_intermediate_session"; intermediateSession: IntermediateSession; tokenHash: Buffer }
  | {
      kind: "update_live_intermediate_session";
      projectId: string;
      intermediateSessionId: string;
      factors: AuthenticationFactor[];
      now: EpochMs;
      /** Binds a discovery session to the organization and member it is now stepping up into. */
      bindTo?: { organizationId: string; memberId: string };
    }
  | { kind: "consume_intermediate_session"; projectId: string; intermediateSessionId: string; now: EpochMs }
  | { kind: "insert_session"; session: Session; tokenHash: Buffer }
  | {
      kind: "update_live_session";
      projectId: string;
      sessionId: string;
      now: EpochMs;
      factors?: AuthenticationFactor[];
      expiresAt?: EpochMs;
      customClaims?: Record<string, unknown>;
    }
  | { kind: "require_live_session"; projectId: string; sessionId: string; now: EpochMs }
  | { kind: "insert_organization"; organization: Organization }
  | { kind: "insert_member"; member: Member }
  | { kind: "update_member"; member: Member }
  | { kind: "set_member_password"; projectId: string; memberId: string; memberPasswordId: string; passwordHash: string; now: EpochMs }
  | { kind: "delete_member_password"; projectId: string; memberId: string }
  | { kind: "save_totp_registration"; registration: TotpRegistration }
  | { kind: "delete_totp_registrations"; projectId: string; memberId: string }
  | { kind: "replace_recovery_codes"; projectId: string; totpRegistrationId: string; codes: RecoveryCode[] }
  | { kind: "consume_recovery_code"; projectId: string; recoveryCodeId: string; now: EpochMs }
  /** Accepts a TOTP step only if it is later than every step accepted before (no code twice). */
  | { kind: "advance_totp_step"; projectId: string; totpRegistrationId: string; step: number }
  | { kind: "enqueue_message"; message: OutboxMessage }
  | { kind: "reset_failure_counter"; projectId: string; key: string };

export type CommitResult = { ok: true } | { ok: false; failed: Change["kind"]; index: number };

export interface Store {
  /** Applies pending migrations. Safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Connection pool figures for metrics (an embedded database has one connection, none waiting). */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;

  // Projects
  insertProject(project: Project): Promise<void>;
  findProject(projectId: string): Promise<Project | null>;
  setProjectSecretHash(projectId: string, secretHash: Buffer): Promise<void>;
  countProjects(): Promise<number>;
  listProjectIds(): Promise<string[]>;

  // Signing keys
  listSigningKeys(projectId: string): Promise<SigningKey[]>;
  /** Adds keys that do not exist yet (first keys of a project); existing kids are left alone. */
  insertSigningKeys(keys: SigningKey[]): Promise<void>;
  /**
   * A project's first keys, atomically: inserts `keys` (all of one project) only if the project
   * has no signing keys yet and says whether it did. Nodes racing to give a new project its keys
   * end with one set (one `current`); the losers get false and should re-read the keys.
   */
  insertFirstSigningKeys(keys: SigningKey[]): Promise<boolean>;
  /**
   * One rotation step, atomically: the `next` key starts signing, the old `current` retires at
   * `now`, `newNext` is published, and retired keys older than `dropRetiredBefore` are removed.
   */
  rotateSigningKeys(projectId: string, newNext: SigningKey, now: EpochMs, dropRetiredBefore: EpochMs): Promise<void>;

  // Organizations
  insertOrganization(organization: Organization): Promise<void>;
  /** By organization id, slug or external id (in that order of precedence). */
  findOrganization(projectId: string, idSlugOrExternalId: string): Promise<Organization | null>;
  updateOrganization(organization: Organization): Promise<void>;
  /** Deletes the organization and its members and revokes their sessions. */
  deleteOrganization(projectId: string, organizationId: string, now: EpochMs): Promise<boolean>;
  searchOrganizations(projectId: string, query: SearchQuery | null, cursor: string | null, limit: number): Promise<Page<Organization>>;

  // Members
  insertMember(member: Member): Promise<void>;
  /** By member id or external id, within one organization; deleted members are not found. */
  findMember(projectId: string, organizationId: string, idOrExternalId: string): Promise<Member | null>;
  /** Case-insensitive email match within one organization; deleted members are not found. */
  findMemberByEmail(projectId: string, organizationId: string, emailAddress: string): Promise<Member | null>;
  /** Rewrites a member's mutable fields; a deleted member is left deleted (nothing is written). */
  updateMember(member: Member): Promise<void>;
  /** Marks the member deleted and revokes its sessions. */
  deleteMember(projectId: string, memberId: string, now: EpochMs): Promise<boolean>;
  searchMembers(
    projectId: string,
    organizationIds: string[],
    query: SearchQuery | null,
    cursor: string | null,
    limit: number,
  ): Promise<Page<Member>>;

  // Sessions
  insertSession(session: Session, tokenHash: Buffer): Promise<void>;
  /** A session by the hash of its token, whatever its state; callers check liveness. */
  findSessionByTokenHash(projectId: string, tokenHash: Buffer): Promise<Session | null>;
  findSession(projectId: string, sessionId: string): Promise<Session | null>;
  /**
   * Records an authentication of a live session: sets last access, optionally a new expiry and
   * claims. Returns the updated session, or null if it was revoked or expired at `now`.
   */
  touchSession(
    projectId: string,
    sessionId: string,
    update: { now: EpochMs; expiresAt?: EpochMs; customClaims?: Record<string, unknown> },
  ): Promise<Session | null>;
  listLiveSessions(projectId: string, memberId: string, now: EpochMs): Promise<Session[]>;
  /** Revokes one session; false when it was not live. */
  revokeSession(projectId: string, sessionId: string, now: EpochMs): Promise<boolean>;
  /** Revokes every live session of a member; returns how many. */
  revokeMemberSessions(projectId: string, memberId: string, now: EpochMs): Promise<number>;

  // Authentication steps

  /** Applies `changes` in one transaction, all or nothing (see `Change`). */
  commit(changes: Change[]): Promise<CommitResult>;

  /** Members with this email address (case-insensitive) across the project's organizations, not deleted. */
  findMembersByEmail(projectId: string, emailAddress: string): Promise<Member[]>;
  findMemberById(projectId: string, memberId: string): Promise<Member | null>;

  findIntermediateSessionByTokenHash(projectId: string, tokenHash: Buffer): Promise<IntermediateSession | null>;

  findOneTimeSecretByHash(projectId: string, purpose: OneTimeSecretPurpose, secretHash: Buffer): Promise<OneTimeSecret | null>;
  /** The newest unconsumed secret for a subject (codes are looked up by what they were sent for). */
  findLatestOneTimeSecret(projectId: string, purpose: OneTimeSecretPurpose, subject: string): Promise<OneTimeSecret | null>;
  /**
   * Takes one attempt from the secret's budget, atomically. Returns the attempts used including
   * this one, or null when the budget is spent (or the secret is consumed or unknown): the
   * caller may compare the presented code only after winning an attempt.
   */
  claimOneTimeSecretAttempt(projectId: string, secretId: string): Promise<number | null>;

  /** The member's password hash, or null. */
  findMemberPasswordHash(projectId: string, memberId: string): Promise<string | null>;

  listTotpRegistrations(projectId: string, memberId: string): Promise<TotpRegistration[]>;
  listRecoveryCodes(projectId: string, totpRegistrationId: string): Promise<RecoveryCode[]>;

  /**
   * Adds one to a named counter (consecutive failures of a member, say) and returns the new
   * value; `reset_failure_counter` in a commit sets it back to zero.
   */
  incrementFailureCounter(projectId: string, key: string, now: EpochMs): Promise<number>;
  getFailureCounter(projectId: string, key: string): Promise<number>;

  /**
   * Fixed-window rate limit: counts one hit on `key` in the window containing `now` and says
   * whether it is within `limit`; when not, how long until the window ends.
   */
  hitRateLimit(key: string, windowMs: number, limit: number, now: EpochMs): Promise<{ allowed: boolean; retryAfterMs: number }>;

  // Outbox

  /**
   * Leases up to `limit` pending messages due at `now` for `leaseMs`, so that several workers
   * (or nodes) never deliver the same message twice.
   */
  claimOutboxMessages(now: EpochMs, leaseMs: number, limit: number): Promise<OutboxMessage[]>;
  markOutboxDelivered(messageId: string, now: EpochMs, redactBody: boolean): Promise<void>;
  /** Records a failed attempt; the message is retried at `nextAttemptAt`, or given up when null. */
  markOutboxFailed(messageId: string, error: string, nextAttemptAt: EpochMs | null): Promise<void>;
  /** A test project's messages to one recipient, newest first. */
  listOutboxMessages(projectId: string, recipient: string, limit: number): Promise<OutboxMessage[]>;
  countPendingOutboxMessages(): Promise<number>;

  /**
   * Records that a member was seen on a device (visitor id) from an IP address, and returns when
   * each was first seen before this sighting (null when new).
   */
  recordMemberDevice(sighting: {
    projectId: string;
    memberId: string;
    visitorId: string;
    ipAddress: string;
    userAgent: string;
    now: EpochMs;
  }): Promise<{ visitorFirstSeenAt: EpochMs | null; ipFirstSeenAt: EpochMs | null }>;

  recordSecurityEvent(event: SecurityEvent): Promise<void>;
  /** A project's events (all projects when null), newest first, from `sinceAt` on. */
  listSecurityEvents(projectId: string | null, options: { sinceAt?: EpochMs; limit: number }): Promise<SecurityEvent[]>;

  /** A named secret of this installation (HMAC and sealing keys), created on first use. */
  instanceSecret(name: string, create: () => Buffer): Promise<Buffer>;

  /**
   * The dialect-neutral SQL executor on this database, for the capability stores written once
   * for both dialects (src/store/sql/). Only code under src/store/ may use it.
   */
  sqlExecutor(): SqlExecutor;
}

export type { MemberStatus };
