/**
 * @module The domain's nouns. Instants are epoch milliseconds in fields ending in `At`.
 * Organization policy settings keep Stytch's names: they are the wire contract and a
 * translation table would add nothing.
 */

export type EpochMs = number;
export type Environment = "test" | "live";

export interface Project {
  projectId: string;
  environment: Environment;
  name: string;
  /** SHA-256 of the secret; the secret itself is never stored. */
  secretHash: Buffer;
  createdAt: EpochMs;
}

export type SsoJitProvisioning = "ALL_ALLOWED" | "RESTRICTED" | "NOT_ALLOWED";
export type EmailJitProvisioning = "RESTRICTED" | "NOT_ALLOWED";
export type EmailInvites = "ALL_ALLOWED" | "RESTRICTED" | "NOT_ALLOWED";
export type AuthMethods = "ALL_ALLOWED" | "RESTRICTED";
export type MfaPolicy = "OPTIONAL" | "REQUIRED_FOR_ALL";
export type MfaMethods = "ALL_ALLOWED" | "RESTRICTED";
export type ConnectedAppsAllowedType = "ALL_ALLOWED" | "RESTRICTED" | "NOT_ALLOWED";
export type PrimaryAuthMethod =
  | "sso"
  | "magic_link"
  | "email_otp"
  | "password"
  | "google_oauth"
  | "microsoft_oauth"
  | "slack_oauth"
  | "github_oauth"
  | "hubspot_oauth";
export type MfaMethod = "sms_otp" | "totp";

export interface EmailImplicitRoleAssignment {
  role_id: string;
  domain: string;
}

/** The organization's authentication and provisioning policy, with Stytch's field names. */
export interface OrganizationSettings {
  sso_jit_provisioning: SsoJitProvisioning;
  sso_jit_provisioning_allowed_connections: string[];
  sso_default_connection_id: string | null;
  email_allowed_domains: string[];
  email_jit_provisioning: EmailJitProvisioning;
  email_invites: EmailInvites;
  auth_methods: AuthMethods;
  allowed_auth_methods: PrimaryAuthMethod[];
  mfa_policy: MfaPolicy;
  mfa_methods: MfaMethods;
  allowed_mfa_methods: MfaMethod[];
  rbac_email_implicit_role_assignments: EmailImplicitRoleAssignment[];
  oauth_tenant_jit_provisioning: "RESTRICTED" | "NOT_ALLOWED";
  allowed_oauth_tenants: Record<string, string[]>;
  claimed_email_domains: string[];
  first_party_connected_apps_allowed_type: ConnectedAppsAllowedType;
  allowed_first_party_connected_apps: string[];
  third_party_connected_apps_allowed_type: ConnectedAppsAllowedType;
  allowed_third_party_connected_apps: string[];
}

export interface Organization {
  projectId: string;
  organizationId: string;
  name: string;
  slug: string;
  logoUrl: string;
  externalId: string | null;
  trustedMetadata: Record<string, unknown>;
  settings: OrganizationSettings;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export type MemberStatus = "active" | "pending" | "invited" | "deleted";

export interface Member {
  projectId: string;
  organizationId: string;
  memberId: string;
  /** Stable id of the member's current email address (`email-test-<uuid>`), used by email factors. */
  emailId: string;
  emailAddress: string;
  emailAddressVerified: boolean;
  status: MemberStatus;
  name: string;
  externalId: string | null;
  trustedMetadata: Record<string, unknown>;
  untrustedMetadata: Record<string, unknown>;
  isBreakglass: boolean;
  mfaEnrolled: boolean;
  mfaPhoneNumber: string;
  mfaPhoneNumberVerified: boolean;
  defaultMfaMethod: "" | MfaMethod;
  totpRegistrationId: string;
  memberPasswordId: string;
  /** Explicitly granted role ids besides the implicit `stytch_member`. */
  roleIds: string[];
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

/** One completed authentication, as Stytch records it on a session (wire shape). */
export interface AuthenticationFactor {
  type: string;
  delivery_method: string;
  last_authenticated_at: string;
  created_at?: string;
  updated_at?: string;
  [subObject: string]: unknown;
}

export interface Session {
  projectId: string;
  sessionId: string;
  organizationId: string;
  memberId: string;
  startedAt: EpochMs;
  lastAccessedAt: EpochMs;
  expiresAt: EpochMs;
  revokedAt: EpochMs | null;
  factors: AuthenticationFactor[];
  customClaims: Record<string, unknown>;
  roles: string[];
}

export type SigningKeyState = "next" | "current" | "retired";

export interface SigningKey {
  projectId: string;
  kid: string;
  state: SigningKeyState;
  /** PKCS#8 PEM of the RSA private key. */
  privateKeyPem: string;
  /** Base64 DER of the self-signed certificate published in `x5c`. */
  certificateDer: string;
  createdAt: EpochMs;
  /** When the key started signing (null while it is only published). */
  activatedAt: EpochMs | null;
  /** When it stopped signing (null while next or current). */
  retiredAt: EpochMs | null;
}

export const IMPLICIT_MEMBER_ROLE = "stytch_member";
export const ADMIN_ROLE = "stytch_admin";

/**
 * A member's role ids as a session carries them: the implicit member role first, then the
 * explicit ones, then those the organization grants to the member's email domain
 * (`rbac_email_implicit_role_assignments`).
 */
export function sessionRolesOf(member: Member, emailAssignments: EmailImplicitRoleAssignment[] = []): string[] {
  const domain = member.emailAddress.slice(member.emailAddress.lastIndexOf("@") + 1).toLowerCase();
  const implied = emailAssignments.filter((assignment) => assignment.domain.toLowerCase() === domain).map((assignment) => assignment.role_id);
  return [...new Set([IMPLICIT_MEMBER_ROLE, ...member.roleIds, ...implied])];
}

/**
 * A step-up in progress: the factors proven so far toward one member of one organization, or
 * (discovery) toward whichever organization the person picks. Single use: consumed when a
 * session is minted from it. Lives ten minutes.
 */
export interface IntermediateSession {
  projectId: string;
  intermediateSessionId: string;
  /** The organization and member it was issued for; null for a discovery session (bound only to an email). */
  organizationId: string | null;
  memberId: string | null;
  /** The email address the factors prove (or are claimed for). */
  emailAddress: string;
  factors: AuthenticationFactor[];
  createdAt: EpochMs;
  expiresAt: EpochMs;
  consumedAt: EpochMs | null;
}

export type OneTimeSecretPurpose =
  | "magic_link"
  | "email_otp"
  | "password_reset"
  | "sms_otp"
  | "discovery_magic_link"
  | "discovery_email_otp"
  // OAuth logins: the start's state, and the token the callback hands to the app.
  | "oauth_state"
  | "oauth"
  | "discovery_oauth"
  | "sso_attempt"
  | "sso_token";

/**
 * A magic-link token, emailed or texted code, or reset token, stored only as a hash. `subject`
 * names what it is bound to (e.g. `member:<id>`, `email:<org>:<address>`) so a new one can
 * supersede the previous one for the same subject.
 */
export interface OneTimeSecret {
  projectId: string;
  secretId: string;
  purpose: OneTimeSecretPurpose;
  subject: string;
  secretHash: Buffer;
  organizationId: string | null;
  memberId: string | null;
  /** Purpose-specific data: redirect URL, PKCE challenge, locale, login/signup/invite. */
  details: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  createdAt: EpochMs;
  expiresAt: EpochMs;
  consumedAt: EpochMs | null;
}

export type MessageChannel = "email" | "sms";

/** An email or SMS waiting for (or past) delivery, written in the same transaction as its cause. */
export interface OutboxMessage {
  projectId: string;
  messageId: string;
  channel: MessageChannel;
  recipient: string;
  subject: string;
  body: string;
  /** HTML alternative for email; "" for SMS. */
  htmlBody: string;
  locale: string;
  /** Kept for test projects' outbox: the magic link token or code the message carries. */
  magicLinksToken: string | null;
  code: string | null;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: EpochMs;
  lastError: string;
  createdAt: EpochMs;
  deliveredAt: EpochMs | null;
}

export interface TotpRegistration {
  projectId: string;
  totpRegistrationId: string;
  memberId: string;
  /** The shared secret, sealed with the instance key (never stored in the clear). */
  sealedSecret: string;
  verified: boolean;
  /** Highest 30-second step accepted so far: no code is accepted twice. */
  lastUsedStep: number;
  createdAt: EpochMs;
  /** Unverified registrations lapse at this instant. */
  expiresAt: EpochMs | null;
}

export interface RecoveryCode {
  projectId: string;
  recoveryCodeId: string;
  totpRegistrationId: string;
  memberId: string;
  codeHash: Buffer;
  /** The code sealed with the installation's sealing key, for `recovery_codes/get`. */
  sealedCode: string;
  consumedAt: EpochMs | null;
}

export type SecurityEventKind = "authentication" | "exchange" | "step_up" | "revocation" | "discovery" | "m2m_token" | "scim_provisioning";
export type SecurityEventOutcome =
  | "session"
  | "intermediate_session"
  | "revoked"
  | "listed"
  | "refused"
  // SCIM provisioning effects
  | "member_provisioned"
  | "member_updated"
  | "member_deprovisioned"
  | "member_reactivated"
  | "group_membership_changed";

/** One line of the audit trail. Never holds a secret: session ids are hashed, tokens never appear. */
export interface SecurityEvent {
  eventId: string;
  projectId: string;
  requestId: string;
  kind: SecurityEventKind;
  outcome: SecurityEventOutcome;
  /** The error_type of a refusal, "" otherwise. */
  reason: string;
  route: string;
  /** The organization the request targeted (or resulted in), "" when unknown. */
  organizationId: string;
  memberId: string;
  /** SHA-256 (hex, first 32 chars) of the member_session_id involved, "" when none. */
  sessionIdHash: string;
  ipAddress: string;
  userAgent: string;
  createdAt: EpochMs;
}
