import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CONSUMER_EMAIL_DOMAINS,
  applyOrganizationSettings,
  defaultOrganizationSettings,
  isValidExternalId,
  isValidOrganizationName,
  isValidOrganizationSlug,
  slugFromName,
  type OrganizationSettingsInput,
} from "./organization-rules.js";

const defaults = defaultOrganizationSettings({});

/** Applies `input` over the defaults a create with that input would start from. */
function create(input: OrganizationSettingsInput) {
  return applyOrganizationSettings(defaultOrganizationSettings(input), input);
}

function errorTypeOf(result: ReturnType<typeof applyOrganizationSettings>): string | null {
  return result.ok ? null : result.errorType;
}

describe("defaultOrganizationSettings", () => {
  it("matches Stytch's defaults when nothing is given", () => {
    assert.deepEqual(
      {
        sso_jit_provisioning: defaults.sso_jit_provisioning,
        email_jit_provisioning: defaults.email_jit_provisioning,
        email_invites: defaults.email_invites,
        auth_methods: defaults.auth_methods,
        mfa_policy: defaults.mfa_policy,
        mfa_methods: defaults.mfa_methods,
        oauth_tenant_jit_provisioning: defaults.oauth_tenant_jit_provisioning,
      },
      {
        sso_jit_provisioning: "ALL_ALLOWED",
        email_jit_provisioning: "NOT_ALLOWED",
        email_invites: "ALL_ALLOWED",
        auth_methods: "ALL_ALLOWED",
        mfa_policy: "OPTIONAL",
        mfa_methods: "ALL_ALLOWED",
        oauth_tenant_jit_provisioning: "NOT_ALLOWED",
      },
    );
  });

  const authSettings: OrganizationSettingsInput[] = [
    { sso_jit_provisioning: "ALL_ALLOWED" },
    { email_allowed_domains: ["acme.example"] },
    { email_jit_provisioning: "NOT_ALLOWED" },
    { auth_methods: "ALL_ALLOWED" },
    { allowed_auth_methods: ["sso"] },
    { mfa_policy: "OPTIONAL" },
    { mfa_methods: "ALL_ALLOWED" },
    { allowed_mfa_methods: ["totp"] },
  ];
  for (const input of authSettings) {
    it(`defaults email_invites to NOT_ALLOWED when ${Object.keys(input)[0]} is given`, () => {
      assert.equal(defaultOrganizationSettings(input).email_invites, "NOT_ALLOWED");
    });
  }

  it("keeps email_invites ALL_ALLOWED when only undefined auth settings are present", () => {
    assert.equal(defaultOrganizationSettings({ mfa_policy: undefined }).email_invites, "ALL_ALLOWED");
  });

  it("keeps email_invites ALL_ALLOWED when only non-auth settings are given", () => {
    assert.equal(defaultOrganizationSettings({ claimed_email_domains: ["acme.example"] }).email_invites, "ALL_ALLOWED");
  });

  it("returns fresh lists each time", () => {
    const first = defaultOrganizationSettings({});
    first.allowed_auth_methods.push("sso");
    assert.deepEqual(defaultOrganizationSettings({}).allowed_auth_methods, []);
  });
});

describe("applyOrganizationSettings", () => {
  const restrictedPairs: [keyof OrganizationSettingsInput, keyof OrganizationSettingsInput, unknown[]][] = [
    ["auth_methods", "allowed_auth_methods", ["magic_link"]],
    ["mfa_methods", "allowed_mfa_methods", ["totp"]],
    ["sso_jit_provisioning", "sso_jit_provisioning_allowed_connections", ["saml-connection-test-1"]],
    ["first_party_connected_apps_allowed_type", "allowed_first_party_connected_apps", ["connected-app-test-1"]],
    ["third_party_connected_apps_allowed_type", "allowed_third_party_connected_apps", ["connected-app-test-2"]],
    ["email_jit_provisioning", "email_allowed_domains", ["acme.example"]],
    ["email_invites", "email_allowed_domains", ["acme.example"]],
  ];
  for (const [mode, list, values] of restrictedPairs) {
    it(`refuses ${mode} RESTRICTED with an empty ${list}`, () => {
      assert.equal(errorTypeOf(create({ [mode]: "RESTRICTED" })), "invalid_organization_settings");
      assert.equal(errorTypeOf(create({ [mode]: "RESTRICTED", [list]: [] })), "invalid_organization_settings");
    });
    it(`accepts ${mode} RESTRICTED with a non-empty ${list}`, () => {
      const result = create({ [mode]: "RESTRICTED", [list]: values });
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.settings[mode], "RESTRICTED");
      assert.deepEqual(result.settings[list], values);
    });
  }

  it("refuses emptying the list of an organization that stays RESTRICTED", () => {
    const restricted = create({ auth_methods: "RESTRICTED", allowed_auth_methods: ["sso"] });
    assert.ok(restricted.ok);
    assert.equal(errorTypeOf(applyOrganizationSettings(restricted.settings, { allowed_auth_methods: [] })), "invalid_organization_settings");
    const relaxed = applyOrganizationSettings(restricted.settings, { auth_methods: "ALL_ALLOWED", allowed_auth_methods: [] });
    assert.ok(relaxed.ok);
  });

  it("refuses all three provisioning modes NOT_ALLOWED", () => {
    const input: OrganizationSettingsInput = { sso_jit_provisioning: "NOT_ALLOWED", email_jit_provisioning: "NOT_ALLOWED", email_invites: "NOT_ALLOWED" };
    assert.equal(errorTypeOf(create(input)), "invalid_organization_settings");
    assert.equal(errorTypeOf(applyOrganizationSettings(defaults, input)), "invalid_organization_settings");
  });

  const oneWayOpen: OrganizationSettingsInput[] = [
    { sso_jit_provisioning: "ALL_ALLOWED", email_jit_provisioning: "NOT_ALLOWED", email_invites: "NOT_ALLOWED" },
    { sso_jit_provisioning: "NOT_ALLOWED", email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["acme.example"], email_invites: "NOT_ALLOWED" },
    { sso_jit_provisioning: "NOT_ALLOWED", email_jit_provisioning: "NOT_ALLOWED", email_invites: "ALL_ALLOWED" },
  ];
  for (const input of oneWayOpen) {
    it(`accepts provisioning with one way open: ${JSON.stringify(input)}`, () => {
      assert.ok(create(input).ok);
    });
  }

  it("refuses the last open way being closed by an update", () => {
    const base = create({ sso_jit_provisioning: "NOT_ALLOWED", email_jit_provisioning: "NOT_ALLOWED", email_invites: "ALL_ALLOWED" });
    assert.ok(base.ok);
    assert.equal(errorTypeOf(applyOrganizationSettings(base.settings, { email_invites: "NOT_ALLOWED" })), "invalid_organization_settings");
  });

  for (const domain of ["gmail.com", "GMAIL.com", " yahoo.com ", "outlook.com", "icloud.com", "proton.me"]) {
    it(`refuses the consumer domain "${domain}" in email_allowed_domains and claimed_email_domains`, () => {
      assert.equal(errorTypeOf(create({ email_allowed_domains: [domain] })), "invalid_email_allowed_domains");
      assert.equal(errorTypeOf(create({ claimed_email_domains: [domain] })), "invalid_email_allowed_domains");
    });
  }

  it("lists gmail.com among the consumer domains", () => {
    assert.ok(CONSUMER_EMAIL_DOMAINS.has("gmail.com"));
  });

  for (const domain of ["not a domain", "localhost", "-acme.com", "acme-.com", "acme..com", "acme.c", "@acme.com", "acme.com/x", ""]) {
    it(`refuses the malformed domain ${JSON.stringify(domain)}`, () => {
      assert.equal(errorTypeOf(create({ email_allowed_domains: [domain] })), "invalid_email_allowed_domains");
    });
  }

  it("normalizes allowed and claimed domains to trimmed lower case", () => {
    const result = create({ email_allowed_domains: [" Acme.Example "], claimed_email_domains: ["Sub.ACME.co.uk"] });
    assert.ok(result.ok);
    assert.deepEqual(result.settings.email_allowed_domains, ["acme.example"]);
    assert.deepEqual(result.settings.claimed_email_domains, ["sub.acme.co.uk"]);
  });

  it("replaces lists wholesale and ignores undefined fields", () => {
    const base = create({ auth_methods: "RESTRICTED", allowed_auth_methods: ["sso", "magic_link"] });
    assert.ok(base.ok);
    const updated = applyOrganizationSettings(base.settings, { allowed_auth_methods: ["password"], mfa_policy: undefined });
    assert.ok(updated.ok);
    assert.deepEqual(updated.settings.allowed_auth_methods, ["password"]);
    assert.equal(updated.settings.mfa_policy, "OPTIONAL");
    assert.equal(updated.settings.auth_methods, "RESTRICTED");
  });

  it("does not mutate the base settings", () => {
    const base = defaultOrganizationSettings({});
    const snapshot = structuredClone(base);
    applyOrganizationSettings(base, { mfa_policy: "REQUIRED_FOR_ALL", email_allowed_domains: ["Acme.Example"] });
    assert.deepEqual(base, snapshot);
  });
});

describe("organization identity rules", () => {
  const names: [string, boolean][] = [
    ["A", true],
    ["Acme Inc.", true],
    ["x".repeat(128), true],
    ["é".repeat(128), true],
    ["x".repeat(129), false],
    ["", false],
    ["   ", false],
  ];
  for (const [name, valid] of names) {
    it(`${valid ? "accepts" : "refuses"} the name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 5)}…(${[...name].length})` : name)}`, () => {
      assert.equal(isValidOrganizationName(name), valid);
    });
  }

  const slugs: [string, boolean][] = [
    ["ab", true],
    ["acme-inc_2.0~x", true],
    ["ABC", true],
    ["s".repeat(128), true],
    ["a", false],
    ["s".repeat(129), false],
    ["has space", false],
    ["slash/no", false],
    ["ümlaut", false],
    ["", false],
  ];
  for (const [slug, valid] of slugs) {
    it(`${valid ? "accepts" : "refuses"} the slug ${JSON.stringify(slug.length > 20 ? `${slug.slice(0, 5)}…(${slug.length})` : slug)}`, () => {
      assert.equal(isValidOrganizationSlug(slug), valid);
    });
  }

  const externalIds: [string, boolean][] = [
    ["x", true],
    ["tenant.1_a-b|c", true],
    ["e".repeat(128), true],
    ["e".repeat(129), false],
    ["has space", false],
    ["semi;colon", false],
    ["", false],
  ];
  for (const [externalId, valid] of externalIds) {
    it(`${valid ? "accepts" : "refuses"} the external id ${JSON.stringify(externalId.length > 20 ? `${externalId.slice(0, 5)}…(${externalId.length})` : externalId)}`, () => {
      assert.equal(isValidExternalId(externalId), valid);
    });
  }
});

describe("slugFromName", () => {
  const cases: [string, string][] = [
    ["Acme Inc", "acme-inc"],
    ["  Acme   Inc!!  ", "acme-inc"],
    ["Acme.io_v2~beta", "acme.io_v2~beta"],
    ["Zürich Café", "zurich-cafe"],
    ["A", "org-a"],
    ["!!!", "org"],
  ];
  for (const [name, slug] of cases) {
    it(`turns ${JSON.stringify(name)} into ${JSON.stringify(slug)}`, () => {
      assert.equal(slugFromName(name), slug);
    });
  }

  it("always produces a valid slug", () => {
    for (const name of ["A", "!!!", "日本語の会社", "x".repeat(300), "Ünïcödé Ltd", "--a--"]) {
      assert.ok(isValidOrganizationSlug(slugFromName(name)), `${name} → ${slugFromName(name)}`);
    }
  });
});
