/**
 * @module Redirect URLs per type from the configuration file, through the official SDK's login
 * flows: each flow takes the URLs listed for its type, refuses others, and uses its type's
 * default (or answers Stytch's no-default error) when the request names none.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { expectSdkError, unique } from "../support/fixtures.js";
import { sdkClient, startHarness, type Harness } from "../support/harness.js";

const projectId = `project-test-${randomUUID()}`;
const secret = `secret-test-${randomUUID()}`;
const APP = "https://app.example.com";

describe("redirect URLs per type in the login flows", () => {
  let h: Harness;
  let client: ReturnType<typeof sdkClient>;
  let organizationId: string;

  /** The link in the newest email to `to` of the file's project. */
  async function linkTo(to: string): Promise<string> {
    const response = await fetch(`${h.baseUrl}/v1/test/outbox?to=${encodeURIComponent(to)}`, {
      headers: { authorization: `Basic ${Buffer.from(`${projectId}:${secret}`).toString("base64")}` },
    });
    const body = (await response.json()) as { messages: { body: string }[] };
    const match = /https?:\/\/[^\s"<>]+stytch_token_type=[^\s"<>]+/.exec(body.messages[0]!.body);
    return match![0].replace(/&amp;/g, "&");
  }

  before(async () => {
    h = await startHarness({
      configFile: {
        projects: [
          {
            project_id: projectId,
            secret,
            redirect_urls: [
              { url: `${APP}/login`, types: ["login"], default: true },
              { url: `${APP}/signup?welcome=1`, types: ["signup"], default: true },
              { url: `${APP}/signup-alt`, types: ["signup"] },
              { url: `${APP}/invite`, types: ["invite"], default: true },
              { url: `${APP}/reset`, types: ["reset_password"] },
              { url: `${APP}/discover`, types: ["discovery"], default: true },
            ],
          },
        ],
      },
    });
    client = sdkClient(h.baseUrl, projectId, secret);
    const organization = await client.organizations.create({ organization_name: "Redirects", organization_slug: unique("redir"), email_allowed_domains: ["example.com"], email_jit_provisioning: "RESTRICTED", email_invites: "ALL_ALLOWED" });
    organizationId = organization.organization.organization_id;
  });
  after(() => h.close());

  it("magic link login or signup: the signup type's URLs for a new member, its default when none is named", async () => {
    const first = `${unique("new")}@example.com`;
    await client.magicLinks.email.loginOrSignup({ organization_id: organizationId, email_address: first, signup_redirect_url: `${APP}/signup-alt` });
    assert.ok((await linkTo(first)).startsWith(`${APP}/signup-alt?stytch_token_type=`));
    const second = `${unique("new")}@example.com`;
    await client.magicLinks.email.loginOrSignup({ organization_id: organizationId, email_address: second });
    assert.ok((await linkTo(second)).startsWith(`${APP}/signup?welcome=1&stytch_token_type=`), "the signup default, its query kept");
    await expectSdkError(
      client.magicLinks.email.loginOrSignup({ organization_id: organizationId, email_address: `${unique("n")}@example.com`, signup_redirect_url: `${APP}/login` }),
      400,
      "no_match_for_provided_magic_link_url",
    );
    await expectSdkError(
      client.magicLinks.email.loginOrSignup({ organization_id: organizationId, email_address: `${unique("n")}@example.com`, signup_redirect_url: `${APP}/signup` }),
      400,
      "no_match_for_provided_magic_link_url",
    );
  });

  it("magic link login for an existing member: the login type", async () => {
    const email = `${unique("old")}@example.com`;
    await client.organizations.members.create({ organization_id: organizationId, email_address: email });
    await client.magicLinks.email.loginOrSignup({ organization_id: organizationId, email_address: email });
    assert.ok((await linkTo(email)).startsWith(`${APP}/login?stytch_token_type=`));
    await expectSdkError(
      client.magicLinks.email.loginOrSignup({ organization_id: organizationId, email_address: email, login_redirect_url: `${APP}/invite` }),
      400,
      "no_match_for_provided_magic_link_url",
    );
  });

  it("invites: the invite type only, and its default", async () => {
    const email = `${unique("inv")}@example.com`;
    await client.magicLinks.email.invite({ organization_id: organizationId, email_address: email });
    assert.ok((await linkTo(email)).startsWith(`${APP}/invite?stytch_token_type=`));
    await expectSdkError(
      client.magicLinks.email.invite({ organization_id: organizationId, email_address: `${unique("inv")}@example.com`, invite_redirect_url: `${APP}/login` }),
      400,
      "no_match_for_provided_magic_link_url",
    );
  });

  it("password resets: the reset_password type; no default set is Stytch's error", async () => {
    const email = `${unique("pw")}@example.com`;
    await client.organizations.members.create({ organization_id: organizationId, email_address: email });
    await client.passwords.email.resetStart({ organization_id: organizationId, email_address: email, reset_password_redirect_url: `${APP}/reset` });
    assert.ok((await linkTo(email)).startsWith(`${APP}/reset?`));
    await expectSdkError(client.passwords.email.resetStart({ organization_id: organizationId, email_address: email }), 400, "no_password_reset_redirect_url");
    await expectSdkError(
      client.passwords.email.resetStart({ organization_id: organizationId, email_address: email, reset_password_redirect_url: `${APP}/login` }),
      400,
      "no_match_for_provided_magic_link_url",
    );
  });

  it("discovery: the discovery type and its default", async () => {
    const email = `${unique("disc")}@example.com`;
    await client.magicLinks.email.discovery.send({ email_address: email });
    assert.ok((await linkTo(email)).startsWith(`${APP}/discover?stytch_token_type=`));
    await expectSdkError(client.magicLinks.email.discovery.send({ email_address: email, discovery_redirect_url: `${APP}/login` }), 400, "no_match_for_provided_magic_link_url");
  });
});
