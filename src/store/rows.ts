/**
 * @module Rows to domain objects, written once for both adapters. The adapters differ only in how a
 * column comes back: SQLite gives 0/1 and JSON text, PostgreSQL gives booleans and parsed JSON;
 * each passes its own `ColumnCodec`.
 */
import type {
  IntermediateSession,
  Member,
  MemberStatus,
  OneTimeSecret,
  OneTimeSecretPurpose,
  Organization,
  OutboxMessage,
  RecoveryCode,
  SecurityEvent,
  Session,
  SigningKey,
  TotpRegistration,
} from "../domain/types.js";

export type Row = Record<string, unknown>;

export interface ColumnCodec {
  bool(value: unknown): boolean;
  json<T>(value: unknown): T;
}

const int = (value: unknown): number => Number(value);
const intOrNull = (value: unknown): number | null => (value === null ? null : Number(value));
const textOrNull = (value: unknown): string | null => (value === null ? null : String(value));

export function rowMappers(codec: ColumnCodec) {
  return {
    organization(row: Row): Organization {
      return {
        projectId: String(row.project_id),
        organizationId: String(row.organization_id),
        name: String(row.name),
        slug: String(row.slug),
        logoUrl: String(row.logo_url),
        externalId: textOrNull(row.external_id),
        trustedMetadata: codec.json(row.trusted_metadata),
        settings: codec.json(row.settings),
        createdAt: int(row.created_at),
        updatedAt: int(row.updated_at),
      };
    },
    member(row: Row): Member {
      return {
        projectId: String(row.project_id),
        organizationId: String(row.organization_id),
        memberId: String(row.member_id),
        emailId: String(row.email_id),
        emailAddress: String(row.email_address),
        emailAddressVerified: codec.bool(row.email_address_verified),
        status: String(row.status) as MemberStatus,
        name: String(row.name),
        externalId: textOrNull(row.external_id),
        trustedMetadata: codec.json(row.trusted_metadata),
        untrustedMetadata: codec.json(row.untrusted_metadata),
        isBreakglass: codec.bool(row.is_breakglass),
        mfaEnrolled: codec.bool(row.mfa_enrolled),
        mfaPhoneNumber: String(row.mfa_phone_number),
        mfaPhoneNumberVerified: codec.bool(row.mfa_phone_number_verified),
        defaultMfaMethod: String(row.default_mfa_method) as Member["defaultMfaMethod"],
        totpRegistrationId: String(row.totp_registration_id),
        memberPasswordId: String(row.member_password_id),
        roleIds: codec.json(row.role_ids),
        createdAt: int(row.created_at),
        updatedAt: int(row.updated_at),
      };
    },
    session(row: Row): Session {
      return {
        projectId: String(row.project_id),
        sessionId: String(row.session_id),
        organizationId: String(row.organization_id),
        memberId: String(row.member_id),
        startedAt: int(row.started_at),
        lastAccessedAt: int(row.last_accessed_at),
        expiresAt: int(row.expires_at),
        revokedAt: intOrNull(row.revoked_at),
        factors: codec.json(row.factors),
        customClaims: codec.json(row.custom_claims),
        roles: codec.json(row.roles),
      };
    },
    signingKey(row: Row): SigningKey {
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
    },
    /** '' in organization_id / member_id is an unbound (discovery) session, as on SQLite. */
    intermediateSession(row: Row): IntermediateSession {
      return {
        projectId: String(row.project_id),
        intermediateSessionId: String(row.intermediate_session_id),
        organizationId: row.organization_id === "" ? null : String(row.organization_id),
        memberId: row.member_id === "" ? null : String(row.member_id),
        emailAddress: String(row.email_address),
        factors: codec.json(row.factors),
        createdAt: int(row.created_at),
        expiresAt: int(row.expires_at),
        consumedAt: intOrNull(row.consumed_at),
      };
    },
    oneTimeSecret(row: Row): OneTimeSecret {
      return {
        projectId: String(row.project_id),
        secretId: String(row.secret_id),
        purpose: String(row.purpose) as OneTimeSecretPurpose,
        subject: String(row.subject),
        secretHash: row.secret_hash as Buffer,
        organizationId: textOrNull(row.organization_id),
        memberId: textOrNull(row.member_id),
        details: codec.json(row.details),
        attempts: int(row.attempts),
        maxAttempts: int(row.max_attempts),
        createdAt: int(row.created_at),
        expiresAt: int(row.expires_at),
        consumedAt: intOrNull(row.consumed_at),
      };
    },
    outboxMessage(row: Row): OutboxMessage {
      return {
        projectId: String(row.project_id),
        messageId: String(row.message_id),
        channel: String(row.channel) as OutboxMessage["channel"],
        recipient: String(row.recipient),
        subject: String(row.subject),
        body: String(row.body),
        htmlBody: String(row.html_body),
        locale: String(row.locale),
        magicLinksToken: textOrNull(row.magic_links_token),
        code: textOrNull(row.code),
        status: String(row.status) as OutboxMessage["status"],
        attempts: int(row.attempts),
        nextAttemptAt: int(row.next_attempt_at),
        lastError: String(row.last_error),
        createdAt: int(row.created_at),
        deliveredAt: intOrNull(row.delivered_at),
      };
    },
    totpRegistration(row: Row): TotpRegistration {
      return {
        projectId: String(row.project_id),
        totpRegistrationId: String(row.totp_registration_id),
        memberId: String(row.member_id),
        sealedSecret: String(row.sealed_secret),
        verified: codec.bool(row.verified),
        lastUsedStep: int(row.last_used_step),
        createdAt: int(row.created_at),
        expiresAt: intOrNull(row.expires_at),
      };
    },
    recoveryCode(row: Row): RecoveryCode {
      return {
        projectId: String(row.project_id),
        recoveryCodeId: String(row.recovery_code_id),
        totpRegistrationId: String(row.totp_registration_id),
        memberId: String(row.member_id),
        codeHash: row.code_hash as Buffer,
        sealedCode: String(row.sealed_code),
        consumedAt: intOrNull(row.consumed_at),
      };
    },
    securityEvent(row: Row): SecurityEvent {
      return {
        eventId: String(row.event_id),
        projectId: String(row.project_id),
        requestId: String(row.request_id),
        kind: String(row.kind) as SecurityEvent["kind"],
        outcome: String(row.outcome) as SecurityEvent["outcome"],
        reason: String(row.reason),
        route: String(row.route),
        organizationId: String(row.organization_id),
        memberId: String(row.member_id),
        sessionIdHash: String(row.session_id_hash),
        ipAddress: String(row.ip_address),
        userAgent: String(row.user_agent),
        createdAt: int(row.created_at),
      };
    },
  };
}

export type RowMappers = ReturnType<typeof rowMappers>;
