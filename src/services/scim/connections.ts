/**
 * @module SCIM connection management as the SDK's `scim.connection` calls it: one connection per
 * organization, bearer tokens shown once and stored as SHA-256, rotation with both tokens valid
 * until it completes or is cancelled, and the groups the IdP pushed.
 */
import { timingSafeEqual } from "node:crypto";
import { isScimIdentityProvider, scimBaseUrl, type ScimGroupRoleAssignment } from "../../domain/scim.js";
import type { Project } from "../../domain/types.js";
import { newStytchId } from "../../crypto/random.js";
import { sha256 } from "../../crypto/token-hash.js";
import { AppError } from "../../errors.js";
import { StoreConflict } from "../../store/store.js";
import type { ScimConnection, ScimGroup, ScimStore } from "../../store/scim.js";
import type { ServiceContext } from "../context.js";
import type { OrganizationService } from "../organizations.js";

const ROLE_ID = /^[A-Za-z0-9_\-.:]{1,128}$/;

export interface ScimConnectionInput {
  display_name?: string;
  identity_provider?: string;
  scim_group_implicit_role_assignments?: ScimGroupRoleAssignment[];
}

function tokenHash(token: string): string {
  return sha256(token).toString("hex");
}

export class ScimConnectionService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: ScimStore,
    private readonly organizations: OrganizationService,
    private readonly publicUrl: string,
  ) {}

  baseUrl(connection: ScimConnection): string {
    return scimBaseUrl(this.publicUrl, connection.connectionId, connection.identityProvider);
  }

  private newToken(): string {
    // 36 random bytes, base64url: the same strength as session tokens.
    return this.ctx.random.bytes(36).toString("base64url");
  }

  async create(project: Project, organizationRef: string, input: ScimConnectionInput): Promise<{ connection: ScimConnection; token: string }> {
    const organization = await this.organizations.get(project, organizationRef);
    const identityProvider = input.identity_provider || "generic";
    if (!isScimIdentityProvider(identityProvider)) throw new AppError("invalid_scim_identity_provider");
    const token = this.newToken();
    const now = this.ctx.clock.now();
    const connection: ScimConnection = {
      projectId: project.projectId,
      connectionId: newStytchId("scim-connection", project.environment, this.ctx.random),
      organizationId: organization.organizationId,
      displayName: input.display_name ?? "",
      identityProvider,
      tokenHash: tokenHash(token),
      tokenLastFour: token.slice(-4),
      nextTokenHash: null,
      nextTokenLastFour: "",
      groupRoleAssignments: [],
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.store.insertConnection(connection);
    } catch (error) {
      if (error instanceof StoreConflict) throw new AppError("active_scim_connection_exists");
      throw error;
    }
    return { connection, token };
  }

  async get(project: Project, organizationRef: string): Promise<ScimConnection> {
    const organization = await this.organizations.get(project, organizationRef);
    const connection = await this.store.findConnectionOfOrganization(project.projectId, organization.organizationId);
    if (!connection) throw new AppError("no_active_scim_connection");
    return connection;
  }

  /** The organization's connection with this id (another organization's is not found). */
  async find(project: Project, organizationRef: string, connectionId: string): Promise<ScimConnection> {
    const organization = await this.organizations.get(project, organizationRef);
    const connection = await this.store.findConnection(project.projectId, connectionId);
    if (!connection || connection.organizationId !== organization.organizationId) throw new AppError("scim_connection_not_found");
    return connection;
  }

  async update(project: Project, organizationRef: string, connectionId: string, input: ScimConnectionInput): Promise<ScimConnection> {
    const current = await this.find(project, organizationRef, connectionId);
    if (input.identity_provider !== undefined && input.identity_provider !== "" && !isScimIdentityProvider(input.identity_provider)) {
      throw new AppError("invalid_scim_identity_provider");
    }
    const assignments = input.scim_group_implicit_role_assignments;
    if (assignments?.some((a) => !ROLE_ID.test(a.role_id ?? "") || typeof a.group_id !== "string" || a.group_id === "")) {
      throw new AppError("invalid_scim_group_implicit_role_assignments");
    }
    const updated: ScimConnection = {
      ...current,
      ...(input.display_name !== undefined ? { displayName: input.display_name } : {}),
      ...(input.identity_provider ? { identityProvider: input.identity_provider } : {}),
      ...(assignments !== undefined
        ? { groupRoleAssignments: assignments.map((a) => ({ role_id: a.role_id, group_id: a.group_id, group_name: a.group_name ?? "" })) }
        : {}),
      updatedAt: this.ctx.clock.now(),
    };
    if (!(await this.store.updateConnection(updated))) throw new AppError("scim_connection_not_found");
    return updated;
  }

  async delete(project: Project, organizationRef: string, connectionId: string): Promise<string> {
    const connection = await this.find(project, organizationRef, connectionId);
    if (!(await this.store.deleteConnection(project.projectId, connection.connectionId))) throw new AppError("scim_connection_not_found");
    return connection.connectionId;
  }

  async rotateStart(project: Project, organizationRef: string, connectionId: string): Promise<{ connection: ScimConnection; nextToken: string }> {
    const current = await this.find(project, organizationRef, connectionId);
    // Starting again replaces an unfinished rotation's next token.
    const nextToken = this.newToken();
    const connection = { ...current, nextTokenHash: tokenHash(nextToken), nextTokenLastFour: nextToken.slice(-4), updatedAt: this.ctx.clock.now() };
    if (!(await this.store.updateConnection(connection))) throw new AppError("scim_connection_not_found");
    return { connection, nextToken };
  }

  async rotateComplete(project: Project, organizationRef: string, connectionId: string): Promise<ScimConnection> {
    const current = await this.find(project, organizationRef, connectionId);
    if (current.nextTokenHash === null) throw new AppError("scim_connection_not_rotating_token");
    const connection = {
      ...current,
      tokenHash: current.nextTokenHash,
      tokenLastFour: current.nextTokenLastFour,
      nextTokenHash: null,
      nextTokenLastFour: "",
      updatedAt: this.ctx.clock.now(),
    };
    if (!(await this.store.updateConnection(connection))) throw new AppError("scim_connection_not_found");
    return connection;
  }

  async rotateCancel(project: Project, organizationRef: string, connectionId: string): Promise<ScimConnection> {
    const current = await this.find(project, organizationRef, connectionId);
    if (current.nextTokenHash === null) throw new AppError("scim_connection_not_rotating_token");
    const connection = { ...current, nextTokenHash: null, nextTokenLastFour: "", updatedAt: this.ctx.clock.now() };
    if (!(await this.store.updateConnection(connection))) throw new AppError("scim_connection_not_found");
    return connection;
  }

  async groups(
    project: Project,
    organizationRef: string,
    connectionId: string,
    page: { cursor?: string; limit?: number },
  ): Promise<{ groups: ScimGroup[]; nextCursor: string | null }> {
    const connection = await this.find(project, organizationRef, connectionId);
    const limit = page.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new AppError("invalid_field_value", "limit must be an integer from 1 to 1000.");
    let after: string | null = null;
    if (page.cursor) {
      after = Buffer.from(page.cursor, "base64url").toString("utf8");
      if (!(await this.store.findGroup(connection.connectionId, after))) throw new AppError("invalid_cursor");
    }
    const groups = await this.store.pageGroups(connection.connectionId, after, limit + 1);
    const more = groups.length > limit;
    const shown = groups.slice(0, limit);
    return { groups: shown, nextCursor: more ? Buffer.from(shown[shown.length - 1]!.groupId, "utf8").toString("base64url") : null };
  }

  /**
   * The connection a SCIM request names, when its bearer token is the current one or, during a
   * rotation, the next one. Anything else is the same 401.
   */
  async authenticateBearer(connectionId: string, authorization: string | undefined): Promise<ScimConnection> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match) throw new AppError("scim_unauthorized");
    const connection = await this.store.findConnectionById(connectionId);
    if (!connection) throw new AppError("scim_unauthorized");
    const presented = Buffer.from(tokenHash(match[1]!), "hex");
    const accepted = [connection.tokenHash, connection.nextTokenHash].filter((hash): hash is string => hash !== null);
    if (!accepted.some((hash) => timingSafeEqual(Buffer.from(hash, "hex"), presented))) throw new AppError("scim_unauthorized");
    return connection;
  }
}
