/**
 * @module The RBAC policy in force: the project's (built-ins merged with its custom policy, from
 * the project settings) and each organization's own custom roles. Checks role ids given to
 * members against both.
 */
import { isKnownRole, organizationRoleProblems, type PolicyRole, type RbacPolicy } from "../../domain/rbac.js";
import type { Project } from "../../domain/types.js";
import { AppError } from "../../errors.js";
import type { ServiceContext } from "../context.js";
import type { ProjectSettingsService } from "./project-settings.js";

export class RbacPolicyService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly settings: ProjectSettingsService,
  ) {}

  async projectPolicy(projectId: string): Promise<RbacPolicy> {
    return (await this.settings.get(projectId)).rbacPolicy;
  }

  /** The organization's own roles (none unless set with `PUT /v1/b2b/rbac/organizations/{id}`). */
  async organizationRoles(projectId: string, organizationId: string): Promise<PolicyRole[]> {
    const text = await this.settings.configuration.readOrganizationRoles(projectId, organizationId);
    return text === null ? [] : (JSON.parse(text) as PolicyRole[]);
  }

  /** Replaces the organization's own roles; 400 `invalid_rbac_custom_role` naming the problem. */
  async setOrganizationRoles(project: Project, organizationId: string, roles: PolicyRole[]): Promise<PolicyRole[]> {
    const problems = organizationRoleProblems(await this.projectPolicy(project.projectId), roles, "roles");
    if (problems.length > 0) throw new AppError("invalid_rbac_custom_role", problems.join("; "));
    const stored = roles.map((role) => ({ role_id: role.role_id, description: role.description ?? "", permissions: role.permissions }));
    await this.settings.configuration.writeOrganizationRoles(project.projectId, organizationId, JSON.stringify(stored), this.ctx.clock.now());
    return stored;
  }

  /** 400 `invalid_rbac_role_id` unless every role id is defined by the project's or the organization's policy. */
  async checkRoleIds(project: Project, organizationId: string, roleIds: string[]): Promise<void> {
    if (roleIds.length === 0) return;
    const policy = await this.projectPolicy(project.projectId);
    const organizationRoles = await this.organizationRoles(project.projectId, organizationId);
    const unknown = roleIds.filter((roleId) => !isKnownRole(policy, roleId, organizationRoles));
    if (unknown.length > 0) throw new AppError("invalid_rbac_role_id", `No role "${unknown[0]}" in the project's or the organization's RBAC policy.`);
  }
}
