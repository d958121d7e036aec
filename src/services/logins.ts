/** @module Wiring of the email and password login services (composition helper for `app.ts`). */
import type { AuthenticationService } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import type { DiscoveryService } from "./discovery.js";
import { EmailOtpService } from "./email-otps.js";
import type { InstanceKeys } from "./instance-keys.js";
import type { RedirectUrlService } from "./configuration/redirect-urls.js";
import { LoginLimits, RedirectPolicy } from "./login-support.js";
import { MagicLinkService } from "./magic-links.js";
import type { MemberService } from "./members.js";
import type { OrganizationService } from "./organizations.js";
import type { OutboxService } from "./outbox.js";
import { PasswordService } from "./passwords.js";
import type { SessionService } from "./sessions.js";

export interface LoginServices {
  magicLinks: MagicLinkService;
  emailOtps: EmailOtpService;
  passwords: PasswordService;
}

export function buildLoginServices(
  context: ServiceContext,
  base: {
    organizations: OrganizationService;
    members: MemberService;
    sessions: SessionService;
    authentication: AuthenticationService;
    outbox: OutboxService;
    instanceKeys: InstanceKeys;
    /** For the discovery email flows, which end in a discovery intermediate session. */
    discovery: DiscoveryService;
    /** The project's redirect URLs per type, or the installation-wide ones. */
    redirectUrls: RedirectUrlService;
  },
): LoginServices {
  const redirects = new RedirectPolicy(base.redirectUrls);
  const limits = new LoginLimits(context);
  return {
    magicLinks: new MagicLinkService(context, { ...base, redirects, limits }),
    emailOtps: new EmailOtpService(context, { ...base, limits }),
    passwords: new PasswordService(context, { ...base, redirects, limits }),
  };
}
