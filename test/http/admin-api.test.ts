/**
 * @module The Tessera admin API: public tokens and a project's configuration over HTTP with the
 * project's own credentials, checked all or nothing like the configuration file, and obeyed by
 * the login flows of the official SDK.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectSdkError, unique } from "../support/fixtures.js";
import { startHarness, type Harness } from "../support/harness.js";

describe("Tessera admin API", () => {
  let h: Harness;
  const base = () => `/v1/tessera/projects/${h.project.projectId}`;

  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("creates, lists and deletes public tokens; a deleted token is refused at once", async () => {
    const created = await h.request("POST", `${base()}/public_tokens`, {});
    assert.equal(created.status, 200);
    const token = created.body.public_token as string;
    assert.match(token, /^public-token-test-[0-9a-f-]{36}$/);
    assert.equal((await h.app.services.projects.authenticatePublicToken(token)).projectId, h.project.projectId);
    const listed = await h.request("GET", `${base()}/public_tokens`);
    assert.deepEqual(listed.body.public_tokens.map((entry: { public_token: string }) => entry.public_token), [token]);
    assert.equal((await h.request("DELETE", `${base()}/public_tokens/${token}`)).status, 200);
    await assert.rejects(h.app.services.projects.authenticatePublicToken(token), { errorType: "public_token_not_found" });
    const again = await h.request("DELETE", `${base()}/public_tokens/${token}`);
    assert.equal(again.status, 401);
    assert.equal(again.body.error_type, "public_token_not_found");
  });

  it("applies a configuration that the login flows then obey, and reads it back without provider secrets", async () => {
    const configuration = {
      redirect_urls: [{ url: "https://app.example.com/authenticate", types: ["login", "signup"], default: true }],
      authorized_origins: ["https://app.example.com"],
      oauth_providers: { google: { client_id: "google-client", client_secret: "google-secret-value" } },
      rbac_policy: { resources: [{ resource_id: "documents", actions: ["read"] }], roles: [{ role_id: "reader", permissions: [{ resource_id: "documents", actions: ["read"] }] }] },
    };
    const applied = await h.request("PUT", `${base()}/configuration`, configuration);
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    const read = await h.request("GET", `${base()}/configuration`);
    assert.deepEqual(read.body.configuration.redirect_urls, configuration.redirect_urls);
    assert.deepEqual(read.body.configuration.authorized_origins, ["https://app.example.com"]);
    assert.equal(read.body.configuration.oauth_providers.google.client_id, "google-client");
    assert.doesNotMatch(JSON.stringify(read.body), /google-secret-value/);
    assert.ok(read.body.configuration.rbac_policy.roles.some((role: { role_id: string }) => role.role_id === "reader"));

    const organization = await h.client.organizations.create({ organization_name: "Admin API", organization_slug: unique("admin-api") });
    const organizationId = organization.organization.organization_id;
    const [email, second, third] = [unique("a"), unique("b"), unique("c")].map((name) => `${name}@example.com`) as [string, string, string];
    // One member per send: each email has its own send budget.
    for (const address of [email, second, third]) await h.client.organizations.members.create({ organization_id: organizationId, email_address: address });
    await expectSdkError(
      h.client.magicLinks.email.loginOrSignup({ organization_id: organizationId, email_address: email, login_redirect_url: "https://elsewhere.example.com/authenticate" }),
      400,
      "no_match_for_provided_magic_link_url",
    );
    // The listed URL, and the type's default when the request names none.
    await h.client.magicLinks.email.loginOrSignup({ organization_id: organizationId, email_address: second, login_redirect_url: "https://app.example.com/authenticate" });
    await h.client.magicLinks.email.loginOrSignup({ organization_id: organizationId, email_address: third });
  });

  it("refuses a bad configuration whole, naming the problem, and changes nothing", async () => {
    const before = (await h.request("GET", `${base()}/configuration`)).body.configuration;
    const refused = await h.request("PUT", `${base()}/configuration`, {
      authorized_origins: ["https://other.example.com"],
      rbac_policy: { roles: [{ role_id: "writer", permissions: [{ resource_id: "no-such-resource", actions: ["write"] }] }] },
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error_type, "invalid_field_value");
    assert.match(refused.body.error_message, /rbac_policy/);
    assert.deepEqual((await h.request("GET", `${base()}/configuration`)).body.configuration, before);
    const unknownKey = await h.request("PUT", `${base()}/configuration`, { redirect_url: [] });
    assert.equal(unknownKey.status, 400);
    const secret = await h.request("PUT", `${base()}/configuration`, { secret: "secret-test-whatever-it-is" });
    assert.equal(secret.status, 400);
  });

  it("acts only on the project whose credentials the call carries", async () => {
    const other = await h.otherProject();
    for (const [method, path] of [["GET", "configuration"], ["PUT", "configuration"], ["GET", "public_tokens"], ["POST", "public_tokens"]] as const) {
      const response = await h.request(method, `/v1/tessera/projects/${other.project.projectId}/${path}`, method === "GET" ? undefined : {});
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.body.error_type, "unauthorized_credentials");
    }
    assert.deepEqual((await h.app.services.projects.listPublicTokens(other.project.projectId)).length, 0);
  });
});
