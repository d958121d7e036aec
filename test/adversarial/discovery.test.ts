/**
 * Adversarial suite for discovery: POST /v1/b2b/discovery/organizations,
 * /v1/b2b/discovery/intermediate_sessions/exchange and /v1/b2b/discovery/organizations/create
 * (SEC-IN-1..4, SEC-TOK-3, SEC-REV-5, SEC-EX-7): schema-generated and body-level cases, token
 * classes in the wrong slot, other projects' intermediate sessions, consumed ones, and a
 * member that exchange must never create. Every refusal is a 4xx with no side effect.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectRefused, send, tally } from "../support/adversarial.js";
import { registerBodyCases, registerSchemaCases, type EndpointSpec } from "../support/adversarial-cases.js";
import { buildWorld, worldSecrets, type World } from "../support/adversarial-world.js";

const LIST = "/v1/b2b/discovery/organizations";
const ENTER = "/v1/b2b/discovery/intermediate_sessions/exchange";
const CREATE = "/v1/b2b/discovery/organizations/create";

const listSpec: EndpointSpec = {
  name: "discovery organizations",
  path: LIST,
  schema: "discovery-organizations.request",
  valid: (w) => ({ session_token: w.live.token, session_jwt: w.live.jwt, intermediate_session_token: w.discoveryIst }),
  baseFields: ["session_token"],
  exclusive: ["session_token", "session_jwt", "intermediate_session_token"],
  identifiers: ["session_token", "intermediate_session_token"],
};

const enterSpec: EndpointSpec = {
  name: "discovery intermediate_sessions/exchange",
  path: ENTER,
  schema: "discovery-intermediate-sessions-exchange.request",
  valid: (w) => ({
    intermediate_session_token: w.discoveryIst,
    organization_id: w.orgB.organizationId,
    session_duration_minutes: 60,
    session_custom_claims: { team: "blue" },
    locale: "en",
    telemetry_id: "device-1",
  }),
  baseFields: ["intermediate_session_token", "organization_id"],
  identifiers: ["intermediate_session_token", "organization_id"],
};

const createSpec: EndpointSpec = {
  name: "discovery organizations/create",
  path: CREATE,
  schema: "discovery-organizations-create.request",
  valid: (w) => ({
    intermediate_session_token: w.discoveryIst,
    organization_name: "Fresh Org",
    organization_slug: "fresh-org",
    organization_external_id: "fresh-ext",
    organization_logo_url: "https://example.com/logo.png",
    session_duration_minutes: 60,
    session_custom_claims: { team: "blue" },
    locale: "en",
    telemetry_id: "device-1",
  }),
  baseFields: ["intermediate_session_token", "organization_name", "organization_slug"],
  identifiers: ["intermediate_session_token"],
};

describe("adversarial: discovery", () => {
  let w: World;
  before(async () => {
    w = await buildWorld();
  });
  after(async () => {
    await w.close();
    console.log(`# adversarial discovery: ${tally.cases} refusal cases, ${tally.serverErrors} 5xx`);
  });

  it("the valid base list request succeeds", async () => {
    const response = await send(w.target, "POST", LIST, { session_token: w.live.token });
    assert.equal(response.status, 200, response.text);
  });

  registerSchemaCases(listSpec, () => w);
  registerBodyCases(listSpec, () => w);
  registerSchemaCases(enterSpec, () => w);
  registerBodyCases(enterSpec, () => w);
  registerSchemaCases(createSpec, () => w);
  registerBodyCases(createSpec, () => w);

  describe("semantics", () => {
    const refuse = (label: string, path: string, body: () => unknown, status: number, errorType: string) =>
      it(`${path.split("/").slice(-2).join("/")}: ${label}`, async () => {
        await expectRefused(w.target, { path, body: body() }, { status, errorType, secrets: worldSecrets(w) }, label);
      });
    // List: exactly one credential, each of its own class.
    refuse("two credentials", LIST, () => ({ session_token: w.live.token, intermediate_session_token: w.discoveryIst }), 400, "too_many_session_arguments");
    refuse("no credential", LIST, () => ({}), 400, "no_session_arguments");
    refuse("a session token as intermediate_session_token", LIST, () => ({ intermediate_session_token: w.live.token }), 404, "intermediate_session_not_found");
    refuse("an intermediate session token as session_token", LIST, () => ({ session_token: w.discoveryIst }), 404, "session_not_found");
    refuse("a consumed intermediate session", LIST, () => ({ intermediate_session_token: w.consumedIst }), 404, "intermediate_session_not_found");
    refuse("another project's intermediate session", LIST, () => ({ intermediate_session_token: w.other.ist }), 404, "intermediate_session_not_found");
    refuse("another project's session token", LIST, () => ({ session_token: w.other.session.token }), 404, "session_not_found");
    refuse("a revoked session", LIST, () => ({ session_token: w.revoked.token }), 404, "session_not_found");
    refuse("an expired session by JWT", LIST, () => ({ session_jwt: w.expired.jwt }), 404, "session_not_found");
    // Enter: only intermediate sessions, bound where they were issued.
    refuse("a session token as intermediate_session_token", ENTER, () => ({ intermediate_session_token: w.live.token, organization_id: w.orgB.organizationId }), 404, "intermediate_session_not_found");
    refuse("a session JWT as intermediate_session_token", ENTER, () => ({ intermediate_session_token: w.live.jwt.slice(0, 256), organization_id: w.orgB.organizationId }), 404, "intermediate_session_not_found");
    refuse("the SMS passcode as intermediate_session_token", ENTER, () => ({ intermediate_session_token: w.otpCode, organization_id: w.orgMfa.organizationId }), 404, "intermediate_session_not_found");
    refuse("a consumed intermediate session", ENTER, () => ({ intermediate_session_token: w.consumedIst, organization_id: w.orgB.organizationId }), 404, "intermediate_session_not_found");
    refuse("another project's intermediate session", ENTER, () => ({ intermediate_session_token: w.other.ist, organization_id: w.orgB.organizationId }), 404, "intermediate_session_not_found");
    refuse("an intermediate session bound to another organization", ENTER, () => ({ intermediate_session_token: w.orgIst, organization_id: w.orgB.organizationId }), 400, "invalid_intermediate_session_token_for_organization");
    refuse("another project's organization", ENTER, () => ({ intermediate_session_token: w.discoveryIst, organization_id: w.other.org.organizationId }), 404, "organization_not_found");
    refuse("an unknown organization", ENTER, () => ({ intermediate_session_token: w.discoveryIst, organization_id: "organization-test-00000000-0000-4000-8000-000000000000" }), 404, "organization_not_found");
    refuse("an organization without a membership or domain rule creates no member", ENTER, () => ({ intermediate_session_token: w.discoveryIst, organization_id: w.orgNone.organizationId }), 404, "member_not_found");
    refuse("reserved claims", ENTER, () => ({ intermediate_session_token: w.discoveryIst, organization_id: w.orgB.organizationId, session_custom_claims: { iat: 0 } }), 400, "reserved_claims_in_custom_claims");
    refuse("claims over 4 KiB", ENTER, () => ({ intermediate_session_token: w.discoveryIst, organization_id: w.orgB.organizationId, session_custom_claims: { k: "x".repeat(4200) } }), 400, "custom_claims_too_large");
    // Create: only intermediate sessions, never twice.
    refuse("a session token as intermediate_session_token", CREATE, () => ({ intermediate_session_token: w.live.token, organization_name: "X Org" }), 404, "intermediate_session_not_found");
    refuse("a consumed intermediate session", CREATE, () => ({ intermediate_session_token: w.consumedIst, organization_name: "X Org" }), 404, "intermediate_session_not_found");
    refuse("another project's intermediate session", CREATE, () => ({ intermediate_session_token: w.other.ist, organization_name: "X Org" }), 404, "intermediate_session_not_found");
    refuse("a slug that is taken", CREATE, () => ({ intermediate_session_token: w.discoveryIst, organization_name: "X Org", organization_slug: "org-a" }), 409, "organization_slug_already_used");
    refuse("reserved claims", CREATE, () => ({ intermediate_session_token: w.discoveryIst, organization_name: "X Org", session_custom_claims: { "https://stytch.com/x": 1 } }), 400, "stytch_claims_in_custom_claims");
    refuse("trusted_metadata with __proto__", CREATE, () => `{"intermediate_session_token":"${w.discoveryIst}","organization_name":"X Org","trusted_metadata":{"__proto__":{"admin":true}}}`, 400, "invalid_json");
  });

  // Runs last: moves the clock past every intermediate session's ten minutes.
  describe("expired intermediate sessions (SEC-REV-5)", () => {
    it("an intermediate session past its ten minutes is refused everywhere", async () => {
      w.clock.advanceMinutes(11);
      for (const [path, body] of [
        [LIST, { intermediate_session_token: w.discoveryIst }],
        [ENTER, { intermediate_session_token: w.discoveryIst, organization_id: w.orgB.organizationId }],
        [ENTER, { intermediate_session_token: w.orgIst, organization_id: w.orgMfa.organizationId }],
        [CREATE, { intermediate_session_token: w.discoveryIst, organization_name: "Late Org" }],
      ] as const) {
        await expectRefused(w.target, { path, body }, { status: 404, errorType: "intermediate_session_not_found" }, `expired IST on ${path}`);
      }
    });
  });
});
