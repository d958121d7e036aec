/** @module The set of use-case services the HTTP layer and the CLI are given. */
import type { KeyService } from "./keys.js";
import type { MemberService } from "./members.js";
import type { OrganizationService } from "./organizations.js";
import type { ProjectService } from "./projects.js";
import type { SessionService } from "./sessions.js";
import type { ServiceContext } from "./context.js";
import type { AuditService } from "./audit.js";
import type { AuthorizationService } from "./authorization.js";
import type { AuthenticationService } from "./authentication.js";
import type { DeliveryWorker } from "./delivery-worker.js";
import type { DeviceService } from "./devices.js";
import type { DiscoveryService } from "./discovery.js";
import type { ExchangeService } from "./exchange.js";
import type { InstanceKeys } from "./instance-keys.js";
import type { OutboxService } from "./outbox.js";
import type { SmsOtpService } from "./sms-otp.js";
// --- MFA (issue 4) ---
import type { MfaSupport } from "./mfa-support.js";
import type { RecoveryCodeService } from "./recovery-codes.js";
import type { SmsOtpFlows } from "./sms-otp-flows.js";
import type { TotpService } from "./totp.js";
// --- end MFA ---
// ---- Logins (issue 3) ----
import type { EmailOtpService } from "./email-otps.js";
import type { MagicLinkService } from "./magic-links.js";
import type { PasswordService } from "./passwords.js";
import type { ConfigFileApplier } from "./configuration/config-file.js";
import type { ProjectSettingsService } from "./configuration/project-settings.js";
import type { RedirectUrlService } from "./configuration/redirect-urls.js";
import type { RbacPolicyService } from "./configuration/rbac-policies.js";
import type { ScimConnectionService } from "./scim/connections.js";
import type { ScimProvisioningService } from "./scim/provisioning.js";
// >>> sso
import type { SsoConnectionService } from "./sso/connections.js";
import type { SsoLoginService } from "./sso/login.js";
// <<< sso
// >>> oauth
import type { OAuthLoginService } from "./oauth/oauth-logins.js";
import type { ProviderTokenService } from "./oauth/provider-tokens.js";
// <<< oauth
// >>> sdk
// <<< sdk
// >>> surface
// <<< surface
// >>> pgperf
// <<< pgperf
// >>> hardening
// <<< hardening
// >>> webhooks
// <<< webhooks
// >>> scim
// <<< scim

export interface Services {
  context: ServiceContext;
  projects: ProjectService;
  keys: KeyService;
  organizations: OrganizationService;
  members: MemberService;
  sessions: SessionService;
  instanceKeys: InstanceKeys;
  outbox: OutboxService;
  delivery: DeliveryWorker;
  smsOtp: SmsOtpService;
  authentication: AuthenticationService;
  exchange: ExchangeService;
  devices: DeviceService;
  discovery: DiscoveryService;
  audit: AuditService;
  authorization: AuthorizationService;
  // --- MFA (issue 4) ---
  mfa: MfaSupport;
  smsOtpFlows: SmsOtpFlows;
  totp: TotpService;
  recoveryCodes: RecoveryCodeService;
  // --- end MFA ---
  // ---- Logins (issue 3) ----
  magicLinks: MagicLinkService;
  emailOtps: EmailOtpService;
  passwords: PasswordService;
  projectSettings: ProjectSettingsService;
  redirectUrls: RedirectUrlService;
  configFile: ConfigFileApplier;
  rbacPolicies: RbacPolicyService;
  m2mClients: import("./m2m/clients.js").M2mClientService;
  m2mTokens: import("./m2m/tokens.js").M2mTokenService;
  scimConnections: ScimConnectionService;
  scimProvisioning: ScimProvisioningService;
  // >>> sso
  ssoConnections: SsoConnectionService;
  ssoLogin: SsoLoginService;
  // <<< sso
  // >>> oauth
  oauthLogins: OAuthLoginService;
  providerTokens: ProviderTokenService;
  // <<< oauth
  // >>> sdk
  // <<< sdk
  // >>> surface
  // <<< surface
  // >>> pgperf
  // <<< pgperf
  // >>> hardening
  // <<< hardening
  // >>> webhooks
  // <<< webhooks
  // >>> scim
  // <<< scim
}
