import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { expectStytchError, startHarness, type Harness } from "../support/harness.js";
import { createMember, createOrganization, organizationMemberSession, unique } from "../support/fixtures.js";

type Response = Awaited<ReturnType<Harness["request"]>>;

/** A Stytch-shaped error with this status and type, never a 5xx, JSON, status_code = HTTP status. */
function expectError(response: Response, status: number, errorType: string): void {
  assert.ok(response.status < 500, `never a 5xx: ${response.status} ${JSON.stringify(response.body)}`);
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  expectStytchError(response.body, status, errorType);
  assert.deepEqual(
    Object.keys(response.body).filter((key) => !["status_code", "request_id", "error_type", "error_message", "error_url", "error_details"].includes(key)),
    [],
  );
  assert.match(response.body.request_id, /^request-id-(test|live)-[0-9a-f-]{36}$/);
}

/** A raw request whose body is sent byte for byte (no JSON encoding, no fetch restrictions). */
function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === "string") responseHeaders.set(name, value);
        resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: responseHeaders });
      });
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe("request validation", () => {
  let h: Harness;
  let session: Awaited<ReturnType<typeof organizationMemberSession>>["session"];
  let organization: any;
  before(async () => {
    h = await startHarness();
    ({ session, organization } = await organizationMemberSession(h));
  });
  after(async () => {
    await h.close();
  });

  describe("session_duration_minutes", () => {
    const invalid: [string, unknown][] = [
      ["the string \"60\"", "60"],
      ["4", 4],
      ["527041", 527041],
      ["0", 0],
      ["-60", -60],
      ["60.5", 60.5],
      ["null", null],
      ["true", true],
    ];
    for (const [label, value] of invalid) {
      it(`refuses ${label} with 400 invalid_session_duration_minutes`, async () => {
        const response = await h.request("POST", "/v1/b2b/sessions/authenticate", { session_token: session.sessionToken, session_duration_minutes: value });
        expectError(response, 400, "invalid_session_duration_minutes");
      });
    }

    for (const value of [5, 527040]) {
      it(`accepts ${value}`, async () => {
        const response = await h.request("POST", "/v1/b2b/sessions/authenticate", { session_token: session.sessionToken, session_duration_minutes: value });
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.equal(Date.parse(response.body.member_session.expires_at) - Date.parse(response.body.member_session.last_accessed_at), value * 60_000);
      });
    }
  });

  describe("session selection", () => {
    it("refuses both session_token and session_jwt with 400 too_many_session_arguments", async () => {
      const response = await h.request("POST", "/v1/b2b/sessions/authenticate", { session_token: session.sessionToken, session_jwt: session.sessionJwt });
      expectError(response, 400, "too_many_session_arguments");
    });

    for (const body of [{}, { session_token: "" }, { session_token: "", session_jwt: "" }]) {
      it(`refuses ${JSON.stringify(body)} with 400 no_session_arguments`, async () => {
        expectError(await h.request("POST", "/v1/b2b/sessions/authenticate", body), 400, "no_session_arguments");
      });
    }

    it("refuses a revoke without a selector with 400 no_session_revoke_arguments", async () => {
      expectError(await h.request("POST", "/v1/b2b/sessions/revoke", {}), 400, "no_session_revoke_arguments");
      expectError(await h.request("POST", "/v1/b2b/sessions/revoke", { member_id: "", session_token: "" }), 400, "no_session_revoke_arguments");
    });

    const pairs: Record<string, string>[] = [
      { member_session_id: "member-session-test-x", session_token: "t" },
      { session_token: "t", session_jwt: "j.w.t" },
      { member_id: "member-test-x", member_session_id: "member-session-test-x" },
      { member_id: "m", member_session_id: "s", session_token: "t", session_jwt: "j" },
    ];
    for (const body of pairs) {
      it(`refuses a revoke with ${Object.keys(body).join(" and ")} with 400 too_many_session_revoke_arguments`, async () => {
        expectError(await h.request("POST", "/v1/b2b/sessions/revoke", body), 400, "too_many_session_revoke_arguments");
      });
    }

    it("leaves the session alive after the refused revokes", async () => {
      const response = await h.request("POST", "/v1/b2b/sessions/authenticate", { session_token: session.sessionToken });
      assert.equal(response.status, 200);
    });

    it("refuses a sessions get without member_id", async () => {
      const response = await h.request("GET", `/v1/b2b/sessions?organization_id=${organization.organization_id}`);
      expectError(response, 400, "missing_required_field");
    });
  });

  describe("request bodies", () => {
    it("refuses malformed JSON with 400 invalid_json", async () => {
      expectError(await h.request("POST", "/v1/b2b/organizations", '{"organization_name":'), 400, "invalid_json");
      expectError(await h.request("POST", "/v1/b2b/sessions/authenticate", "{'single': 'quotes'}"), 400, "invalid_json");
    });

    it("refuses a JSON array body with 400", async () => {
      const response = await h.request("POST", "/v1/b2b/organizations", [{ organization_name: "Array" }]);
      expectError(response, 400, "invalid_field_type");
      expectError(await h.request("POST", "/v1/b2b/sessions/authenticate", []), 400, "invalid_field_type");
    });

    it("refuses a JSON string or number body with 400", async () => {
      expectError(await h.request("POST", "/v1/b2b/organizations", '"x"'), 400, "invalid_field_type");
      expectError(await h.request("POST", "/v1/b2b/organizations", "42"), 400, "invalid_field_type");
    });

    it("refuses a body over 512 KiB with 413 request_body_too_large", async () => {
      const body = JSON.stringify({ organization_name: "Big", trusted_metadata: { blob: "x".repeat(512 * 1024) } });
      expectError(await h.request("POST", "/v1/b2b/organizations", body), 413, "request_body_too_large");
    });

    it("accepts a body just under 512 KiB", async () => {
      const skeleton = JSON.stringify({ organization_name: "Near limit", organization_slug: unique("near"), trusted_metadata: { blob: "" } });
      const body = JSON.stringify({ ...JSON.parse(skeleton), trusted_metadata: { blob: "x".repeat(512 * 1024 - skeleton.length) } });
      assert.equal(Buffer.byteLength(body), 512 * 1024);
      const response = await h.request("POST", "/v1/b2b/organizations", body);
      assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 300));
    });

    it("refuses a __proto__ key at any depth with 400", async () => {
      expectError(await h.request("POST", "/v1/b2b/organizations", '{"organization_name":"P","__proto__":{"x":1}}'), 400, "invalid_json");
      expectError(
        await h.request("POST", "/v1/b2b/sessions/authenticate", `{"session_token":"${session.sessionToken}","session_custom_claims":{"__proto__":{"admin":true}}}`),
        400,
        "invalid_json",
      );
      expectError(await h.request("POST", "/v1/b2b/organizations", '{"organization_name":"P","constructor":{"prototype":{"x":1}}}'), 400, "invalid_json");
      assert.equal(({} as Record<string, unknown>).x, undefined);
    });

    /** `levels` objects nested in one another: `{"a":{"a":…1…}}`. */
    const nested = (levels: number): string => '{"a":'.repeat(levels) + "1" + "}".repeat(levels);

    it("refuses objects nested deeper than 64 levels with 400 bad_request, never a 5xx", async () => {
      for (const levels of [64, 5000, 50_000]) {
        const metadata = await h.request("POST", "/v1/b2b/organizations", `{"organization_name":"Deep","trusted_metadata":${nested(levels)}}`);
        expectError(metadata, 400, "bad_request");
        const claims = await h.request(
          "POST",
          "/v1/b2b/sessions/authenticate",
          `{"session_token":"${session.sessionToken}","session_custom_claims":${nested(levels)}}`,
        );
        expectError(claims, 400, "bad_request");
      }
      expectError(await h.request("POST", "/v1/b2b/organizations", `{"organization_name":"Deep","x":${"[".repeat(100)}${"]".repeat(100)}}`), 400, "bad_request");
    });

    it("accepts a body nested exactly 64 levels deep", async () => {
      const body = `{"organization_name":"Deep enough","organization_slug":"${unique("deep")}","trusted_metadata":${nested(63)}}`;
      const response = await h.request("POST", "/v1/b2b/organizations", body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    it("refuses a body that is not JSON with 415 unsupported_media_type", async () => {
      expectError(await h.request("POST", "/v1/b2b/organizations", "organization_name=x", { "content-type": "application/x-www-form-urlencoded" }), 415, "unsupported_media_type");
    });

    it("accepts JSON with a charset parameter", async () => {
      const response = await h.request("POST", "/v1/b2b/organizations", JSON.stringify({ organization_name: "Charset", organization_slug: unique("cs") }), {
        "content-type": "application/json; charset=utf-8",
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    it("accepts a DELETE with an empty JSON body and one with {}", async () => {
      for (const body of ["", "{}"]) {
        const target = await createOrganization(h.client);
        const response = await h.request("DELETE", `/v1/b2b/organizations/${target.organization_id}`, body, { "content-type": "application/json" });
        assert.equal(response.status, 200, JSON.stringify(response.body));
      }
    });

    it("accepts Content-Type: application/json on a GET without a body, as the SDK sends it", async () => {
      const response = await h.request("GET", `/v1/b2b/organizations/${organization.organization_id}`, undefined, { "content-type": "application/json" });
      assert.equal(response.status, 200);
    });
  });

  describe("organization fields", () => {
    const wrongTypes: [string, Record<string, unknown>, string][] = [
      ["a numeric organization_name", { organization_name: 5 }, "invalid_organization_name"],
      ["a null organization_name", { organization_name: null }, "invalid_organization_name"],
      ["a numeric organization_slug", { organization_name: "x", organization_slug: 7 }, "invalid_organization_slug"],
      ["a boolean organization_external_id", { organization_name: "x", organization_external_id: true }, "invalid_organization_external_id"],
      ["a string email_allowed_domains", { organization_name: "x", email_allowed_domains: "acme.example" }, "invalid_field_type"],
      ["a numeric allowed domain", { organization_name: "x", email_allowed_domains: [7] }, "invalid_field_type"],
      ["an array trusted_metadata", { organization_name: "x", trusted_metadata: [1] }, "invalid_field_type"],
      ["a string trusted_metadata", { organization_name: "x", trusted_metadata: "{}" }, "invalid_field_type"],
      ["an unknown mfa_policy", { organization_name: "x", mfa_policy: "SOMETIMES" }, "invalid_organization_settings"],
      ["an unknown auth method", { organization_name: "x", auth_methods: "RESTRICTED", allowed_auth_methods: ["carrier_pigeon"] }, "invalid_organization_settings"],
      ["a numeric email_invites", { organization_name: "x", email_invites: 1 }, "invalid_organization_settings"],
      ["a missing organization_name", { organization_slug: "no-name" }, "missing_required_field"],
    ];
    for (const [label, body, errorType] of wrongTypes) {
      it(`refuses ${label} on create with 400 ${errorType}`, async () => {
        expectError(await h.request("POST", "/v1/b2b/organizations", body), 400, errorType);
      });
    }

    const badValues: [string, Record<string, unknown>, string][] = [
      ["an empty name", { organization_name: "" }, "invalid_organization_name"],
      ["a blank name", { organization_name: "   " }, "invalid_organization_name"],
      ["a 129-character name", { organization_name: "n".repeat(129) }, "invalid_organization_name"],
      ["a one-character slug", { organization_slug: "a" }, "invalid_organization_slug"],
      ["a slug with a space", { organization_slug: "acme inc" }, "invalid_organization_slug"],
      ["a slug with a slash", { organization_slug: "acme/inc" }, "invalid_organization_slug"],
      ["a 129-character slug", { organization_slug: "s".repeat(129) }, "invalid_organization_slug"],
      ["an external id with a space", { organization_external_id: "ext id" }, "invalid_organization_external_id"],
      ["a 129-character external id", { organization_external_id: "e".repeat(129) }, "invalid_organization_external_id"],
      ["a consumer allowed domain", { email_allowed_domains: ["gmail.com"] }, "invalid_email_allowed_domains"],
      ["RESTRICTED auth methods without a list", { auth_methods: "RESTRICTED" }, "invalid_organization_settings"],
      [
        "every provisioning mode NOT_ALLOWED",
        { sso_jit_provisioning: "NOT_ALLOWED", email_jit_provisioning: "NOT_ALLOWED", email_invites: "NOT_ALLOWED" },
        "invalid_organization_settings",
      ],
    ];
    for (const [label, fields, errorType] of badValues) {
      it(`refuses ${label} with 400 ${errorType} on create and on update`, async () => {
        expectError(await h.request("POST", "/v1/b2b/organizations", { organization_name: "Valid", ...fields }), 400, errorType);
        expectError(await h.request("PUT", `/v1/b2b/organizations/${organization.organization_id}`, fields), 400, errorType);
      });
    }

    it("refuses a duplicate slug with 409 organization_slug_already_used", async () => {
      const response = await h.request("POST", "/v1/b2b/organizations", { organization_name: "Dup", organization_slug: organization.organization_slug });
      expectError(response, 409, "organization_slug_already_used");
    });
  });

  describe("member fields", () => {
    const path = (): string => `/v1/b2b/organizations/${organization.organization_id}/members`;

    for (const phone of ["4155550123", "+0123456789", "+1 415 555 0123", "+1-415-555-0123", "+1234567890123456", "+12345", "phone"]) {
      it(`refuses the phone number ${JSON.stringify(phone)} with 400 invalid_phone_number`, async () => {
        expectError(await h.request("POST", path(), { email_address: `${unique("p")}@example.com`, mfa_phone_number: phone }), 400, "invalid_phone_number");
      });
    }

    it("accepts an E.164 phone number", async () => {
      const response = await h.request("POST", path(), { email_address: `${unique("p")}@example.com`, mfa_phone_number: "+14155550123" });
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    for (const email of ["no-at-sign", "a@b", "a b@example.com", "a@exa mple.com", "@example.com", "a@@example.com", ""]) {
      it(`refuses the email ${JSON.stringify(email)} with 400 invalid_email`, async () => {
        expectError(await h.request("POST", path(), { email_address: email }), 400, "invalid_email");
      });
    }

    it("refuses a non-string email with 400 invalid_email and a missing one with 400 missing_required_field", async () => {
      expectError(await h.request("POST", path(), { email_address: 42 }), 400, "invalid_email");
      expectError(await h.request("POST", path(), { name: "No email" }), 400, "missing_required_field");
    });

    it("refuses wrong types on member fields with 400", async () => {
      expectError(await h.request("POST", path(), { email_address: `${unique("t")}@example.com`, roles: "admin" }), 400, "invalid_roles");
      expectError(await h.request("POST", path(), { email_address: `${unique("t")}@example.com`, is_breakglass: "yes" }), 400, "invalid_field_type");
      expectError(await h.request("POST", path(), { email_address: `${unique("t")}@example.com`, external_id: "has space" }), 400, "invalid_external_id");
    });

    it("refuses a duplicate email in another letter case with 409 duplicate_member_email", async () => {
      const member = await createMember(h.client, organization.organization_id);
      const response = await h.request("POST", path(), { email_address: member.email_address.toUpperCase() });
      expectError(response, 409, "duplicate_member_email");
    });
  });

  describe("routing and credentials", () => {
    it("answers an unknown route with 404 route_not_found in the Stytch shape", async () => {
      expectError(await h.request("GET", "/v1/b2b/nope"), 404, "route_not_found");
      expectError(await h.request("POST", "/v1/b2b/organizations/search/extra", {}), 404, "route_not_found");
      expectError(await h.request("PATCH", `/v1/b2b/organizations/${organization.organization_id}`, {}), 404, "route_not_found");
    });

    it("answers an unknown route the same way without credentials", async () => {
      expectError(await h.request("GET", "/v1/b2b/nope", undefined, { authorization: "" }), 404, "route_not_found");
    });

    it("answers a malformed percent-encoding in the path with 400 in the Stytch shape", async () => {
      expectError(await h.request("GET", "/v1/b2b/organizations/%E0%A4%A"), 400, "bad_request");
    });

    it("answers an over-long path parameter in the Stytch shape", async () => {
      const response = await h.request("GET", `/v1/b2b/organizations/${"a".repeat(600)}`);
      expectError(response, 400, "bad_request");
    });

    const credentials: [string, Record<string, string>][] = [
      ["no Authorization header", { authorization: "" }],
      ["a Bearer token", { authorization: "Bearer abc" }],
      ["Basic without a colon", { authorization: `Basic ${Buffer.from("just-a-project").toString("base64")}` }],
      ["Basic that is not base64", { authorization: "Basic %%%" }],
    ];
    for (const [label, headers] of credentials) {
      it(`refuses ${label} with 401 unauthorized_credentials`, async () => {
        expectError(await h.request("GET", `/v1/b2b/organizations/${organization.organization_id}`, undefined, headers), 401, "unauthorized_credentials");
      });
    }

    it("refuses a wrong secret and an unknown project with 401 unauthorized_credentials", async () => {
      const basic = (user: string, password: string): Record<string, string> => ({
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
      });
      const path = `/v1/b2b/organizations/${organization.organization_id}`;
      expectError(await h.request("GET", path, undefined, basic(h.project.projectId, `${h.secret}x`)), 401, "unauthorized_credentials");
      expectError(await h.request("GET", path, undefined, basic(h.project.projectId, "")), 401, "unauthorized_credentials");
      expectError(await h.request("GET", path, undefined, basic("project-test-00000000-0000-4000-8000-000000000000", h.secret)), 401, "unauthorized_credentials");
      expectError(await h.request("POST", "/v1/b2b/sessions/authenticate", { session_token: session.sessionToken }, basic(h.project.projectId, "wrong")), 401, "unauthorized_credentials");
    });

    it("checks credentials before validating the body", async () => {
      const response = await h.request("POST", "/v1/b2b/organizations", { organization_name: 5 }, { authorization: "" });
      expectError(response, 401, "unauthorized_credentials");
    });

    it("refuses an oversize body without credentials with 413, never a 5xx", async () => {
      const response = await rawRequest(h.baseUrl, "POST", "/v1/b2b/organizations", {
        "content-type": "application/json",
        "content-length": String(600 * 1024),
      }, Buffer.alloc(600 * 1024, 0x20));
      expectError(response, 413, "request_body_too_large");
    });
  });
});
