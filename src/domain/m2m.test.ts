import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  clientIdProblem,
  grantedScopes,
  importedSecretProblem,
  m2mAccessTokenClaims,
  parseM2mSearchQuery,
  readTokenRequest,
  scopesProblem,
} from "./m2m.js";

describe("M2M rules", () => {
  const idCases: [string, string | null][] = [
    ["m2m-client-test-0f8c2f0e-7a0b-4d4b-9a57-4a3f1c0e2b11", null],
    ["legacy.billing_v1~x", null],
    ["", "m2m_client_invalid_client_id"],
    ["has:colon", "m2m_client_invalid_client_id"],
    ["has space", "m2m_client_invalid_client_id"],
    ["ünïcode", "m2m_client_invalid_client_id"],
    ["x".repeat(128), null],
    ["x".repeat(129), "m2m_client_invalid_client_id"],
  ];
  for (const [id, expected] of idCases) it(`client id ${JSON.stringify(id.slice(0, 20))} → ${expected}`, () => assert.equal(clientIdProblem(id), expected));

  const secretCases: [string, string | null][] = [
    ["secret-test-Zk3u5c0nS6w1y2pQxWb-_Vd8rTf7gHj9kLmN0oPqR4s", null],
    ["Xk9#vQ2!mR7$wL4pZ8@t", null],
    ["short", "insecure_m2m_client_secret"],
    ["password", "insecure_m2m_client_secret"],
    ["abcdefgh", "insecure_m2m_client_secret"],
    ["aaaaaaaaaaaaaaaaaaaaaaaa", "insecure_m2m_client_secret"],
    ["with space inside it 9#Kq", "m2m_client_invalid_client_secret"],
    ["tab\there", "m2m_client_invalid_client_secret"],
    ["x".repeat(257), "m2m_client_invalid_client_secret"],
  ];
  for (const [secret, expected] of secretCases) it(`imported secret ${JSON.stringify(secret.slice(0, 20))} → ${expected}`, () => assert.equal(importedSecretProblem(secret), expected));

  const scopeCases: [string[], string | null][] = [
    [[], null],
    [["read:users", "*", "admin", "write:*"], null],
    [["read users"], "invalid_m2m_client_scope"],
    [[""], "invalid_m2m_client_scope"],
    [['say"hi'], "invalid_m2m_client_scope"],
    [["s".repeat(129)], "invalid_m2m_client_scope"],
    [Array.from({ length: 100 }, (_, i) => `s${i}`), null],
    [Array.from({ length: 101 }, (_, i) => `s${i}`), "too_many_m2m_client_scopes"],
    [[...Array.from({ length: 100 }, (_, i) => `s${i}`), "s0"], null],
  ];
  for (const [scopes, expected] of scopeCases) it(`scopes ${JSON.stringify(scopes).slice(0, 30)} (${scopes.length}) → ${expected}`, () => assert.equal(scopesProblem(scopes), expected));

  const grantCases: [string | undefined, string[], ReturnType<typeof grantedScopes>][] = [
    [undefined, ["a", "b:c"], { ok: true, scopes: ["a", "b:c"] }],
    ["", ["a"], { ok: true, scopes: ["a"] }],
    ["  ", ["a"], { ok: true, scopes: ["a"] }],
    ["b:c", ["a", "b:c"], { ok: true, scopes: ["b:c"] }],
    ["b:c  a b:c", ["a", "b:c"], { ok: true, scopes: ["b:c", "a"] }],
    ["b:d", ["a", "b:*"], { ok: false, reason: "invalid_scope" }],
    ["a", [], { ok: false, reason: "invalid_scope" }],
  ];
  for (const [requested, clientScopes, expected] of grantCases) {
    it(`scope ${JSON.stringify(requested)} of ${JSON.stringify(clientScopes)}`, () => assert.deepEqual(grantedScopes(requested, clientScopes), expected));
  }

  const basic = { username: "basic-client", password: "basic-secret" };
  const requestCases: [string, Record<string, unknown>, typeof basic | null, string][] = [
    ["body credentials", { grant_type: "client_credentials", client_id: "c", client_secret: "s" }, null, "ok:c:s"],
    ["body wins over Basic", { grant_type: "client_credentials", client_id: "c", client_secret: "s" }, basic, "ok:c:s"],
    ["Basic when the body names no client", { grant_type: "client_credentials" }, basic, "ok:basic-client:basic-secret"],
    ["Basic when the body's client_id is empty", { grant_type: "client_credentials", client_id: "" }, basic, "ok:basic-client:basic-secret"],
    ["no grant_type", { client_id: "c", client_secret: "s" }, null, "invalid_request"],
    ["other grant", { grant_type: "refresh_token", client_id: "c", client_secret: "s" }, null, "unsupported_grant_type"],
    ["grant_type not a string", { grant_type: ["client_credentials"] }, basic, "invalid_request"],
    ["client_id without a secret", { grant_type: "client_credentials", client_id: "c" }, basic, "invalid_request"],
    ["scope not a string", { grant_type: "client_credentials", client_id: "c", client_secret: "s", scope: 1 }, null, "invalid_request"],
    ["no credentials", { grant_type: "client_credentials" }, null, "invalid_client"],
    ["Basic without a username", { grant_type: "client_credentials" }, { username: "", password: "x" }, "invalid_client"],
  ];
  for (const [label, body, credentials, expected] of requestCases) {
    it(`token request: ${label}`, () => {
      const verdict = readTokenRequest(body, credentials);
      assert.equal(verdict.ok ? `ok:${verdict.grant.clientId}:${verdict.grant.clientSecret}` : verdict.error, expected);
    });
  }

  const queryCases: [unknown, string][] = [
    [undefined, "ok"],
    [{ operator: "AND", operands: [] }, "ok"],
    [{ operator: "OR", operands: [{ filter_name: "scopes", filter_value: ["a", "a"] }] }, "ok"],
    [{ operator: "NOT", operands: [] }, "invalid_search_query"],
    [{ operator: "AND" }, "invalid_search_query"],
    [{ operator: "AND", operands: ["x"] }, "invalid_search_query"],
    [{ operator: "AND", operands: Array.from({ length: 11 }, () => ({ filter_name: "scopes", filter_value: ["a"] })) }, "invalid_search_query"],
    [{ operator: "AND", operands: [{ filter_value: ["a"] }] }, "m2m_search_missing_filter_name"],
    [{ operator: "AND", operands: [{ filter_name: 1, filter_value: ["a"] }] }, "m2m_search_filter_name_must_be_string"],
    [{ operator: "AND", operands: [{ filter_name: "client_secret", filter_value: ["a"] }] }, "m2m_search_filter_name_not_recognized"],
    [{ operator: "AND", operands: [{ filter_name: "client_id" }] }, "m2m_search_missing_filter_value"],
    [{ operator: "AND", operands: [{ filter_name: "client_id", filter_value: [] }] }, "m2m_search_expected_array_of_strings"],
    [{ operator: "AND", operands: [{ filter_name: "client_id", filter_value: Array.from({ length: 1001 }, String) }] }, "m2m_search_expected_array_of_strings"],
  ];
  for (const [query, expected] of queryCases) {
    it(`search query ${JSON.stringify(query)?.slice(0, 60)} → ${expected}`, () => {
      const parsed = parseM2mSearchQuery(query);
      assert.equal(parsed.ok ? "ok" : parsed.reason, expected);
    });
  }
  it("deduplicates filter values", () => {
    const parsed = parseM2mSearchQuery({ operator: "OR", operands: [{ filter_name: "scopes", filter_value: ["a", "a", "b"] }] });
    assert.deepEqual(parsed.ok && parsed.query?.operands[0]?.values, ["a", "b"]);
  });

  it("access token claims: Stytch's set, iat = nbf, an hour of life, no session claim", () => {
    const claims = m2mAccessTokenClaims({ projectId: "project-test-x", clientId: "c", scopes: ["a", "b:c"], nowSeconds: 1_760_000_000, jti: "j" });
    assert.deepEqual(claims, { aud: ["project-test-x"], exp: 1_760_003_600, iat: 1_760_000_000, iss: "stytch.com/project-test-x", jti: "j", nbf: 1_760_000_000, scope: "a b:c", sub: "c" });
  });
});
