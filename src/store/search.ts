/**
 * @module Search filters of organizations and members search (wire-spec §6), as predicates over
 * domain objects so every adapter answers identically. Queries are validated by the service first.
 */
import type { Member, Organization } from "../domain/types.js";
import type { Page, SearchQuery } from "./store.js";

type Predicate<T> = (item: T) => boolean;

const lower = (value: unknown): string => String(value).toLowerCase();
const asStrings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)]);

function combine<T>(query: SearchQuery | null, toPredicate: (name: string, value: unknown) => Predicate<T>): Predicate<T> {
  if (!query || query.operands.length === 0) return () => true;
  const predicates = query.operands.map((operand) => toPredicate(operand.filter_name, operand.filter_value));
  return query.operator === "OR"
    ? (item) => predicates.some((predicate) => predicate(item))
    : (item) => predicates.every((predicate) => predicate(item));
}

export const ORGANIZATION_FILTERS = [
  "organization_ids", "organization_slugs", "organization_name_fuzzy", "organization_slug_fuzzy",
  "member_emails", "member_email_fuzzy", "allowed_domains", "allowed_domain_fuzzy",
  "claimed_email_domains", "has_active_sso_connection", "sso_connection_id",
] as const;

export const MEMBER_FILTERS = [
  "member_ids", "member_emails", "member_email_fuzzy", "member_is_breakglass", "statuses",
  "member_phone_numbers", "member_phone_number_fuzzy", "member_external_ids", "member_roles",
  "member_mfa_phone_number_fuzzy", "member_password_exists",
] as const;

/** `memberEmailsOf` gives the normalized emails of an organization's members (for the member_* filters). */
export function organizationPredicate(
  query: SearchQuery | null,
  memberEmailsOf: (organizationId: string) => string[],
): Predicate<Organization> {
  return combine<Organization>(query, (name, value) => {
    switch (name) {
      case "organization_ids": {
        const ids = new Set(asStrings(value));
        return (org) => ids.has(org.organizationId);
      }
      case "organization_slugs": {
        const slugs = new Set(asStrings(value));
        return (org) => slugs.has(org.slug);
      }
      case "organization_name_fuzzy":
        return (org) => org.name.toLowerCase().includes(lower(value));
      case "organization_slug_fuzzy":
        return (org) => org.slug.toLowerCase().includes(lower(value));
      case "member_emails": {
        const emails = new Set(asStrings(value).map((email) => email.toLowerCase()));
        return (org) => memberEmailsOf(org.organizationId).some((email) => emails.has(email));
      }
      case "member_email_fuzzy":
        return (org) => memberEmailsOf(org.organizationId).some((email) => email.includes(lower(value)));
      case "allowed_domains": {
        const domains = new Set(asStrings(value).map((domain) => domain.toLowerCase()));
        return (org) => org.settings.email_allowed_domains.some((domain) => domains.has(domain));
      }
      case "allowed_domain_fuzzy":
        return (org) => org.settings.email_allowed_domains.some((domain) => domain.includes(lower(value)));
      case "claimed_email_domains": {
        const domains = new Set(asStrings(value).map((domain) => domain.toLowerCase()));
        return (org) => org.settings.claimed_email_domains.some((domain) => domains.has(domain));
      }
      // No SSO connections exist in Tessera yet: nothing has an active one.
      case "has_active_sso_connection":
        return () => value === false;
      case "sso_connection_id":
        return () => false;
      default:
        return () => false;
    }
  });
}

export function memberPredicate(query: SearchQuery | null): Predicate<Member> {
  const base = combine<Member>(query, (name, value) => {
    switch (name) {
      case "member_ids": {
        const ids = new Set(asStrings(value));
        return (member) => ids.has(member.memberId);
      }
      case "member_external_ids": {
        const ids = new Set(asStrings(value));
        return (member) => member.externalId !== null && ids.has(member.externalId);
      }
      case "member_emails": {
        const emails = new Set(asStrings(value).map((email) => email.toLowerCase()));
        return (member) => emails.has(member.emailAddress.toLowerCase());
      }
      case "member_email_fuzzy":
        return (member) => member.emailAddress.toLowerCase().includes(lower(value));
      case "member_is_breakglass":
        return (member) => member.isBreakglass === value;
      case "statuses": {
        const statuses = new Set(asStrings(value));
        return (member) => statuses.has(member.status);
      }
      case "member_phone_numbers": {
        const phones = new Set(asStrings(value));
        return (member) => phones.has(member.mfaPhoneNumber);
      }
      case "member_phone_number_fuzzy":
      case "member_mfa_phone_number_fuzzy":
        return (member) => member.mfaPhoneNumber !== "" && member.mfaPhoneNumber.includes(String(value));
      case "member_roles": {
        const roles = new Set(asStrings(value));
        return (member) => roles.has("stytch_member") || member.roleIds.some((role) => roles.has(role));
      }
      case "member_password_exists":
        return (member) => (member.memberPasswordId !== "") === value;
      default:
        return () => false;
    }
  });
  // Deleted members appear only when a `statuses` filter asks for them.
  const asksForStatuses = query?.operands.some((operand) => operand.filter_name === "statuses") ?? false;
  return asksForStatuses ? base : (member) => member.status !== "deleted" && base(member);
}

/** Cursor = the internal sequence number of the last item returned, opaque to clients. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString("base64url");
}

/** The sequence number in a cursor, or null when it is not one of ours. */
export function decodeCursor(cursor: string): number | null {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return match ? Number(match[1]) : null;
}

/** Keyset pagination over rows ordered by `seq`, filtering with `matches`. */
export function paginate<T, R extends { seq?: unknown }>(rows: R[], toItem: (row: R) => T, matches: (item: T) => boolean, cursor: string | null, limit: number): Page<T> {
  const afterSeq = cursor === null ? 0 : (decodeCursor(cursor) ?? 0);
  const matching: { seq: number; item: T }[] = [];
  for (const row of rows) {
    const item = toItem(row);
    if (matches(item)) matching.push({ seq: Number(row.seq), item });
  }
  const remaining = matching.filter((entry) => entry.seq > afterSeq);
  const page = remaining.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((entry) => entry.item),
    total: matching.length,
    nextCursor: remaining.length > limit && last ? encodeCursor(last.seq) : null,
  };
}
