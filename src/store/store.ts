/**
 * @module The one storage interface. Methods are named after use cases and each is atomic on
 * its own: a service never opens a transaction, it calls the method that does the whole step.
 * Not-found is `null`; a unique-constraint violation is a `StoreConflict`.
 */
import type { EpochMs, Member, MemberStatus, Organization, Project, Session, SigningKey } from "../domain/types.js";

/** A unique constraint refused a write; `constraint` names what was already taken. */
export class StoreConflict extends Error {
  readonly constraint: "organization_slug" | "organization_external_id" | "member_email" | "member_external_id" | "project_id";
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

export interface Store {
  /** Applies pending migrations. Safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
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
}

export type { MemberStatus };
