import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AppError } from "../../src/errors.js";
import { FakeClock, startHarness, type Harness } from "../support/harness.js";
import { decodeJwt, expectSdkError, organizationMemberSession } from "../support/fixtures.js";

/** The top-level JWT claims that are neither registered nor Stytch's. */
function customClaimsOf(jwt: string): Record<string, unknown> {
  const { payload } = decodeJwt(jwt);
  const registered = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "https://stytch.com/session", "https://stytch.com/organization"]);
  return Object.fromEntries(Object.entries(payload).filter(([key]) => !registered.has(key)));
}

describe("session custom claims", () => {
  const clock = new FakeClock();
  let h: Harness;
  before(async () => {
    h = await startHarness({ clock });
  });
  after(async () => {
    await h.close();
  });

  it("stores the claims a session starts with and puts them top-level in its JWT", async () => {
    const claims = { tenant: "acme", nested: { level: 2, tags: ["a", "b"] } };
    const { session } = await organizationMemberSession(h, { customClaims: claims });
    assert.deepEqual(customClaimsOf(session.sessionJwt), claims);
    const response = await h.client.sessions.authenticate({ session_token: session.sessionToken });
    assert.deepEqual(response.member_session.custom_claims, claims);
    assert.deepEqual(customClaimsOf(response.session_jwt), claims);
    const local = await h.client.sessions.authenticateJwtLocal({ session_jwt: response.session_jwt, current_date: new Date(clock.now()) });
    assert.deepEqual(local.custom_claims, claims);
  });

  it("merges claims given on authenticate: upserts, null deletes, nested objects merge", async () => {
    const { session } = await organizationMemberSession(h, {
      customClaims: { keep: 1, drop: 2, replace: "old", nested: { x: 1, y: 2 } },
    });
    const expected = { keep: 1, replace: "new", nested: { x: 1, z: 3 }, added: true };
    const response = await h.client.sessions.authenticate({
      session_token: session.sessionToken,
      session_custom_claims: { drop: null, replace: "new", nested: { y: null, z: 3 }, added: true },
    });
    assert.deepEqual(response.member_session.custom_claims, expected);
    assert.deepEqual(customClaimsOf(response.session_jwt), expected);

    const later = await h.client.sessions.authenticate({ session_jwt: response.session_jwt });
    assert.deepEqual(later.member_session.custom_claims, expected, "the merge is stored on the session");
    assert.deepEqual(customClaimsOf(later.session_jwt), expected);
  });

  it("merges claims given with a JWT as with a token", async () => {
    const { session } = await organizationMemberSession(h, { customClaims: { a: 1 } });
    const response = await h.client.sessions.authenticate({ session_jwt: session.sessionJwt, session_custom_claims: { b: 2 } });
    assert.deepEqual(response.member_session.custom_claims, { a: 1, b: 2 });
    assert.deepEqual(customClaimsOf(response.session_jwt), { a: 1, b: 2 });
  });

  it("drops nulls inside a nested object that is new", async () => {
    const { session } = await organizationMemberSession(h);
    const response = await h.client.sessions.authenticate({ session_token: session.sessionToken, session_custom_claims: { o: { x: null, y: 1 } } });
    assert.deepEqual(response.member_session.custom_claims, { o: { y: 1 } });
  });

  for (const reserved of ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]) {
    it(`refuses the reserved claim ${reserved} with 400 reserved_claims_in_custom_claims and leaves the session unchanged`, async () => {
      const { session } = await organizationMemberSession(h, { customClaims: { a: 1 } });
      await expectSdkError(
        h.client.sessions.authenticate({ session_token: session.sessionToken, session_custom_claims: { b: 2, [reserved]: "x" } }),
        400,
        "reserved_claims_in_custom_claims",
      );
      const response = await h.client.sessions.authenticate({ session_token: session.sessionToken });
      assert.deepEqual(response.member_session.custom_claims, { a: 1 });
      assert.equal(decodeJwt(response.session_jwt).payload.sub, session.member.memberId);
    });
  }

  it("refuses names under https://stytch.com/ with 400 stytch_claims_in_custom_claims", async () => {
    const { session } = await organizationMemberSession(h);
    for (const name of ["https://stytch.com/x", "https://stytch.com/session", "https://stytch.com/organization"]) {
      await expectSdkError(
        h.client.sessions.authenticate({ session_jwt: session.sessionJwt, session_custom_claims: { [name]: { id: "forged" } } }),
        400,
        "stytch_claims_in_custom_claims",
      );
    }
  });

  it("refuses claims over 4 KB with 400 custom_claims_too_large", async () => {
    const { session } = await organizationMemberSession(h);
    await expectSdkError(
      h.client.sessions.authenticate({ session_token: session.sessionToken, session_custom_claims: { big: "x".repeat(4100) } }),
      400,
      "custom_claims_too_large",
    );
  });

  it("refuses an update that makes the stored claims exceed 4 KB", async () => {
    const { session } = await organizationMemberSession(h, { customClaims: { first: "x".repeat(3000) } });
    await expectSdkError(
      h.client.sessions.authenticate({ session_token: session.sessionToken, session_custom_claims: { second: "y".repeat(1500) } }),
      400,
      "custom_claims_too_large",
    );
    const response = await h.client.sessions.authenticate({ session_token: session.sessionToken });
    assert.deepEqual(Object.keys(response.member_session.custom_claims ?? {}), ["first"]);
  });

  it("refuses reserved claims when a session is started by the service layer", async () => {
    await assert.rejects(organizationMemberSession(h, { customClaims: { exp: 1 } }), (error: unknown) => {
      return error instanceof AppError && error.errorType === "reserved_claims_in_custom_claims";
    });
  });
});
