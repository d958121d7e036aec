import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startHarness, type Harness } from "../support/harness.js";

describe("GET /metrics", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("counts requests per route pattern and status, with latency, outbox depth and pool figures", async () => {
    const organization = await h.client.organizations.create({ organization_name: "Metered" });
    await h.client.organizations.get({ organization_id: organization.organization.organization_id });
    await h.request("GET", "/v1/b2b/organizations/organization-test-00000000-0000-4000-8000-000000000000");
    const response = await fetch(`${h.baseUrl}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /tessera_http_requests_total\{method="GET",route="\/v1\/b2b\/organizations\/:organization_id",status="200"\} 1/);
    assert.match(text, /tessera_http_requests_total\{method="GET",route="\/v1\/b2b\/organizations\/:organization_id",status="404"\} 1/);
    assert.match(text, /tessera_http_request_duration_seconds_count\{method="POST",route="\/v1\/b2b\/organizations"\} 1/);
    assert.match(text, /^tessera_outbox_pending_messages \d+$/m);
    assert.match(text, /^tessera_db_pool_connections 1$/m);
    assert.equal(text.includes(organization.organization.organization_id), false, "no ids in labels");
  });
});
