/**
 * @module What a SCIM identity provider's requests do to Tessera: a User is a member of the
 * connection's organization (provisioning creates or adopts it; `active:false` or DELETE
 * deprovisions it — member deleted, roles cleared, every session revoked — and reactivation
 * restores it); a Group's membership grants the connection's
 * `scim_group_implicit_role_assignments`, read when roles are computed, so session JWTs pick them
 * up at their next refresh. Every effect goes to the audit trail.
 */
import { rfc3339 } from "../../domain/time.js";
import { scimGroupRoleGrants, type ScimGroupRoleGrant } from "../../domain/scim.js";
import type { Project, SecurityEventOutcome } from "../../domain/types.js";
import { newStytchId, uuidV4 } from "../../crypto/random.js";
import { AppError } from "../../errors.js";
import { StoreConflict } from "../../store/store.js";
import type { ScimConnection, ScimGroup, ScimStore, ScimUser } from "../../store/scim.js";
import type { AuditService } from "../audit.js";
import type { ServiceContext } from "../context.js";
import { isValidEmail, type MemberService } from "../members.js";
import type { OrganizationService } from "../organizations.js";
import { filtered, GROUP_SCHEMA, LIST_RESPONSE_SCHEMA, patched, USER_SCHEMA, validGroup, validUser } from "./resources.js";

/** Who is calling, for the audit trail. */
export interface ScimCaller {
  project: Project;
  connection: ScimConnection;
  /** The base URL without query (resource locations hang under it). */
  baseUrl: string;
  requestId: string;
  route: string;
  ipAddress: string;
  userAgent: string;
}

export interface ListParameters {
  filter?: string;
  startIndex?: string;
  count?: string;
}

const MAX_COUNT = 1000;

function pageOf<T>(items: T[], parameters: ListParameters): Record<string, unknown> {
  const startIndex = Math.max(1, Number.parseInt(parameters.startIndex ?? "1", 10) || 1);
  const parsedCount = Number.parseInt(parameters.count ?? "100", 10);
  const count = Math.min(MAX_COUNT, Math.max(0, Number.isNaN(parsedCount) ? 100 : parsedCount));
  const resources = items.slice(startIndex - 1, startIndex - 1 + count);
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: items.length, startIndex, itemsPerPage: resources.length, Resources: resources };
}

function memberEmailOf(resource: Record<string, unknown>): string | null {
  const emails = Array.isArray(resource.emails) ? (resource.emails as { value?: unknown; type?: unknown; primary?: unknown }[]) : [];
  const candidates = [emails.find((email) => email.primary === true), emails.find((email) => email.type === "work"), emails[0]];
  for (const candidate of candidates) if (typeof candidate?.value === "string" && isValidEmail(candidate.value)) return candidate.value;
  const userName = String(resource.userName ?? "");
  return isValidEmail(userName) ? userName : null;
}

function memberNameOf(resource: Record<string, unknown>): string {
  if (typeof resource.displayName === "string" && resource.displayName !== "") return resource.displayName;
  const name = (resource.name ?? {}) as { formatted?: unknown; givenName?: unknown; familyName?: unknown };
  if (typeof name.formatted === "string" && name.formatted !== "") return name.formatted;
  return [name.givenName, name.familyName].filter((part) => typeof part === "string" && part !== "").join(" ");
}

export class ScimProvisioningService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: ScimStore,
    private readonly organizations: OrganizationService,
    private readonly members: MemberService,
    private readonly audit: AuditService,
  ) {}

  // ---- Users ----

  async createUser(caller: ScimCaller, body: unknown): Promise<Record<string, unknown>> {
    const attributes = await validUser(body);
    const email = memberEmailOf(attributes);
    if (email === null) throw new AppError("scim_invalid_value", "The user needs an email address (emails[].value or an email userName).");
    const { project, connection } = caller;
    const organization = await this.organizations.get(project, connection.organizationId);
    const users = await this.store.listUsers(connection.connectionId);
    const userName = String(attributes.userName);
    if (users.some((user) => user.userName.toLowerCase() === userName.toLowerCase())) throw new AppError("scim_uniqueness");
    // A member who already has this email is adopted (an IdP connected after members existed), unless another SCIM user holds it.
    let member = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, email);
    if (member && users.some((user) => user.memberId === member!.memberId)) throw new AppError("scim_uniqueness", "Another SCIM user has this email address.");
    if (!member) {
      try {
        member = (await this.members.create(project, organization.organizationId, { email_address: email, name: memberNameOf(attributes) })).member;
      } catch (error) {
        if (error instanceof AppError && error.status < 500) throw new AppError("scim_invalid_value", error.message);
        throw error;
      }
    }
    const now = this.ctx.clock.now();
    const user: ScimUser = {
      connectionId: connection.connectionId,
      memberId: member.memberId,
      registrationId: newStytchId("scim-registration", project.environment, this.ctx.random),
      userName,
      externalId: typeof attributes.externalId === "string" ? attributes.externalId : null,
      active: true,
      attributes,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.store.insertUser(user);
    } catch (error) {
      if (error instanceof StoreConflict) throw new AppError("scim_uniqueness");
      throw error;
    }
    this.record(caller, "member_provisioned", member.memberId);
    if (attributes.active === false) await this.setActive(caller, user, false);
    return this.userResource(caller, (await this.store.findUser(connection.connectionId, member.memberId))!);
  }

  async getUser(caller: ScimCaller, id: string): Promise<Record<string, unknown>> {
    return this.userResource(caller, await this.user(caller, id));
  }

  async listUsers(caller: ScimCaller, parameters: ListParameters): Promise<Record<string, unknown>> {
    const users = await this.store.listUsers(caller.connection.connectionId);
    const resources = users.map((user) => this.userResource(caller, user));
    return pageOf(await filtered(resources, parameters.filter), parameters);
  }

  /** PUT: the body is the whole new resource (Okta's full replace). */
  async replaceUser(caller: ScimCaller, id: string, body: unknown): Promise<Record<string, unknown>> {
    const current = await this.user(caller, id);
    return this.applyUser(caller, current, await validUser(body));
  }

  async patchUser(caller: ScimCaller, id: string, body: unknown): Promise<Record<string, unknown>> {
    const current = await this.user(caller, id);
    const attributes = await patched("User", { ...current.attributes, active: current.active }, current.memberId, body);
    return this.applyUser(caller, current, await validUser(attributes));
  }

  /** DELETE: the member is deprovisioned and the SCIM user forgotten (a second DELETE is 404). */
  async deleteUser(caller: ScimCaller, id: string): Promise<void> {
    const user = await this.user(caller, id);
    if (user.active) await this.setActive(caller, user, false);
    await this.store.deleteUser(caller.connection.connectionId, user.memberId);
  }

  private async user(caller: ScimCaller, id: string): Promise<ScimUser> {
    const user = await this.store.findUser(caller.connection.connectionId, id);
    if (!user) throw new AppError("scim_not_found", `User ${id} not found.`);
    return user;
  }

  private async applyUser(caller: ScimCaller, current: ScimUser, attributes: Record<string, unknown>): Promise<Record<string, unknown>> {
    const userName = String(attributes.userName);
    if (userName.toLowerCase() !== current.userName.toLowerCase()) {
      const users = await this.store.listUsers(caller.connection.connectionId);
      if (users.some((user) => user.memberId !== current.memberId && user.userName.toLowerCase() === userName.toLowerCase())) throw new AppError("scim_uniqueness");
    }
    const active = attributes.active !== false;
    const updated: ScimUser = {
      ...current,
      userName,
      externalId: typeof attributes.externalId === "string" ? attributes.externalId : null,
      attributes,
      updatedAt: this.ctx.clock.now(),
    };
    if (active && !current.active) await this.setActive(caller, updated, true);
    await this.store.updateUser(updated);
    if (active) await this.updateMember(caller, updated);
    if (!active && current.active) await this.setActive(caller, updated, false);
    return this.userResource(caller, (await this.store.findUser(current.connectionId, current.memberId))!);
  }

  /** Name and email follow the IdP's; the member is written only when they changed. */
  private async updateMember(caller: ScimCaller, user: ScimUser): Promise<void> {
    const member = await this.store.findMemberAnyStatus(caller.project.projectId, user.memberId);
    if (!member || member.status === "deleted") return;
    const email = memberEmailOf(user.attributes) ?? member.emailAddress;
    const name = memberNameOf(user.attributes);
    const changes = {
      ...(name !== member.name ? { name } : {}),
      ...(email.toLowerCase() !== member.emailAddress.toLowerCase() ? { email_address: email } : {}),
    };
    if (Object.keys(changes).length === 0) return;
    try {
      await this.members.update(caller.project, member.organizationId, member.memberId, changes);
    } catch (error) {
      if (error instanceof AppError && error.status < 500) throw new AppError(error.status === 409 ? "scim_uniqueness" : "scim_invalid_value", error.message);
      throw error;
    }
    this.record(caller, "member_updated", member.memberId);
  }

  private async setActive(caller: ScimCaller, user: ScimUser, active: boolean): Promise<void> {
    const now = this.ctx.clock.now();
    if (active) {
      try {
        if (await this.store.reactivateUser(caller.project.projectId, user, now)) this.record(caller, "member_reactivated", user.memberId);
      } catch (error) {
        // Someone took the email while the member was deprovisioned.
        if (error instanceof StoreConflict) throw new AppError("scim_uniqueness", "Another member of the organization now has this email address.");
        throw error;
      }
    } else if (await this.store.deactivateUser(caller.project.projectId, user, now)) {
      this.record(caller, "member_deprovisioned", user.memberId);
    }
  }

  private userResource(caller: ScimCaller, user: ScimUser): Record<string, unknown> {
    return {
      ...user.attributes,
      schemas: user.attributes.schemas ?? [USER_SCHEMA],
      id: user.memberId,
      ...(user.externalId !== null ? { externalId: user.externalId } : {}),
      userName: user.userName,
      active: user.active,
      meta: { resourceType: "User", created: rfc3339(user.createdAt), lastModified: rfc3339(user.updatedAt), location: `${caller.baseUrl}/Users/${user.memberId}` },
    };
  }

  // ---- Groups ----

  async createGroup(caller: ScimCaller, body: unknown): Promise<Record<string, unknown>> {
    const attributes = await validGroup(body);
    const now = this.ctx.clock.now();
    const group: ScimGroup = {
      connectionId: caller.connection.connectionId,
      groupId: uuidV4(this.ctx.random),
      displayName: String(attributes.displayName),
      externalId: typeof attributes.externalId === "string" ? attributes.externalId : null,
      memberIds: await this.memberIdsOf(caller, attributes),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.insertGroup(group);
    if (group.memberIds.length > 0) this.record(caller, "group_membership_changed", "");
    return this.groupResource(caller, group);
  }

  async getGroup(caller: ScimCaller, id: string): Promise<Record<string, unknown>> {
    return this.groupResource(caller, await this.group(caller, id));
  }

  async listGroups(caller: ScimCaller, parameters: ListParameters): Promise<Record<string, unknown>> {
    const groups = await this.store.listGroups(caller.connection.connectionId);
    return pageOf(await filtered(groups.map((group) => this.groupResource(caller, group)), parameters.filter), parameters);
  }

  async replaceGroup(caller: ScimCaller, id: string, body: unknown): Promise<Record<string, unknown>> {
    return this.applyGroup(caller, await this.group(caller, id), await validGroup(body));
  }

  async patchGroup(caller: ScimCaller, id: string, body: unknown): Promise<Record<string, unknown>> {
    const current = await this.group(caller, id);
    const attributes = await patched("Group", this.groupAttributes(current), current.groupId, body);
    return this.applyGroup(caller, current, await validGroup(attributes));
  }

  async deleteGroup(caller: ScimCaller, id: string): Promise<void> {
    const group = await this.group(caller, id);
    if (!(await this.store.deleteGroup(caller.connection.connectionId, group.groupId))) throw new AppError("scim_not_found");
    if (group.memberIds.length > 0) this.record(caller, "group_membership_changed", "");
  }

  private async applyGroup(caller: ScimCaller, current: ScimGroup, attributes: Record<string, unknown>): Promise<Record<string, unknown>> {
    const updated: ScimGroup = {
      ...current,
      displayName: String(attributes.displayName),
      externalId: typeof attributes.externalId === "string" ? attributes.externalId : current.externalId,
      memberIds: await this.memberIdsOf(caller, attributes),
      updatedAt: this.ctx.clock.now(),
    };
    if (!(await this.store.replaceGroup(updated))) throw new AppError("scim_not_found");
    const before = new Set(current.memberIds);
    const after = new Set(updated.memberIds);
    for (const memberId of new Set([...before, ...after])) {
      if (before.has(memberId) !== after.has(memberId)) this.record(caller, "group_membership_changed", memberId);
    }
    return this.groupResource(caller, (await this.store.findGroup(current.connectionId, current.groupId))!);
  }

  private async group(caller: ScimCaller, id: string): Promise<ScimGroup> {
    const group = await this.store.findGroup(caller.connection.connectionId, id);
    if (!group) throw new AppError("scim_not_found", `Group ${id} not found.`);
    return group;
  }

  /** `members[].value` must name users of this connection (another organization's member is unknown here). */
  private async memberIdsOf(caller: ScimCaller, attributes: Record<string, unknown>): Promise<string[]> {
    const values = (Array.isArray(attributes.members) ? attributes.members : []).map((entry) => String((entry as { value?: unknown }).value ?? ""));
    const known = new Set((await this.store.listUsers(caller.connection.connectionId)).map((user) => user.memberId));
    const unknown = values.filter((value) => !known.has(value));
    if (unknown.length > 0) throw new AppError("scim_invalid_value", `members[].value ${unknown[0]} is not a user of this connection.`);
    return [...new Set(values)];
  }

  private groupAttributes(group: ScimGroup): Record<string, unknown> {
    return {
      schemas: [GROUP_SCHEMA],
      displayName: group.displayName,
      ...(group.externalId !== null ? { externalId: group.externalId } : {}),
      members: group.memberIds.map((value) => ({ value })),
    };
  }

  private groupResource(caller: ScimCaller, group: ScimGroup): Record<string, unknown> {
    return {
      ...this.groupAttributes(group),
      id: group.groupId,
      members: group.memberIds.map((value) => ({ value, $ref: `${caller.baseUrl}/Users/${value}` })),
      meta: { resourceType: "Group", created: rfc3339(group.createdAt), lastModified: rfc3339(group.updatedAt), location: `${caller.baseUrl}/Groups/${group.groupId}` },
    };
  }

  // ---- Roles ----

  /** The roles each member holds through SCIM groups (active SCIM users only). */
  async groupRoleGrants(projectId: string, memberIds: string[]): Promise<Map<string, ScimGroupRoleGrant[]>> {
    const memberships = await this.store.groupIdsOfMembers(memberIds);
    const result = new Map<string, ScimGroupRoleGrant[]>();
    if (memberships.length === 0) return result;
    const connections = new Map<string, ScimConnection["groupRoleAssignments"]>();
    for (const connectionId of new Set(memberships.map((membership) => membership.connectionId))) {
      const connection = await this.store.findConnection(projectId, connectionId);
      if (connection) connections.set(connectionId, connection.groupRoleAssignments);
    }
    for (const memberId of memberIds) {
      const grants = scimGroupRoleGrants(memberships.filter((membership) => membership.memberId === memberId), connections);
      if (grants.length > 0) result.set(memberId, grants);
    }
    return result;
  }

  private record(caller: ScimCaller, outcome: SecurityEventOutcome, memberId: string): void {
    this.audit.record({
      projectId: caller.project.projectId,
      requestId: caller.requestId,
      kind: "scim_provisioning",
      outcome,
      reason: "",
      route: caller.route,
      organizationId: caller.connection.organizationId,
      memberId,
      ipAddress: caller.ipAddress,
      userAgent: caller.userAgent,
    });
  }
}
