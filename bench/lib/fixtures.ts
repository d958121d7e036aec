/**
 * @module What the seeding process hands to the load generator: the project's credentials and
 * pools of live sessions (tokens and JWTs) for each scenario. Written once per seeded database.
 */
import { readFileSync } from "node:fs";

export interface SeedCounts {
  organizations: number;
  /** Organizations whose mfa_policy is REQUIRED_FOR_ALL (the last ones). */
  mfaOrganizations: number;
  members: number;
  /** People: every one is a member of exactly two organizations (same email in both). */
  persons: number;
  sessions: number;
  /** Sessions seeded already expired (dead rows the lookups must skip past, as in production). */
  expiredSessions: number;
}

export interface ExchangePair {
  /** Token of a session in organization A, to exchange into B … */
  tokenA: string;
  orgA: string;
  /** … and of the same person's session in B, to exchange back into A. */
  tokenB: string;
  orgB: string;
}

export interface Fixtures {
  projectId: string;
  secret: string;
  counts: SeedCounts;
  seedSeconds: number;
  /** Live sessions spread over the whole table, for sessions/authenticate. */
  authenticate: { token: string; jwt: string }[];
  /** People in two no-MFA organizations, for the exchange no-MFA path. */
  exchange: ExchangePair[];
  /** A session in a no-MFA organization and the person's REQUIRED_FOR_ALL organization, for the MFA path. */
  exchangeMfa: { token: string; targetOrg: string }[];
  /** M2M clients (id and secret, each with a few scopes), for the client-credentials token endpoint. */
  m2mClients: { clientId: string; clientSecret: string }[];
}

export function readFixtures(path: string): Fixtures {
  return JSON.parse(readFileSync(path, "utf8")) as Fixtures;
}
