import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideEmailLogin, decideInvite, emailDomain } from "./email-provisioning.js";
import type { MemberStatus } from "./types.js";

const member = (status: MemberStatus) => ({ status });

describe("decideEmailLogin", () => {
  const restricted = { email_jit_provisioning: "RESTRICTED" as const, email_allowed_domains: ["acme.test"] };
  const closed = { email_jit_provisioning: "NOT_ALLOWED" as const, email_allowed_domains: ["acme.test"] };
  const table: [string, Parameters<typeof decideEmailLogin>[0], { status: MemberStatus } | null, string, ReturnType<typeof decideEmailLogin>][] = [
    ["active member → login", closed, member("active"), "a@x.test", { ok: true, kind: "login", createMember: false }],
    ["pending member → signup", closed, member("pending"), "a@x.test", { ok: true, kind: "signup", createMember: false }],
    ["invited member → signup", closed, member("invited"), "a@x.test", { ok: true, kind: "signup", createMember: false }],
    ["new, allowed domain → signup + create", restricted, null, "a@ACME.test", { ok: true, kind: "signup", createMember: true }],
    ["new, other domain", restricted, null, "a@acme.test.evil", { ok: false, errorType: "invalid_email_for_jit_provisioning" }],
    ["new, subdomain is not the domain", restricted, null, "a@eu.acme.test", { ok: false, errorType: "invalid_email_for_jit_provisioning" }],
    ["new, JIT not allowed", closed, null, "a@acme.test", { ok: false, errorType: "email_jit_provisioning_not_allowed" }],
  ];
  for (const [name, settings, existing, email, expected] of table) {
    it(name, () => assert.deepEqual(decideEmailLogin(settings, existing, email), expected));
  }
});

describe("decideInvite", () => {
  const all = { email_invites: "ALL_ALLOWED" as const, email_allowed_domains: [] };
  const restricted = { email_invites: "RESTRICTED" as const, email_allowed_domains: ["acme.test"] };
  const none = { email_invites: "NOT_ALLOWED" as const, email_allowed_domains: ["acme.test"] };
  const table: [string, Parameters<typeof decideInvite>[0], { status: MemberStatus } | null, string, ReturnType<typeof decideInvite>][] = [
    ["new member, invites open", all, null, "a@any.test", { ok: true, createMember: true }],
    ["pending member becomes invited", all, member("pending"), "a@any.test", { ok: true, createMember: false }],
    ["invited member is invited again", restricted, member("invited"), "a@other.test", { ok: true, createMember: false }],
    ["active member", all, member("active"), "a@any.test", { ok: false, errorType: "duplicate_member_email" }],
    ["new member in an allowed domain", restricted, null, "a@acme.test", { ok: true, createMember: true }],
    ["new member outside the allowed domains", restricted, null, "a@other.test", { ok: false, errorType: "invalid_email_for_invites" }],
    ["invites not allowed", none, member("pending"), "a@acme.test", { ok: false, errorType: "invalid_email_for_invites" }],
  ];
  for (const [name, settings, existing, email, expected] of table) {
    it(name, () => assert.deepEqual(decideInvite(settings, existing, email), expected));
  }
  it("emailDomain takes the part after the last @, lower-cased", () => {
    assert.equal(emailDomain("\"a@b\"@Example.COM"), "example.com");
    assert.equal(emailDomain("nobody"), "");
  });
});
