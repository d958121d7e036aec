import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Organization } from "../../src/domain/types.js";
import { FakeClock, startHarness, type Harness } from "../support/harness.js";
import { latestMessage } from "./login-helpers.js";

/** Counts of HTTP statuses among `responses`. */
function statuses(responses: { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of responses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe("logins under concurrent requests", () => {
  const clock = new FakeClock();
  let h: Harness;
  let org: Organization;

  before(async () => {
    h = await startHarness({ clock });
    org = await h.app.services.organizations.create(h.project, {
      organization_name: "Race",
      organization_slug: "race",
      email_jit_provisioning: "RESTRICTED",
      email_allowed_domains: ["race.test"],
    });
  });
  after(() => h.close());

  it("a magic link token authenticates exactly once however many requests race for it", async () => {
    await h.client.magicLinks.email.loginOrSignup({ organization_id: "race", email_address: "one@race.test" });
    const { magic_links_token } = await latestMessage(h, "one@race.test");
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => h.request("POST", "/v1/b2b/magic_links/authenticate", { magic_links_token })),
    );
    assert.deepEqual(statuses(responses), { 200: 1, 401: 11 });
    for (const response of responses.filter((r) => r.status === 401)) assert.equal(response.body.error_type, "unable_to_auth_magic_link");
  });

  it("parallel wrong email codes spend at most the code's five attempts; the right code is then refused", async () => {
    const email = "two@race.test";
    await h.app.services.members.create(h.project, org.organizationId, { email_address: email });
    await h.client.otps.email.loginOrSignup({ organization_id: "race", email_address: email });
    const { code } = await latestMessage(h, email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    const responses = await Promise.all(
      Array.from({ length: 9 }, () =>
        h.request("POST", "/v1/b2b/otps/email/authenticate", { organization_id: "race", email_address: email, code: wrong }),
      ),
    );
    const counts = statuses(responses);
    assert.equal(counts[404], 5, JSON.stringify(counts));
    assert.equal(counts[401], 4, JSON.stringify(counts));
    const right = await h.request("POST", "/v1/b2b/otps/email/authenticate", { organization_id: "race", email_address: email, code });
    assert.equal(right.status, 401);
    assert.equal(right.body.error_type, "unable_to_auth_otp_code");
  });

  it("parallel password guesses cannot exceed the window's ten attempts", async () => {
    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        h.request("POST", "/v1/b2b/passwords/authenticate", { organization_id: "race", email_address: "three@race.test", password: `guess-${i}` }),
      ),
    );
    assert.deepEqual(statuses(responses), { 401: 10, 429: 6 });
  });
});
