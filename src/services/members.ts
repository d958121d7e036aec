/**
 * @module Members: create, get (by id, external id or email), partial update, delete (revokes
 * sessions) and search across organizations. Emails are unique per organization, case-insensitively.
 */
import { IMPLICIT_MEMBER_ROLE, type Member, type Organization, type Project } from "../domain/types.js";
import { isValidExternalId } from "../domain/organization-rules.js";
import { newStytchId } from "../crypto/random.js";
import { AppError } from "../errors.js";
import { MEMBER_FILTERS } from "../store/search.js";
import type { Page, SearchQuery } from "../store/store.js";
import type { ServiceContext } from "./context.js";
import { conflictToAppError, validateCursor, validateSearchQuery, type OrganizationService } from "./organizations.js";

const E164 = /^\+[1-9]\d{6,14}$/;
// Deliberately permissive local part; the domain must have a dot and no spaces.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const ROLE_ID = /^[A-Za-z0-9_\-.:]{1,128}$/;

export interface MemberInput {
  email_address?: string;
  name?: string;
  trusted_metadata?: Record<string, unknown>;
  untrusted_metadata?: Record<string, unknown>;
  create_member_as_pending?: boolean;
  is_breakglass?: boolean;
  mfa_phone_number?: string;
  mfa_enrolled?: boolean;
  roles?: string[];
  external_id?: string;
  default_mfa_method?: string;
  preserve_existing_sessions?: boolean;
  unlink_email?: boolean;
}

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email);
}

export function isValidE164(phone: string): boolean {
  return E164.test(phone);
}

function checkInput(input: MemberInput): void {
  if (input.email_address !== undefined && !isValidEmail(input.email_address)) throw new AppError("invalid_email");
  if (input.mfa_phone_number !== undefined && input.mfa_phone_number !== "" && !isValidE164(input.mfa_phone_number)) {
    throw new AppError("invalid_phone_number");
  }
  if (input.external_id !== undefined && input.external_id !== "" && !isValidExternalId(input.external_id)) {
    throw new AppError("invalid_external_id");
  }
  if (input.roles?.some((role) => !ROLE_ID.test(role))) throw new AppError("invalid_roles");
  if (input.default_mfa_method !== undefined && !["", "sms_otp", "totp"].includes(input.default_mfa_method)) {
    throw new AppError("invalid_field_value", "default_mfa_method must be sms_otp or totp.");
  }
}

/** Explicit roles as stored: the implicit member role is never stored, duplicates collapse. */
function explicitRoles(roles: string[]): string[] {
  return [...new Set(roles.filter((role) => role !== IMPLICIT_MEMBER_ROLE))];
}

export class MemberService {
  /** Refuses role ids the RBAC policy does not define; unset: any well-formed id is taken. */
  roleIdCheck: ((project: Project, organizationId: string, roleIds: string[]) => Promise<void>) | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly organizations: OrganizationService,
  ) {}

  async create(project: Project, organizationRef: string, input: MemberInput & { email_address: string }): Promise<{ member: Member; organization: Organization }> {
    checkInput(input);
    const organization = await this.organizations.get(project, organizationRef);
    if (input.roles) await this.roleIdCheck?.(project, organization.organizationId, explicitRoles(input.roles));
    const now = this.ctx.clock.now();
    const member: Member = {
      projectId: project.projectId,
      organizationId: organization.organizationId,
      memberId: newStytchId("member", project.environment, this.ctx.random),
      emailId: newStytchId("email", project.environment, this.ctx.random),
      emailAddress: input.email_address.trim(),
      emailAddressVerified: false,
      status: input.create_member_as_pending ? "pending" : "active",
      name: input.name ?? "",
      externalId: input.external_id ? input.external_id : null,
      trustedMetadata: input.trusted_metadata ?? {},
      untrustedMetadata: input.untrusted_metadata ?? {},
      isBreakglass: input.is_breakglass ?? false,
      mfaEnrolled: input.mfa_enrolled ?? false,
      mfaPhoneNumber: input.mfa_phone_number ?? "",
      mfaPhoneNumberVerified: false,
      defaultMfaMethod: "",
      totpRegistrationId: "",
      memberPasswordId: "",
      roleIds: explicitRoles(input.roles ?? []),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.ctx.store.insertMember(member);
    } catch (error) {
      throw conflictToAppError(error);
    }
    return { member, organization };
  }

  /** A non-deleted member of the organization by member id or external id. */
  async get(project: Project, organization: Organization, memberRef: string): Promise<Member> {
    const member = memberRef === "" ? null : await this.ctx.store.findMember(project.projectId, organization.organizationId, memberRef);
    if (!member) throw new AppError("member_not_found");
    return member;
  }

  async getByEmail(project: Project, organization: Organization, emailAddress: string): Promise<Member> {
    const member = await this.ctx.store.findMemberByEmail(project.projectId, organization.organizationId, emailAddress);
    if (!member) throw new AppError("member_not_found");
    return member;
  }

  async update(project: Project, organizationRef: string, memberRef: string, input: MemberInput): Promise<{ member: Member; organization: Organization }> {
    checkInput(input);
    const organization = await this.organizations.get(project, organizationRef);
    const current = await this.get(project, organization, memberRef);
    if (input.roles) await this.roleIdCheck?.(project, organization.organizationId, explicitRoles(input.roles));
    const emailChanges = input.email_address !== undefined && input.email_address.toLowerCase() !== current.emailAddress.toLowerCase();
    const phoneChanges = input.mfa_phone_number !== undefined && input.mfa_phone_number !== current.mfaPhoneNumber;
    const updated: Member = {
      ...current,
      name: input.name ?? current.name,
      trustedMetadata: input.trusted_metadata ?? current.trustedMetadata,
      untrustedMetadata: input.untrusted_metadata ?? current.untrustedMetadata,
      isBreakglass: input.is_breakglass ?? current.isBreakglass,
      mfaEnrolled: input.mfa_enrolled ?? current.mfaEnrolled,
      mfaPhoneNumber: input.mfa_phone_number ?? current.mfaPhoneNumber,
      mfaPhoneNumberVerified: phoneChanges ? false : current.mfaPhoneNumberVerified,
      defaultMfaMethod: (input.default_mfa_method as Member["defaultMfaMethod"] | undefined) ?? current.defaultMfaMethod,
      roleIds: input.roles ? explicitRoles(input.roles) : current.roleIds,
      externalId: input.external_id === undefined ? current.externalId : input.external_id === "" ? null : input.external_id,
      updatedAt: this.ctx.clock.now(),
    };
    if (!emailChanges && input.email_address !== undefined) {
      // The same address in other letters: a new spelling, nothing to prove again.
      updated.emailAddress = input.email_address.trim();
    }
    if (emailChanges) {
      // A new address is unproven: it gets a new email id, is unverified, and the password goes.
      updated.emailAddress = input.email_address!.trim();
      updated.emailId = newStytchId("email", project.environment, this.ctx.random);
      updated.emailAddressVerified = false;
      updated.memberPasswordId = "";
    }
    try {
      await this.ctx.store.updateMember(updated);
    } catch (error) {
      throw conflictToAppError(error);
    }
    return { member: updated, organization };
  }

  async delete(project: Project, organizationRef: string, memberRef: string): Promise<string> {
    const organization = await this.organizations.get(project, organizationRef);
    const member = await this.get(project, organization, memberRef);
    await this.ctx.store.deleteMember(project.projectId, member.memberId, this.ctx.clock.now());
    return member.memberId;
  }

  async search(
    project: Project,
    request: { organization_ids: string[]; cursor?: string; limit?: number; query?: SearchQuery },
  ): Promise<{ page: Page<Member>; organizations: Organization[] }> {
    const query = validateSearchQuery(request.query, MEMBER_FILTERS);
    const organizations: Organization[] = [];
    for (const ref of request.organization_ids) organizations.push(await this.organizations.get(project, ref));
    const page = await this.ctx.store.searchMembers(
      project.projectId,
      organizations.map((organization) => organization.organizationId),
      query,
      validateCursor(request.cursor),
      request.limit ?? 100,
    );
    return { page, organizations };
  }
}

