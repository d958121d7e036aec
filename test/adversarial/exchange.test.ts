/**
 * Adversarial suite for POST /v1/b2b/sessions/exchange (SEC-IN-1..4, SEC-IN-7, SEC-EX-3, SEC-EX-6,
 * SEC-TOK-3, SEC-TOK-6, SEC-AV-3): every case must be refused with a Stytch-shaped 4xx, leak
 * nothing, write nothing, and leave the process healthy.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectRefused, send, tally } from "../support/adversarial.js";
import { registerBodyCases, registerSchemaCases, type EndpointSpec } from "../support/adversarial-cases.js";
import { buildWorld, worldSecrets, type World } from "../support/adversarial-world.js";

const PATH = "/v1/b2b/sessions/exchange";

export const exchangeSpec: EndpointSpec = {
  name: "exchange",
  path: PATH,
  schema: "sessions-exchange.request",
  valid: (w) => ({
    organization_id: w.orgB.organizationId,
    session_token: w.live.token,
    session_jwt: w.live.jwt,
    session_duration_minutes: 60,
    session_custom_claims: { team: "blue" },
    locale: "en",
    telemetry_id: "device-1",
  }),
  baseFields: ["organization_id", "session_token"],
  exclusive: ["session_token", "session_jwt"],
  identifiers: ["organization_id", "session_token"],
};

describe("adversarial: POST /v1/b2b/sessions/exchange", () => {
  let w: World;
  before(async () => {
    w = await buildWorld();
  });
  after(async () => {
    await w.close();
    console.log(`# adversarial exchange: ${tally.cases} refusal cases, ${tally.serverErrors} 5xx`);
  });

  it("the valid base request succeeds (so every refusal below is due to its mutation)", async () => {
    const response = await send(w.target, "POST", PATH, { organization_id: w.orgB.organizationId, session_token: w.spare.token });
    assert.equal(response.status, 200, response.text);
  });

  registerSchemaCases(exchangeSpec, () => w);
  registerBodyCases(exchangeSpec, () => w);

  describe("semantics", () => {
    const refuse = (label: string, body: () => unknown, status: number, errorType: string, headers?: () => Record<string, string>) =>
      it(label, async () => {
        await expectRefused(w.target, { path: PATH, body: body(), ...(headers ? { headers: headers() } : {}) }, { status, errorType, secrets: worldSecrets(w) }, label);
      });

    refuse("both session_token and session_jwt", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token, session_jwt: w.live.jwt }), 400, "too_many_session_arguments");
    refuse("neither session_token nor session_jwt", () => ({ organization_id: w.orgB.organizationId }), 400, "no_session_arguments");
    refuse("empty session_token and session_jwt", () => ({ organization_id: w.orgB.organizationId, session_token: "", session_jwt: "" }), 400, "no_session_arguments");
    refuse("the session token only in the query string", () => ({ organization_id: w.orgB.organizationId }), 400, "no_session_arguments");
    it("ignores ?session_token= in the URL (SEC-TOK-6)", async () => {
      await expectRefused(
        w.target,
        { path: `${PATH}?session_token=${encodeURIComponent(w.live.token)}&session_jwt=${encodeURIComponent(w.live.jwt)}`, body: { organization_id: w.orgB.organizationId } },
        { status: 400, errorType: "no_session_arguments", secrets: worldSecrets(w) },
        "token in query",
      );
    });
    it("ignores a session token in a header (SEC-TOK-6)", async () => {
      await expectRefused(
        w.target,
        { path: PATH, body: { organization_id: w.orgB.organizationId }, headers: { "x-stytch-member-session": w.live.token, cookie: `stytch_session=${w.live.token}` } },
        { status: 400, errorType: "no_session_arguments" },
        "token in header",
      );
    });
    refuse("a revoked session by token", () => ({ organization_id: w.orgB.organizationId, session_token: w.revoked.token }), 404, "session_not_found");
    refuse("a revoked session by JWT", () => ({ organization_id: w.orgB.organizationId, session_jwt: w.revoked.jwt }), 404, "session_not_found");
    refuse("an expired session by token", () => ({ organization_id: w.orgB.organizationId, session_token: w.expired.token }), 404, "session_not_found");
    refuse("an expired session by JWT", () => ({ organization_id: w.orgB.organizationId, session_jwt: w.expired.jwt }), 404, "session_not_found");
    refuse("another project's session token", () => ({ organization_id: w.orgB.organizationId, session_token: w.other.session.token }), 404, "session_not_found");
    refuse("another project's session JWT", () => ({ organization_id: w.orgB.organizationId, session_jwt: w.other.session.jwt }), 404, "session_not_found");
    refuse("another project's organization id", () => ({ organization_id: w.other.org.organizationId, session_token: w.live.token }), 404, "organization_not_found");
    refuse("an organization-bound intermediate session token as session_token", () => ({ organization_id: w.orgMfa.organizationId, session_token: w.orgIst }), 404, "session_not_found");
    refuse("a discovery intermediate session token as session_token", () => ({ organization_id: w.orgB.organizationId, session_token: w.discoveryIst }), 404, "session_not_found");
    refuse("a consumed intermediate session token as session_token", () => ({ organization_id: w.orgB.organizationId, session_token: w.consumedIst }), 404, "session_not_found");
    refuse("an intermediate session token as session_jwt", () => ({ organization_id: w.orgB.organizationId, session_jwt: w.orgIst }), 400, "unable_to_parse_session_jwt");
    it("the session JWT as session_token (too long for a token, or unknown)", async () => {
      await expectRefused(w.target, { path: PATH, body: { organization_id: w.orgB.organizationId, session_token: w.live.jwt } }, { secrets: worldSecrets(w) }, "JWT as token");
    });
    refuse("the session id as session_token", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.sessionId }), 404, "session_not_found");
    refuse("the SMS passcode as session_token", () => ({ organization_id: w.orgB.organizationId, session_token: w.otpCode }), 404, "session_not_found");
    refuse("the project secret as session_token", () => ({ organization_id: w.orgB.organizationId, session_token: w.h.secret }), 404, "session_not_found");
    refuse("a session token with different case", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token.toUpperCase() }), 404, "session_not_found");
    refuse("a session token with a trailing space", () => ({ organization_id: w.orgB.organizationId, session_token: `${w.live.token} ` }), 404, "session_not_found");
    refuse("a session token spelled as standard base64 (or padded, when the spellings agree)", () => {
      const standard = Buffer.from(w.live.token, "base64url").toString("base64");
      return { organization_id: w.orgB.organizationId, session_token: standard === w.live.token ? `${standard}=` : standard };
    }, 404, "session_not_found");
    refuse("reserved claim sub", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token, session_custom_claims: { sub: "member-test-x" } }), 400, "reserved_claims_in_custom_claims");
    for (const claim of ["iss", "aud", "exp", "nbf", "iat", "jti"]) {
      refuse(`reserved claim ${claim} with a null value`, () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token, session_custom_claims: { [claim]: null } }), 400, "reserved_claims_in_custom_claims");
    }
    refuse("a Stytch claim", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token, session_custom_claims: { "https://stytch.com/session": { id: "x" } } }), 400, "stytch_claims_in_custom_claims");
    refuse("claims of 4097 bytes", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token, session_custom_claims: { k: "x".repeat(4097 - '{"k":""}'.length) } }), 400, "custom_claims_too_large");
    refuse("claims over 4 KiB in multi-byte characters", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token, session_custom_claims: { k: "é".repeat(2100) } }), 400, "custom_claims_too_large");
    refuse("claims too large even on the step-up branch", () => ({ organization_id: w.orgMfa.organizationId, session_token: w.live.token, session_custom_claims: { k: "x".repeat(5000) } }), 400, "custom_claims_too_large");
    refuse("a duplicate session_token key: the last one wins", () => `{"organization_id":"${w.orgB.organizationId}","session_token":"${w.live.token}","session_token":"not-a-token"}`, 404, "session_not_found");
    refuse("a duplicate organization_id key: the last one wins", () => `{"organization_id":"${w.orgB.organizationId}","session_token":"${w.live.token}","organization_id":"no-such-org"}`, 404, "organization_not_found");
    refuse("wrong project secret", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token }), 401, "unauthorized_credentials", () => ({
      authorization: `Basic ${Buffer.from(`${w.h.project.projectId}:${w.other.secret}`).toString("base64")}`,
    }));
    refuse("the other project's credentials with this project's session", () => ({ organization_id: "org-a", session_token: w.live.token }), 404, "session_not_found", () => ({
      authorization: `Basic ${Buffer.from(`${w.other.project.projectId}:${w.other.secret}`).toString("base64")}`,
    }));
    refuse("no credentials", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token }), 401, "unauthorized_credentials", () => ({ authorization: "" }));
    refuse("Bearer instead of Basic", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token }), 401, "unauthorized_credentials", () => ({ authorization: `Bearer ${w.live.token}` }));
    refuse("Basic with garbage", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token }), 401, "unauthorized_credentials", () => ({ authorization: "Basic %%%%" }));
    refuse("Basic with a NUL in the project id", () => ({ organization_id: w.orgB.organizationId, session_token: w.live.token }), 401, "unauthorized_credentials", () => ({
      authorization: `Basic ${Buffer.from(`${w.h.project.projectId}\u0000:${w.h.secret}`).toString("base64")}`,
    }));
    it("GET, PUT and DELETE on the exchange route are refused", async () => {
      for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
        await expectRefused(w.target, { method, path: PATH, ...(method === "GET" ? {} : { body: { organization_id: w.orgB.organizationId, session_token: w.live.token } }) }, {}, `${method} ${PATH}`);
      }
    });
  });

  describe("the step-up branch hands out nothing that authenticates (SEC-EX-6, SEC-REV-5)", () => {
    it("no string of an MFA-branch response works as a session token or JWT anywhere", async () => {
      const response = await send(w.target, "POST", PATH, { organization_id: w.orgMfa.organizationId, session_token: w.spare.token, session_custom_claims: { ignored: true } });
      assert.equal(response.status, 200, response.text);
      const body = JSON.parse(response.text) as Record<string, unknown>;
      assert.equal(body.member_authenticated, false);
      assert.equal(body.session_token, "");
      assert.equal(body.session_jwt, "");
      assert.equal(body.member_session, null);
      await w.h.app.services.delivery.drain();
      const strings = new Set<string>();
      const collect = (value: unknown): void => {
        if (typeof value === "string" && value.length >= 8) strings.add(value);
        else if (value && typeof value === "object") Object.values(value).forEach(collect);
      };
      collect(body);
      assert.ok(strings.has(String(body.intermediate_session_token)));
      for (const value of strings) {
        for (const [path, field] of [
          ["/v1/b2b/sessions/authenticate", "session_token"],
          ["/v1/b2b/sessions/authenticate", "session_jwt"],
          [PATH, "session_token"],
        ] as const) {
          const request = path === PATH ? { organization_id: w.orgB.organizationId, [field]: value } : { [field]: value };
          await expectRefused(w.target, { path, body: request }, {}, `MFA-branch value as ${path} ${field}`);
        }
      }
    });
  });
});
