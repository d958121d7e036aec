/**
 * @module The configuration file end to end: a server started with TESSERA_CONFIG has the file's
 * project (usable through the official SDK with the file's secret), its public tokens, redirect
 * URLs per type, OAuth credentials (sealed at rest) and stored-as-given SDK settings; applying it
 * again changes nothing; a bad file stops the start and changes nothing in the database.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../src/app.js";
import { readConfig } from "../../src/config.js";
import { ConfigFileError } from "../../src/services/configuration/config-file.js";
import { changedTables, openReadOnly, snapshot } from "../support/db-snapshot.js";
import { sdkClient, startHarness, type Harness } from "../support/harness.js";

export const FILE_PROJECT_ID = `project-test-${randomUUID()}`;
const FILE_SECRET = `secret-test-${randomUUID()}`;
const PUBLIC_TOKEN = `public-token-test-${randomUUID()}`;
const GOOGLE_SECRET = `google-client-secret-${randomUUID()}`;

export function exampleConfig(): Record<string, unknown> {
  return {
    projects: [
      {
        project_id: FILE_PROJECT_ID,
        secret: FILE_SECRET,
        name: "From the file",
        public_tokens: [PUBLIC_TOKEN],
        redirect_urls: [
          { url: "https://app.example.com/authenticate", types: ["login", "signup"], default: true },
          { url: "https://app.example.com/invite", types: ["invite"], default: true },
          { url: "https://app.example.com/reset", types: ["reset_password"] },
          { url: "https://app.example.com/discovery", types: ["discovery"], default: true },
        ],
        authorized_origins: ["http://localhost:3000"],
        oauth_providers: { google: { client_id: "google-client", client_secret: GOOGLE_SECRET, token_url: "http://127.0.0.1:9/token" } },
        session_limits: { frontend_max_duration_minutes: 600 },
        sdk: { create_organization_enabled: true, anything: ["as", "given"] },
        trusted_auth_token_profiles: [{ profile_id: "as-given" }],
      },
    ],
  };
}

describe("configuration file (TESSERA_CONFIG)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ configFile: exampleConfig() });
  });
  after(() => h.close());

  it("creates the project with the file's secret, usable through the official SDK", async () => {
    const client = sdkClient(h.baseUrl, FILE_PROJECT_ID, FILE_SECRET);
    const created = await client.organizations.create({ organization_name: "Via file", organization_slug: `file-${randomUUID().slice(0, 8)}` });
    assert.equal(created.status_code, 200);
    assert.equal((await h.app.services.projects.find(FILE_PROJECT_ID))?.name, "From the file");
  });

  it("stores the secret only as a hash and the OAuth client secret only sealed", () => {
    const raw = readFileSync(h.databasePath).toString("latin1") + readFileSync(`${h.databasePath}-wal`).toString("latin1");
    assert.ok(!raw.includes(FILE_SECRET), "project secret in the database file");
    assert.ok(!raw.includes(GOOGLE_SECRET), "OAuth client secret in the database file");
  });

  it("public tokens: the file's token and a created one resolve; a deleted one is refused", async () => {
    assert.equal((await h.app.services.projects.authenticatePublicToken(PUBLIC_TOKEN)).projectId, FILE_PROJECT_ID);
    const { publicToken } = await h.app.services.projects.createPublicToken(FILE_PROJECT_ID);
    assert.match(publicToken, /^public-token-test-[0-9a-f-]{36}$/);
    assert.equal((await h.app.services.projects.authenticatePublicToken(publicToken)).projectId, FILE_PROJECT_ID);
    assert.equal(await h.app.services.projects.deletePublicToken(FILE_PROJECT_ID, publicToken), true);
    await assert.rejects(h.app.services.projects.authenticatePublicToken(publicToken), { errorType: "public_token_not_found" });
    await assert.rejects(h.app.services.projects.authenticatePublicToken("public-token-test-nope"), { errorType: "public_token_not_found" });
  });

  it("redirect URLs per type: allowed, refused, and the default of each type", async () => {
    const project = (await h.app.services.projects.find(FILE_PROJECT_ID))!;
    const resolve = (type: Parameters<Harness["app"]["services"]["redirectUrls"]["resolve"]>[1], url?: string) => h.app.services.redirectUrls.resolve(project, type, url);
    assert.deepEqual(await resolve("login", "https://app.example.com/authenticate"), { ok: true, url: "https://app.example.com/authenticate" });
    assert.deepEqual(await resolve("invite", "https://app.example.com/authenticate"), { ok: false, reason: "not_allowed" });
    assert.deepEqual(await resolve("invite"), { ok: true, url: "https://app.example.com/invite" });
    assert.deepEqual(await resolve("reset_password"), { ok: false, reason: "no_default" });
    assert.deepEqual(await resolve("discovery"), { ok: true, url: "https://app.example.com/discovery" });
    // A project without its own list keeps the installation-wide fallback.
    assert.deepEqual(await h.app.services.redirectUrls.resolve(h.project, "invite", undefined), { ok: true, url: "http://localhost:3000/authenticate" });
  });

  it("project settings: origins, provider credentials over the real endpoints, limits, sdk stored as given", async () => {
    const settings = await h.app.services.projectSettings.get(FILE_PROJECT_ID);
    assert.deepEqual(settings.authorizedOrigins, ["http://localhost:3000"]);
    assert.deepEqual(settings.oauthProviders.google, {
      clientId: "google-client",
      clientSecret: GOOGLE_SECRET,
      authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth",
      tokenUrl: "http://127.0.0.1:9/token",
      userinfoUrl: "https://openidconnect.googleapis.com/v1/userinfo",
      issuer: "https://accounts.google.com",
      jwksUrl: "https://www.googleapis.com/oauth2/v3/certs",
    });
    assert.equal(settings.sessionLimits.frontendMaxDurationMinutes, 600);
    assert.deepEqual(settings.sdk, { create_organization_enabled: true, anything: ["as", "given"] });
    assert.deepEqual(settings.trustedAuthTokenProfiles, [{ profile_id: "as-given" }]);
    assert.deepEqual(settings.rbacPolicy.roles.map((role) => role.role_id), ["stytch_member", "stytch_admin"]);
    const defaults = await h.app.services.projectSettings.get(h.project.projectId);
    assert.deepEqual([defaults.authorizedOrigins, defaults.oauthProviders, defaults.redirectUrls, defaults.sessionLimits.frontendMaxDurationMinutes], [[], {}, null, 10080]);
  });

  it("applying the same file again changes nothing", async () => {
    const db = openReadOnly(h.databasePath);
    try {
      const beforeApply = snapshot(db);
      await h.app.services.configFile.applyFile(join(h.directory, "tessera-config.json"));
      assert.deepEqual(changedTables(beforeApply, snapshot(db)).filter((table) => !table.startsWith("project_settings")), []);
      assert.equal((await h.app.services.projects.authenticatePublicToken(PUBLIC_TOKEN)).projectId, FILE_PROJECT_ID);
    } finally {
      db.close();
    }
  });

  it("a token removed from the file is deleted on the next apply; hand-made tokens stay", async () => {
    const kept = await h.app.services.projects.createPublicToken(FILE_PROJECT_ID);
    const config = exampleConfig() as { projects: Record<string, unknown>[] };
    const replacement = `public-token-test-${randomUUID()}`;
    config.projects[0]!.public_tokens = [replacement];
    const path = join(h.directory, "second.json");
    writeFileSync(path, JSON.stringify(config));
    await h.app.services.configFile.applyFile(path);
    await assert.rejects(h.app.services.projects.authenticatePublicToken(PUBLIC_TOKEN), { errorType: "public_token_not_found" });
    assert.equal((await h.app.services.projects.authenticatePublicToken(replacement)).projectId, FILE_PROJECT_ID);
    assert.equal((await h.app.services.projects.authenticatePublicToken(kept.publicToken)).projectId, FILE_PROJECT_ID);
  });
});

describe("a bad configuration file stops the start and changes nothing", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ configFile: exampleConfig() });
  });
  after(() => h.close());

  const otherProject = `project-test-${randomUUID()}`;
  const bad: [string, (config: any) => void, RegExp][] = [
    ["an unknown key", (c) => (c.projects[0].colour = "blue"), /\/projects\/0: must NOT have additional properties "colour"/],
    ["a wrong type", (c) => (c.projects[0].authorized_origins = "http://localhost:3000"), /\/projects\/0\/authorized_origins: must be array/],
    [
      "a duplicate role",
      (c) => (c.projects[0].rbac_policy = { roles: [{ role_id: "editor", permissions: [] }, { role_id: "editor", permissions: [] }] }),
      /\/projects\/0\/rbac_policy\/roles\/1\/role_id: duplicate role "editor"/,
    ],
    [
      "a permission on an unknown resource",
      (c) => (c.projects[0].rbac_policy = { roles: [{ role_id: "editor", permissions: [{ resource_id: "documents", actions: ["read"] }] }] }),
      /\/projects\/0\/rbac_policy\/roles\/0\/permissions\/0\/resource_id: unknown resource "documents"/,
    ],
    [
      "a changed stytch.* resource",
      (c) => (c.projects[0].rbac_policy = { resources: [{ resource_id: "stytch.member", actions: ["x"] }] }),
      /\/projects\/0\/rbac_policy\/resources\/0\/resource_id: "stytch.member" is a reserved Stytch resource/,
    ],
    ["two defaults for one type", (c) => c.projects[0].redirect_urls.push({ url: "https://b.example/x", types: ["invite"], default: true }), /default for "invite"/],
    ["a new project without a secret, after a good one", (c) => c.projects.push({ project_id: otherProject, name: "x" }), /\/projects\/1\/secret: required/],
    ["not JSON", () => {}, /not valid JSON/],
  ];
  for (const [name, spoil, message] of bad) {
    it(name, async () => {
      const config = exampleConfig() as any;
      // Everything else in the file would change the database if it were applied.
      config.projects[0].name = "changed";
      config.projects[0].public_tokens = [`public-token-test-${randomUUID()}`];
      config.projects[0].authorized_origins = ["https://changed.example"];
      spoil(config);
      const path = join(h.directory, "bad.json");
      writeFileSync(path, name === "not JSON" ? "{ projects: [" : JSON.stringify(config));
      const db = openReadOnly(h.databasePath);
      try {
        const beforeStart = snapshot(db);
        const start = createApp(readConfig({ DATABASE_URL: `sqlite:${h.databasePath}`, PORT: "0", TESSERA_CONFIG: path }), { logging: false, deliveryPollMs: 0 });
        await assert.rejects(start, (error: unknown) => {
          assert.ok(error instanceof ConfigFileError, String(error));
          assert.ok(error.message.includes(path), error.message);
          assert.match(error.message, message);
          return true;
        });
        assert.deepEqual(changedTables(beforeStart, snapshot(db)), []);
      } finally {
        db.close();
      }
    });
  }
});
