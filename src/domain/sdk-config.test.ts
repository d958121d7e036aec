/** @module Table-driven tests of the frontend SDK configuration rules. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SDK_CONFIG, isAuthorizedOrigin, parseSdkConfig, requestOrigin, sessionDurationAllowed } from "./sdk-config.js";

test("parseSdkConfig: defaults, valid keys, and every problem listed", () => {
  assert.deepEqual(parseSdkConfig(undefined), { ok: true, config: DEFAULT_SDK_CONFIG });
  const parsed = parseSdkConfig({ enabled_products: ["passwords"], create_organization_enabled: true, member_actions_enabled: true, max_session_duration_minutes: 60, pkce_required: true });
  assert.deepEqual(parsed, { ok: true, config: { enabledProducts: ["passwords"], createOrganizationEnabled: true, memberActionsEnabled: true, maxSessionDurationMinutes: 60, pkceRequired: true } });
  for (const [raw, count] of [
    [[], 1],
    [{ enabled_products: ["fax"] }, 1],
    [{ pkce_required: "yes", max_session_duration_minutes: 2, unknown: 1 }, 3],
  ] as const) {
    const result = parseSdkConfig(raw);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.problems.length, count, JSON.stringify(result.problems));
  }
});

test("origins: Origin first, X-SDK-Parent-Host as fallback, same-origin match", () => {
  const cases: [string | undefined, string | undefined, string[], boolean][] = [
    ["http://localhost:3000", undefined, ["http://localhost:3000"], true],
    ["http://localhost:3001", undefined, ["http://localhost:3000"], false],
    ["https://app.example.com:443", undefined, ["https://app.example.com"], true],
    [undefined, "http://localhost:3000", ["http://localhost:3000/"], true],
    [undefined, undefined, ["http://localhost:3000"], false],
    ["null", undefined, ["null"], false],
    ["http://evil.localhost:3000", undefined, ["http://localhost:3000"], false],
  ];
  for (const [origin, parent, list, expected] of cases) assert.equal(isAuthorizedOrigin(requestOrigin(origin, parent), list), expected, `${origin} ${parent}`);
});

test("sessionDurationAllowed", () => {
  assert.equal(sessionDurationAllowed(undefined, 60), true);
  assert.equal(sessionDurationAllowed(60, 60), true);
  assert.equal(sessionDurationAllowed(61, 60), false);
});
