/**
 * Free text the server stores and echoes (`telemetry_id` → `member_device`) refuses control, bidi
 * and invisible format characters; numbers JSON cannot carry (`1e400` → Infinity) are refused in
 * custom claims and metadata rather than signed or stored as null.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createMember, createOrganization, organizationMemberSession } from "../support/fixtures.js";
import { expectStytchError, startHarness, type Harness } from "../support/harness.js";

describe("input hardening", () => {
  let h: Harness;
  let sessionToken = "";
  let organizationId = "";
  let memberId = "";
  let otherOrganizationId = "";
  before(async () => {
    h = await startHarness();
    const created = await organizationMemberSession(h);
    sessionToken = created.session.sessionToken;
    organizationId = created.organization.organization_id;
    memberId = created.member.member_id;
    otherOrganizationId = (await createOrganization(h.client)).organization_id;
    await createMember(h.client, otherOrganizationId, { email_address: created.member.email_address });
  });
  const exchange = (telemetryId: string) =>
    h.request("POST", "/v1/b2b/sessions/exchange", { organization_id: otherOrganizationId, session_token: sessionToken, telemetry_id: telemetryId });
  after(() => h.close());

  it("echoes a plain telemetry_id as the visitor id", async () => {
    const response = await exchange("visitor-Ünïcode-42");
    assert.equal(response.status, 200);
    assert.equal(response.body.member_device.visitor_id, "visitor-Ünïcode-42");
  });

  const hostile: [string, string][] = [
    ["CR/LF", "abc\r\nSet-Cookie: x=1"],
    ["ANSI escape", "abc\u001b[31mred"],
    ["C1 control", "abc\u0085def"],
    ["bidi override", "abc\u202edcba"],
    ["bidi isolate", "abc\u2066x\u2069"],
    ["zero-width space", "ab\u200bc"],
    ["byte order mark", "\ufeffabc"],
    ["over-long", "v".repeat(513)],
  ];
  for (const [name, telemetryId] of hostile) {
    it(`refuses a telemetry_id with ${name} (exchange, magic links)`, async () => {
      const exchanged = await exchange(telemetryId);
      expectStytchError(exchanged.body, 400, "invalid_field_value");
      assert.match(exchanged.body.error_message, /telemetry_id/);
      const login = await h.request("POST", "/v1/b2b/magic_links/authenticate", { magic_links_token: "x".repeat(44), telemetry_id: telemetryId });
      expectStytchError(login.body, 400, "invalid_field_value");
    });
  }

  const raw = (text: string) => h.request("POST", "/v1/b2b/sessions/authenticate", text);
  it("refuses 1e400 and -1e400 in session_custom_claims, nested or not", async () => {
    for (const claims of ['{"n":1e400}', '{"a":{"b":[1,-1e400]}}', '{"n":1E+999}']) {
      const response = await raw(`{"session_token":${JSON.stringify(sessionToken)},"session_custom_claims":${claims}}`);
      expectStytchError(response.body, 400, "invalid_field_value");
    }
    const session = await h.request("POST", "/v1/b2b/sessions/authenticate", { session_token: sessionToken });
    assert.deepEqual(session.body.member_session.custom_claims, {}, "nothing was stored");
  });

  it("refuses 1e400 in trusted_metadata and untrusted_metadata", async () => {
    for (const field of ["trusted_metadata", "untrusted_metadata"]) {
      const response = await h.request("PUT", `/v1/b2b/organizations/${organizationId}/members/${memberId}`, `{"${field}":{"score":1e400}}`);
      expectStytchError(response.body, 400, "invalid_field_value");
    }
    const organization = await h.request("PUT", `/v1/b2b/organizations/${organizationId}`, '{"trusted_metadata":{"x":-1e400}}');
    expectStytchError(organization.body, 400, "invalid_field_value");
    const member = await h.request("GET", `/v1/b2b/organizations/${organizationId}/member?member_id=${memberId}`);
    assert.deepEqual([member.body.member.trusted_metadata, member.body.member.untrusted_metadata], [{}, {}]);
  });

  it("still accepts large finite numbers (JSON doubles)", async () => {
    const response = await raw(`{"session_token":${JSON.stringify(sessionToken)},"session_custom_claims":{"big":1e300}}`);
    assert.equal(response.status, 200);
    assert.equal(response.body.member_session.custom_claims.big, 1e300);
  });
});
