/**
 * @module Who may receive an email login, and of which kind (wire-spec §6): an active member
 * gets a login email; a pending or invited member gets a signup email; an unknown address gets
 * a signup email and a new `pending` member only when the organization's
 * `email_jit_provisioning` is RESTRICTED and the address's domain is one of its
 * `email_allowed_domains`. Invites follow `email_invites`. Pure.
 */
import type { Member, OrganizationSettings } from "./types.js";

export type EmailLinkKind = "login" | "signup";

export type EmailLoginDecision =
  | { ok: true; kind: EmailLinkKind; createMember: boolean }
  | { ok: false; errorType: "email_jit_provisioning_not_allowed" | "invalid_email_for_jit_provisioning" };

export type InviteDecision =
  | { ok: true; createMember: boolean }
  | { ok: false; errorType: "invalid_email_for_invites" | "duplicate_member_email" };

/** The lower-cased domain of an email address ("" when there is none). */
export function emailDomain(emailAddress: string): string {
  const at = emailAddress.lastIndexOf("@");
  return at < 0 ? "" : emailAddress.slice(at + 1).trim().toLowerCase();
}

function domainAllowed(settings: Pick<OrganizationSettings, "email_allowed_domains">, emailAddress: string): boolean {
  const domain = emailDomain(emailAddress);
  return domain !== "" && settings.email_allowed_domains.some((allowed) => allowed.toLowerCase() === domain);
}

export function decideEmailLogin(
  settings: Pick<OrganizationSettings, "email_jit_provisioning" | "email_allowed_domains">,
  member: Pick<Member, "status"> | null,
  emailAddress: string,
): EmailLoginDecision {
  if (member) return { ok: true, kind: member.status === "active" ? "login" : "signup", createMember: false };
  if (settings.email_jit_provisioning !== "RESTRICTED") return { ok: false, errorType: "email_jit_provisioning_not_allowed" };
  if (!domainAllowed(settings, emailAddress)) return { ok: false, errorType: "invalid_email_for_jit_provisioning" };
  return { ok: true, kind: "signup", createMember: true };
}

/**
 * An invite creates an `invited` member or turns a pending one into an invited one; an invited
 * member may be invited again (a new link). Active members cannot be invited. `email_invites`
 * NOT_ALLOWED refuses every invite; RESTRICTED limits new members to the allowed domains.
 */
export function decideInvite(
  settings: Pick<OrganizationSettings, "email_invites" | "email_allowed_domains">,
  member: Pick<Member, "status"> | null,
  emailAddress: string,
): InviteDecision {
  if (settings.email_invites === "NOT_ALLOWED") return { ok: false, errorType: "invalid_email_for_invites" };
  if (member?.status === "active") return { ok: false, errorType: "duplicate_member_email" };
  if (member) return { ok: true, createMember: false };
  if (settings.email_invites === "RESTRICTED" && !domainAllowed(settings, emailAddress)) {
    return { ok: false, errorType: "invalid_email_for_invites" };
  }
  return { ok: true, createMember: true };
}
