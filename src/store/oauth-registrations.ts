/**
 * @module Storage of members' OAuth registrations over the dialect-neutral SQL executor: one row
 * per (member, provider, provider subject), holding the provider's tokens sealed (the store never
 * sees them in the clear) and the tenant ids the provider reported. A login upserts its row.
 */
import type { OAuthProviderName } from "../domain/project-settings.js";
import type { SqlExecutor } from "./sql/executor.js";

export interface OAuthRegistrationRecord {
  projectId: string;
  registrationId: string;
  organizationId: string;
  memberId: string;
  provider: OAuthProviderName;
  providerSubject: string;
  providerTenantIds: string[];
  profilePictureUrl: string;
  locale: string;
  scopes: string[];
  /** The provider tokens (`ProviderTokens` as JSON), sealed with the installation key. */
  sealedTokens: string;
  accessTokenExpiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface OAuthRegistrationStore {
  /** Inserts, or replaces the tokens, tenants, scopes and profile of the member's row for this account; returns the stored row. */
  upsert(record: OAuthRegistrationRecord): Promise<OAuthRegistrationRecord>;
  listForMember(projectId: string, memberId: string): Promise<OAuthRegistrationRecord[]>;
  /** Replaces the tokens after a refresh. */
  updateTokens(projectId: string, registrationId: string, sealedTokens: string, scopes: string[], accessTokenExpiresAt: number | null, now: number): Promise<void>;
}

const COLUMNS =
  "project_id, registration_id, organization_id, member_id, provider, provider_subject, provider_tenant_ids, profile_picture_url, locale, scopes, sealed_tokens, access_token_expires_at, created_at, updated_at";

function toRecord(row: Record<string, unknown>): OAuthRegistrationRecord {
  return {
    projectId: String(row.project_id),
    registrationId: String(row.registration_id),
    organizationId: String(row.organization_id),
    memberId: String(row.member_id),
    provider: String(row.provider) as OAuthProviderName,
    providerSubject: String(row.provider_subject),
    providerTenantIds: JSON.parse(String(row.provider_tenant_ids)) as string[],
    profilePictureUrl: String(row.profile_picture_url),
    locale: String(row.locale),
    scopes: JSON.parse(String(row.scopes)) as string[],
    sealedTokens: String(row.sealed_tokens),
    accessTokenExpiresAt: row.access_token_expires_at === null || row.access_token_expires_at === undefined ? null : Number(row.access_token_expires_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export class SqlOAuthRegistrationStore implements OAuthRegistrationStore {
  constructor(private readonly sql: SqlExecutor) {}

  async upsert(record: OAuthRegistrationRecord): Promise<OAuthRegistrationRecord> {
    const r = record;
    await this.sql.atomically([
      {
        sql:
          `INSERT INTO oauth_registrations (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
          "ON CONFLICT (project_id, member_id, provider, provider_subject) DO UPDATE SET provider_tenant_ids = excluded.provider_tenant_ids, " +
          "profile_picture_url = excluded.profile_picture_url, locale = excluded.locale, scopes = excluded.scopes, sealed_tokens = excluded.sealed_tokens, " +
          "access_token_expires_at = excluded.access_token_expires_at, updated_at = excluded.updated_at",
        params: [
          r.projectId, r.registrationId, r.organizationId, r.memberId, r.provider, r.providerSubject, JSON.stringify(r.providerTenantIds),
          r.profilePictureUrl, r.locale, JSON.stringify(r.scopes), r.sealedTokens, r.accessTokenExpiresAt, r.createdAt, r.updatedAt,
        ],
      },
    ], { durable: true });
    const rows = await this.sql.query(
      `SELECT ${COLUMNS} FROM oauth_registrations WHERE project_id = ? AND member_id = ? AND provider = ? AND provider_subject = ?`,
      [r.projectId, r.memberId, r.provider, r.providerSubject],
    );
    return toRecord(rows[0]!);
  }

  async listForMember(projectId: string, memberId: string): Promise<OAuthRegistrationRecord[]> {
    const rows = await this.sql.query(`SELECT ${COLUMNS} FROM oauth_registrations WHERE project_id = ? AND member_id = ? ORDER BY created_at, registration_id`, [projectId, memberId]);
    return rows.map(toRecord);
  }

  async updateTokens(projectId: string, registrationId: string, sealedTokens: string, scopes: string[], accessTokenExpiresAt: number | null, now: number): Promise<void> {
    await this.sql.atomically([
      {
        sql: "UPDATE oauth_registrations SET sealed_tokens = ?, scopes = ?, access_token_expires_at = ?, updated_at = ? WHERE project_id = ? AND registration_id = ?",
        params: [sealedTokens, JSON.stringify(scopes), accessTokenExpiresAt, now, projectId, registrationId],
      },
    ], { durable: true });
  }
}
