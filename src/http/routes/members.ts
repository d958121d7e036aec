/** @module /v1/b2b/organizations/{organization_id}/members…: create, get, update, delete, search. */
import { AppError } from "../../errors.js";
import type { Services } from "../../services/services.js";
import type { RouteDefinition } from "../route.js";
import { memberToWire, organizationToWire, memberAnswerToWire } from "../wire.js";

export function memberRoutes(services: Services): RouteDefinition[] {
  const { members, organizations } = services;
  return [
    {
      method: "POST",
      url: "/v1/b2b/organizations/:organization_id/members",
      summary: "Create a member",
      auth: "project",
      bodySchema: "members-create.request",
      memberAuthorization: ({ params }) => ({ organizationRef: params.organization_id!, resource: "stytch.member", action: "create" }),
      handler: async ({ project, params, body }) => {
        const { member, organization } = await members.create(project, params.organization_id!, body);
        return { ...memberAnswerToWire(member, organization) };
      },
    },
    {
      method: "GET",
      url: "/v1/b2b/organizations/:organization_id/member",
      summary: "Get a member by member_id (or external id) or email_address",
      auth: "project",
      querySchema: "members-get.query",
      handler: async ({ project, params, query }) => {
        const byId = query.member_id !== undefined;
        const byEmail = query.email_address !== undefined;
        if (byId && byEmail) throw new AppError("too_many_member_selection_arguments");
        if (!byId && !byEmail) throw new AppError("no_member_selection_arguments");
        const organization = await organizations.get(project, params.organization_id!);
        const member = byId
          ? await members.get(project, organization, query.member_id)
          : await members.getByEmail(project, organization, query.email_address);
        return { ...memberAnswerToWire(member, organization) };
      },
    },
    {
      method: "PUT",
      url: "/v1/b2b/organizations/:organization_id/members/:member_id",
      summary: "Update a member (only the fields given change)",
      auth: "project",
      bodySchema: "members-update.request",
      memberAuthorization: ({ params }) => ({
        organizationRef: params.organization_id!,
        resource: "stytch.member",
        action: "update",
        memberRef: params.member_id!,
      }),
      handler: async ({ project, params, body }) => {
        const { member, organization } = await members.update(project, params.organization_id!, params.member_id!, body);
        return { ...memberAnswerToWire(member, organization) };
      },
    },
    {
      method: "DELETE",
      url: "/v1/b2b/organizations/:organization_id/members/:member_id",
      summary: "Delete a member and revoke its sessions",
      auth: "project",
      memberAuthorization: ({ params }) => ({
        organizationRef: params.organization_id!,
        resource: "stytch.member",
        action: "delete",
        memberRef: params.member_id!,
      }),
      handler: async ({ project, params }) => ({
        member_id: await members.delete(project, params.organization_id!, params.member_id!),
      }),
    },
    {
      method: "POST",
      url: "/v1/b2b/organizations/members/search",
      summary: "Search members across organizations",
      auth: "project",
      bodySchema: "members-search.request",
      // Acting as a member, a search may cover only that member's own organization.
      memberAuthorization: ({ body }) => ({
        organizationRef: body.organization_ids?.length === 1 ? body.organization_ids[0] : "",
        resource: "stytch.member",
        action: "search",
      }),
      handler: async ({ project, body }) => {
        const { page, organizations: found } = await members.search(project, body);
        return {
          members: page.items.map(memberToWire),
          results_metadata: { total: page.total, next_cursor: page.nextCursor },
          organizations: Object.fromEntries(found.map((organization) => [organization.organizationId, organizationToWire(organization)])),
        };
      },
    },
  ];
}

// --- MFA (issue 4): removing a member's MFA factors ---
export function memberMfaRoutes(services: Services): RouteDefinition[] {
  const { smsOtpFlows, totp } = services;
  return [
    {
      method: "DELETE",
      url: "/v1/b2b/organizations/:organization_id/members/mfa_phone_numbers/:member_id",
      summary: "Delete a member's MFA phone number (existing sessions stay valid)",
      auth: "project",
      handler: async ({ project, params }) => {
        const { member, organization } = await smsOtpFlows.deleteMfaPhoneNumber(project, params.organization_id!, params.member_id!);
        return { ...memberAnswerToWire(member, organization) };
      },
    },
    {
      method: "DELETE",
      url: "/v1/b2b/organizations/:organization_id/members/:member_id/totp",
      summary: "Delete a member's TOTP registration and its recovery codes (existing sessions stay valid)",
      auth: "project",
      handler: async ({ project, params }) => {
        const { member, organization } = await totp.deleteRegistration(project, params.organization_id!, params.member_id!);
        return { ...memberAnswerToWire(member, organization) };
      },
    },
  ];
}
// --- end MFA ---
