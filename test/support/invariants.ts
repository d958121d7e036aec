/**
 * @module The invariant checker for crash and outage tests. It reads a Tessera SQLite file
 * (read-only) and reports every violation of what must hold after any crash:
 *
 * From the database alone
 *  - the file passes `PRAGMA integrity_check` and `foreign_key_check`;
 *  - every session has factors (a non-empty JSON array), object claims, array roles, a 32-byte
 *    token hash and an expiry after its start; intermediate sessions' factors parse;
 *  - every consumed intermediate session has the session minted from it (same instant, same
 *    member, or for a discovery session a member with its email);
 *  - SMS passcodes and queued SMS messages come in pairs per phone number (one commit each);
 *  - no outbox message was given up (status `failed`).
 *
 * Against what the clients were told (the ledger)
 *  - every session token a client received still exists, and is live unless the client revoked it;
 *  - every revocation a client saw acknowledged is still revoked;
 *  - every intermediate session token a client received exists;
 *  - every SMS a client was told was sent (`secondary_auth_initiated`) is queued or delivered;
 *  - every outbox message seen in the database before a crash is still queued or delivered;
 *  - every discovery intermediate session of the seed is consumed exactly when a session was
 *    minted for its member, never more than one, and consumed if a client was told it was.
 */
import { createHash } from "node:crypto";
import { openReadOnly } from "./db-snapshot.js";

export interface Ledger {
  /** Session tokens handed out with a 200 (exchange, discovery), with their member. */
  sessions: Map<string, { memberId: string }>;
  /** Tokens of sessions whose revocation was acknowledged with a 200. */
  revoked: Set<string>;
  /** Tokens of sessions whose revocation was sent (acknowledged or not). */
  revokeAttempted: Set<string>;
  /** Intermediate session tokens handed out with a 200 (step-up branch). */
  intermediateSessions: Set<string>;
  /** SMS passcodes a client was told were sent, per phone number. */
  smsSent: Map<string, number>;
  /** Outbox message ids seen in the database at any time. */
  outboxSeen: Set<string>;
  /** The seed's discovery intermediate sessions: token → the member a discovery exchange mints for. */
  discovery: Map<string, { memberId: string }>;
  /** Discovery tokens whose exchange was acknowledged with a session. */
  discoveryAcknowledged: Set<string>;
}

export function emptyLedger(): Ledger {
  return {
    sessions: new Map(),
    revoked: new Set(),
    revokeAttempted: new Set(),
    intermediateSessions: new Set(),
    smsSent: new Map(),
    outboxSeen: new Set(),
    discovery: new Map(),
    discoveryAcknowledged: new Set(),
  };
}

export const tokenHash = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest();

type Row = Record<string, unknown>;

function parses(text: unknown, check: (value: unknown) => boolean): boolean {
  try {
    return check(JSON.parse(String(text)));
  } catch {
    return false;
  }
}

const isObject = (value: unknown): boolean => typeof value === "object" && value !== null && !Array.isArray(value);

export interface InvariantReport {
  violations: string[];
  stats: Record<string, number>;
}

/** Adds the ids of every outbox message now in the database to the ledger. */
export function recordOutbox(databasePath: string, ledger: Ledger): void {
  const db = openReadOnly(databasePath);
  try {
    for (const row of db.prepare("SELECT message_id FROM outbox_messages").all() as Row[]) ledger.outboxSeen.add(String(row.message_id));
  } finally {
    db.close();
  }
}

export function checkInvariants(databasePath: string, ledger?: Ledger): InvariantReport {
  const db = openReadOnly(databasePath);
  const violations: string[] = [];
  const stats: Record<string, number> = {};
  const add = (message: string): void => void violations.push(message);
  try {
    const integrity = (db.prepare("PRAGMA integrity_check").all() as Row[]).map((row) => String(Object.values(row)[0]));
    if (integrity.join() !== "ok") add(`integrity_check: ${integrity.join("; ")}`);
    const foreign = db.prepare("PRAGMA foreign_key_check").all() as Row[];
    if (foreign.length > 0) add(`foreign_key_check: ${foreign.length} rows`);

    const sessions = db.prepare("SELECT * FROM sessions").all() as Row[];
    stats.sessions = sessions.length;
    for (const s of sessions) {
      const id = String(s.session_id);
      if (!parses(s.factors, (value) => Array.isArray(value) && value.length > 0 && value.every(isObject))) add(`session ${id}: factors are not a non-empty array of objects`);
      if (!parses(s.custom_claims, isObject)) add(`session ${id}: custom_claims do not parse to an object`);
      if (!parses(s.roles, Array.isArray)) add(`session ${id}: roles do not parse to an array`);
      if (!Buffer.isBuffer(s.token_hash) || s.token_hash.length !== 32) add(`session ${id}: token hash is not 32 bytes`);
      if (!(Number(s.expires_at) > Number(s.started_at))) add(`session ${id}: expires before it starts`);
    }

    const members = new Map((db.prepare("SELECT member_id, email_normalized, status FROM members").all() as Row[]).map((row) => [String(row.member_id), row]));
    const intermediate = db.prepare("SELECT * FROM intermediate_sessions").all() as Row[];
    stats.intermediate_sessions = intermediate.length;
    const minted = db.prepare("SELECT member_id FROM sessions WHERE project_id = ? AND started_at = ?");
    for (const ist of intermediate) {
      const id = String(ist.intermediate_session_id);
      if (!parses(ist.factors, Array.isArray)) add(`intermediate session ${id}: factors do not parse to an array`);
      if (ist.consumed_at === null) continue;
      stats.consumed_intermediate_sessions = (stats.consumed_intermediate_sessions ?? 0) + 1;
      const candidates = (minted.all(ist.project_id, ist.consumed_at) as Row[]).map((row) => String(row.member_id));
      const matches = candidates.some((memberId) =>
        ist.member_id !== "" ? memberId === ist.member_id : String(members.get(memberId)?.email_normalized) === String(ist.email_address).toLowerCase(),
      );
      if (!matches) add(`intermediate session ${id}: consumed at ${String(ist.consumed_at)} but no session was minted from it`);
    }

    const secrets = db.prepare("SELECT * FROM one_time_secrets WHERE purpose = 'sms_otp'").all() as Row[];
    const messages = db.prepare("SELECT * FROM outbox_messages").all() as Row[];
    stats.sms_passcodes = secrets.length;
    stats.outbox_messages = messages.length;
    // A passcode and its message are written by one commit, so per phone number they come in pairs.
    const perPhone = new Map<string, { passcodes: number; messages: number }>();
    const tally = (phone: string): { passcodes: number; messages: number } => {
      let entry = perPhone.get(phone);
      if (!entry) perPhone.set(phone, (entry = { passcodes: 0, messages: 0 }));
      return entry;
    };
    for (const m of messages) {
      if (m.channel === "sms") tally(String(m.recipient)).messages++;
      if (m.status === "failed") add(`outbox message ${String(m.message_id)}: given up (${String(m.last_error)})`);
      if (!["pending", "delivered", "failed"].includes(String(m.status))) add(`outbox message ${String(m.message_id)}: unknown status ${String(m.status)}`);
    }
    for (const secret of secrets) {
      const details = parses(secret.details, isObject) ? (JSON.parse(String(secret.details)) as { phone_number?: string }) : {};
      if (typeof details.phone_number !== "string") add(`SMS passcode ${String(secret.secret_id)}: no phone number`);
      else tally(details.phone_number).passcodes++;
    }
    for (const [phone, { passcodes, messages: queued }] of perPhone) {
      if (passcodes !== queued) add(`SMS to ${phone}: ${passcodes} passcodes but ${queued} queued messages`);
    }

    if (ledger) {
      const byHash = db.prepare("SELECT session_id, member_id, revoked_at FROM sessions WHERE token_hash = ?");
      for (const [token, { memberId }] of ledger.sessions) {
        const row = byHash.get(tokenHash(token)) as Row | undefined;
        if (!row) add(`acknowledged session of ${memberId} is missing`);
        else if (row.member_id !== memberId) add(`acknowledged session ${String(row.session_id)} belongs to ${String(row.member_id)}, not ${memberId}`);
        else if (row.revoked_at !== null && !ledger.revokeAttempted.has(token)) add(`acknowledged session ${String(row.session_id)} is revoked though nobody asked`);
      }
      for (const token of ledger.revoked) {
        const row = byHash.get(tokenHash(token)) as Row | undefined;
        if (!row) add("a session whose revocation was acknowledged is missing");
        else if (row.revoked_at === null) add(`revocation of ${String(row.session_id)} was acknowledged but is lost`);
      }
      const istByHash = db.prepare("SELECT 1 FROM intermediate_sessions WHERE token_hash = ?");
      for (const token of ledger.intermediateSessions) if (!istByHash.get(tokenHash(token))) add("an acknowledged intermediate session is missing");
      for (const [phone, count] of ledger.smsSent) {
        const queued = messages.filter((m) => m.channel === "sms" && m.recipient === phone && (m.status === "pending" || m.status === "delivered")).length;
        if (queued < count) add(`SMS to ${phone}: ${count} acknowledged, ${queued} queued or delivered`);
      }
      const outboxIds = new Map(messages.map((m) => [String(m.message_id), String(m.status)]));
      for (const id of ledger.outboxSeen) {
        const status = outboxIds.get(id);
        if (status === undefined) add(`outbox message ${id} was seen before the crash and is gone`);
        else if (status !== "pending" && status !== "delivered") add(`outbox message ${id} is ${status}`);
      }
      const istRow = db.prepare("SELECT consumed_at FROM intermediate_sessions WHERE token_hash = ?");
      const sessionsOf = db.prepare("SELECT count(*) AS n FROM sessions WHERE member_id = ?");
      for (const [token, { memberId }] of ledger.discovery) {
        const row = istRow.get(tokenHash(token)) as Row | undefined;
        if (!row) {
          add(`seeded discovery intermediate session of ${memberId} is missing`);
          continue;
        }
        const count = Number((sessionsOf.get(memberId) as Row).n);
        const consumed = row.consumed_at !== null;
        if (consumed && count !== 1) add(`discovery intermediate session of ${memberId} consumed, ${count} sessions minted (want 1)`);
        if (!consumed && count !== 0) add(`${count} session(s) minted for ${memberId} from an unconsumed discovery intermediate session`);
        if (ledger.discoveryAcknowledged.has(token) && !consumed) add(`discovery exchange for ${memberId} was acknowledged but its token is not consumed`);
      }
      stats.acknowledged_sessions = ledger.sessions.size;
      stats.acknowledged_revocations = ledger.revoked.size;
      stats.acknowledged_discovery = ledger.discoveryAcknowledged.size;
    }
  } finally {
    db.close();
  }
  return { violations, stats };
}
