/** @module The set of use-case services the HTTP layer and the CLI are given. */
import type { KeyService } from "./keys.js";
import type { MemberService } from "./members.js";
import type { OrganizationService } from "./organizations.js";
import type { ProjectService } from "./projects.js";
import type { SessionService } from "./sessions.js";
import type { ServiceContext } from "./context.js";
import type { AuthenticationService } from "./authentication.js";
import type { DeliveryWorker } from "./delivery-worker.js";
import type { DeviceService } from "./devices.js";
import type { DiscoveryService } from "./discovery.js";
import type { ExchangeService } from "./exchange.js";
import type { InstanceKeys } from "./instance-keys.js";
import type { OutboxService } from "./outbox.js";
import type { SmsOtpService } from "./sms-otp.js";

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
}
