/**
 * @module Organizations: create, read, partial update, delete (members and their sessions go
 * with it) and search. Wherever an organization is named, its id, slug or external id works.
 */
import type { Organization, Project } from "../domain/types.js";
import {
  applyOrganizationSettings,
  defaultOrganizationSettings,
  isValidExternalId,
  isValidOrganizationName,
  isValidOrganizationSlug,
  slugFromName,
  type OrganizationSettingsInput,
} from "../domain/organization-rules.js";
import { newStytchId } from "../crypto/random.js";
import { AppError } from "../errors.js";
import { ORGANIZATION_FILTERS, decodeCursor } from "../store/search.js";
import { StoreConflict, type Page, type SearchQuery } from "../store/store.js";
import type { ServiceContext } from "./context.js";

export interface OrganizationInput extends OrganizationSettingsInput {
  organization_name?: string;
  organization_slug?: string;
  organization_logo_url?: string;
  organization_external_id?: string;
  trusted_metadata?: Record<string, unknown>;
}

const SETTINGS_KEYS = new Set<string>(Object.keys(defaultOrganizationSettings({})));

function settingsPart(input: OrganizationInput): OrganizationSettingsInput {
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (SETTINGS_KEYS.has(key)) settings[key] = value;
  return settings as OrganizationSettingsInput;
}

/** Translates a unique-constraint conflict into the catalogue error that names it. */
export function conflictToAppError(error: unknown): unknown {
  if (!(error instanceof StoreConflict)) return error;
  switch (error.constraint) {
    case "organization_slug":
      return new AppError("organization_slug_already_used");
    case "organization_external_id":
      return new AppError("organization_external_id_already_used");
    case "member_email":
      return new AppError("duplicate_member_email");
    case "member_external_id":
      return new AppError("duplicate_member_external_id");
    default:
      return error;
  }
}

export function validateSearchQuery(query: SearchQuery | undefined, allowed: readonly string[]): SearchQuery | null {
  if (!query) return null;
  for (const operand of query.operands) {
    if (!allowed.includes(operand.filter_name)) {
      throw new AppError("invalid_search_query", `Unknown filter_name "${operand.filter_name}".`);
    }
    const value = operand.filter_value;
    const isFuzzy = operand.filter_name.endsWith("_fuzzy");
    if (isFuzzy && (typeof value !== "string" || value.length < 3)) {
      throw new AppError("invalid_search_query", `${operand.filter_name} needs a string of at least 3 characters.`);
    }
    const isBoolean = ["has_active_sso_connection", "member_is_breakglass", "member_password_exists"].includes(operand.filter_name);
    if (isBoolean && typeof value !== "boolean") {
      throw new AppError("invalid_search_query", `${operand.filter_name} needs a boolean.`);
    }
    if (!isFuzzy && !isBoolean && operand.filter_name !== "sso_connection_id") {
      if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
        throw new AppError("invalid_search_query", `${operand.filter_name} needs an array of strings.`);
      }
    }
  }
  return query;
}

export function validateCursor(cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === "") return null;
  if (decodeCursor(cursor) === null) throw new AppError("invalid_cursor");
  return cursor;
}

export class OrganizationService {
  constructor(private readonly ctx: ServiceContext) {}

  /** The organization named by id, slug or external id, or organization_not_found. */
  async get(project: Project, ref: string): Promise<Organization> {
    const organization = ref === "" ? null : await this.ctx.store.findOrganization(project.projectId, ref);
    if (!organization) throw new AppError("organization_not_found");
    return organization;
  }

  private checkIdentity(input: OrganizationInput): void {
    if (input.organization_name !== undefined && !isValidOrganizationName(input.organization_name)) {
      throw new AppError("invalid_organization_name");
    }
    if (input.organization_slug !== undefined && !isValidOrganizationSlug(input.organization_slug)) {
      throw new AppError("invalid_organization_slug");
    }
    if (input.organization_external_id !== undefined && input.organization_external_id !== "" && !isValidExternalId(input.organization_external_id)) {
      throw new AppError("invalid_organization_external_id");
    }
  }

  async create(project: Project, input: OrganizationInput & { organization_name: string }): Promise<Organization> {
    let organization = this.build(project, input);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.store.insertOrganization(organization);
        return organization;
      } catch (error) {
        // A slug derived from the name may be taken: derive another. A slug the caller chose is theirs to change.
        const derivedSlugTaken =
          input.organization_slug === undefined && error instanceof StoreConflict && error.constraint === "organization_slug" && attempt < 5;
        if (!derivedSlugTaken) throw conflictToAppError(error);
        organization = { ...organization, slug: `${slugFromName(input.organization_name).slice(0, 110)}-${this.ctx.random.bytes(3).toString("hex")}` };
      }
    }
  }

  /** A new organization from `input`, checked against every rule, not yet stored. */
  build(project: Project, input: OrganizationInput & { organization_name: string }): Organization {
    this.checkIdentity(input);
    const settingsInput = settingsPart(input);
    const result = applyOrganizationSettings(defaultOrganizationSettings(settingsInput), settingsInput);
    if (!result.ok) throw new AppError(result.errorType, result.message);
    const now = this.ctx.clock.now();
    return {
      projectId: project.projectId,
      organizationId: newStytchId("organization", project.environment, this.ctx.random),
      name: input.organization_name,
      slug: input.organization_slug ?? slugFromName(input.organization_name),
      logoUrl: input.organization_logo_url ?? "",
      externalId: input.organization_external_id ? input.organization_external_id : null,
      trustedMetadata: input.trusted_metadata ?? {},
      settings: result.settings,
      createdAt: now,
      updatedAt: now,
    };
  }

  async update(project: Project, ref: string, input: OrganizationInput): Promise<Organization> {
    this.checkIdentity(input);
    const current = await this.get(project, ref);
    const result = applyOrganizationSettings(current.settings, settingsPart(input));
    if (!result.ok) throw new AppError(result.errorType, result.message);
    const updated: Organization = {
      ...current,
      name: input.organization_name ?? current.name,
      slug: input.organization_slug ?? current.slug,
      logoUrl: input.organization_logo_url ?? current.logoUrl,
      // An empty string clears the external id.
      externalId:
        input.organization_external_id === undefined ? current.externalId : input.organization_external_id === "" ? null : input.organization_external_id,
      trustedMetadata: input.trusted_metadata ?? current.trustedMetadata,
      settings: result.settings,
      updatedAt: this.ctx.clock.now(),
    };
    try {
      await this.ctx.store.updateOrganization(updated);
    } catch (error) {
      throw conflictToAppError(error);
    }
    return updated;
  }

  async delete(project: Project, ref: string): Promise<string> {
    const organization = await this.get(project, ref);
    await this.ctx.store.deleteOrganization(project.projectId, organization.organizationId, this.ctx.clock.now());
    return organization.organizationId;
  }

  async search(
    project: Project,
    request: { cursor?: string; limit?: number; query?: SearchQuery },
  ): Promise<Page<Organization>> {
    const query = validateSearchQuery(request.query, ORGANIZATION_FILTERS);
    return this.ctx.store.searchOrganizations(project.projectId, query, validateCursor(request.cursor), request.limit ?? 100);
  }
}
