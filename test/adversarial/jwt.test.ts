/**
 * Forged, tampered and malformed session JWTs against every endpoint that takes a `session_jwt`
 * (SEC-JWT-1..5, SEC-JWT-11, SEC-TOK-3, SEC-REV-2): `alg: none`, HS256 keyed with the public key,
 * attacker and foreign keys, header key injection, wrong kid, tampered claims, validly signed
 * tokens with the wrong claims, and structural garbage. Each must be a 4xx with no side effect.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectRefused, send, tally } from "../support/adversarial.js";
import { buildWorld, worldSecrets, type World } from "../support/adversarial-world.js";
import { jwtAttacks, type JwtAttack } from "../support/jwt-attacks.js";

const ENDPOINTS: [string, string, (w: World, jwt: string) => Record<string, unknown>][] = [
  ["exchange", "/v1/b2b/sessions/exchange", (w, jwt) => ({ organization_id: w.orgB.organizationId, session_jwt: jwt })],
  ["authenticate", "/v1/b2b/sessions/authenticate", (_w, jwt) => ({ session_jwt: jwt })],
  ["revoke", "/v1/b2b/sessions/revoke", (_w, jwt) => ({ session_jwt: jwt })],
  ["discovery organizations", "/v1/b2b/discovery/organizations", (_w, jwt) => ({ session_jwt: jwt })],
];

describe("adversarial: session JWTs", () => {
  let w: World;
  let attacks: JwtAttack[] = [];
  before(async () => {
    w = await buildWorld();
    attacks = jwtAttacks(w);
  });
  after(async () => {
    await w.close();
    console.log(`# adversarial jwt: ${tally.cases} refusal cases, ${tally.serverErrors} 5xx`);
  });

  it("the genuine JWT is accepted by every endpoint (the attacks below differ from it only in what they forge)", async () => {
    for (const [name, path, body] of ENDPOINTS) {
      if (name === "revoke") continue;
      const response = await send(w.target, "POST", path, body(w, w.live.jwt));
      assert.equal(response.status, 200, `${name}: ${response.text}`);
    }
  });

  for (const [name, path, body] of ENDPOINTS) {
    // Discovery shares the session resolution of the others: every other attack is enough there.
    const share = name === "discovery organizations" ? 2 : 1;
    it(`${name}: ${share === 1 ? "every" : "every other"} forged or malformed JWT is refused`, async () => {
      assert.ok(attacks.length > 100, `only ${attacks.length} attacks`);
      for (const attack of attacks.filter((_attack, index) => index % share === 0)) {
        const refusal = await expectRefused(w.target, { path, body: body(w, attack.jwt) }, { secrets: worldSecrets(w) }, `${name}: ${attack.label}`);
        assert.ok(
          ["unable_to_parse_session_jwt", "session_not_found", "no_session_arguments", "no_session_revoke_arguments", "invalid_field_value", "bad_request"].includes(String(refusal.error_type)),
          `${name}: ${attack.label} → ${String(refusal.error_type)}`,
        );
      }
    });
  }

  it("the live session is still live and unchanged after every attack", async () => {
    const response = await send(w.target, "POST", "/v1/b2b/sessions/authenticate", { session_token: w.live.token });
    assert.equal(response.status, 200, response.text);
  });
});
