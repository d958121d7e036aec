/**
 * Session exchange driven end to end through the official SDK, with real logins: a magic link
 * read from the test outbox, and a migrated password.
 */
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { after, before, describe, it } from "node:test";
import { FakeClock, startHarness, type Harness } from "../support/harness.js";

const EMAIL = "ada@lovelace.dev";
const PASSWORD = "correct horse battery staple 42!";

describe("session exchange after real logins", () => {
  // Magic-link sends are limited to one per second per address: each test moves the clock on.
  const clock = new FakeClock(Date.now());
  let h: Harness;
  let orgA: string;
  let orgB: string;

  async function magicLinkToken(to: string): Promise<string> {
    const outbox = await h.request("GET", `/v1/test/outbox?to=${encodeURIComponent(to)}`);
    assert.equal(outbox.status, 200);
    const token = outbox.body.messages[0]?.magic_links_token;
    assert.ok(token, "the login email carries a magic link token");
    return token;
  }

  before(async () => {
    h = await startHarness({ clock });
    orgA = (await h.client.organizations.create({ organization_name: "Alpha", organization_slug: "alpha" })).organization.organization_id;
    orgB = (
      await h.client.organizations.create({ organization_name: "Beta", organization_slug: "beta", organization_external_id: "beta-ext" })
    ).organization.organization_id;
    await h.client.organizations.members.create({ organization_id: orgA, email_address: EMAIL });
    await h.client.organizations.members.create({ organization_id: orgB, email_address: EMAIL });
  });
  after(() => h.close());

  for (const [label, ref] of [
    ["id", () => orgB],
    ["slug", () => "beta"],
    ["external id", () => "beta-ext"],
  ] as const) {
    it(`magic-link login to A, then exchange into B by ${label}`, async () => {
      clock.advanceSeconds(2);
      await h.client.magicLinks.email.loginOrSignup({ organization_id: orgA, email_address: EMAIL });
      const login = await h.client.magicLinks.authenticate({ magic_links_token: await magicLinkToken(EMAIL) });
      assert.equal(login.member_authenticated, true);
      assert.equal(login.organization_id, orgA);

      const exchanged = await h.client.sessions.exchange({
        organization_id: ref(),
        session_token: login.session_token,
        session_custom_claims: { plan: "enterprise" },
      });
      assert.equal(exchanged.member_authenticated, true);
      assert.equal(exchanged.organization.organization_id, orgB);

      const authenticated = await h.client.sessions.authenticate({ session_token: exchanged.session_token });
      assert.equal(authenticated.member_session.organization_id, orgB);

      const local = await h.client.sessions.authenticateJwtLocal({ session_jwt: exchanged.session_jwt, current_date: new Date(clock.now()) });
      assert.equal(local.organization_id, orgB);
      assert.equal(local.organization_slug, "beta");
      assert.deepEqual(
        local.authentication_factors.map((factor) => [factor.type, factor.delivery_method]),
        [["magic_link", "email"]],
      );
      assert.deepEqual(local.custom_claims, { plan: "enterprise" });
    });
  }

  it("a password-only session steps up into B with primary_required, and passwords.authenticate with the token finishes it", async () => {
    const hash = bcrypt.hashSync(PASSWORD, 10);
    for (const organization_id of [orgA, orgB]) {
      await h.client.passwords.migrate({ organization_id, email_address: EMAIL, hash, hash_type: "bcrypt" });
    }
    const login = await h.client.passwords.authenticate({ organization_id: orgA, email_address: EMAIL, password: PASSWORD });
    assert.equal(login.member_authenticated, true);

    const exchanged = await h.client.sessions.exchange({ organization_id: orgB, session_token: login.session_token });
    assert.equal(exchanged.member_authenticated, false);
    assert.deepEqual(exchanged.primary_required, { allowed_auth_methods: [] });
    assert.equal(exchanged.member_session, null);
    assert.equal(exchanged.session_jwt, "");

    const finished = await h.client.passwords.authenticate({
      organization_id: orgB,
      email_address: EMAIL,
      password: PASSWORD,
      intermediate_session_token: exchanged.intermediate_session_token,
    });
    assert.equal(finished.member_authenticated, true);
    assert.equal(finished.member_session?.organization_id, orgB);
    assert.equal(finished.intermediate_session_token, "");
    const check = await h.client.sessions.authenticate({ session_token: finished.session_token });
    assert.equal(check.member.member_id, exchanged.member_id);
  });
});
