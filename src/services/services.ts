/** @module The set of use-case services the HTTP layer and the CLI are given. */
import type { KeyService } from "./keys.js";
import type { MemberService } from "./members.js";
import type { OrganizationService } from "./organizations.js";
import type { ProjectService } from "./projects.js";
import type { SessionService } from "./sessions.js";
import type { ServiceContext } from "./context.js";

export interface Services {
  context: ServiceContext;
  projects: ProjectService;
  keys: KeyService;
  organizations: OrganizationService;
  members: MemberService;
  sessions: SessionService;
}
