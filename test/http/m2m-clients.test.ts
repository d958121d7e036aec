/**
 * M2M through the official Node SDK (`client.m2m`): client management, search, secret rotation,
 * `m2m.token` and local `m2m.authenticateToken` against Tessera's JWKS, and the cross-use
 * refusals between M2M access tokens and member session JWTs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { FakeClock, startHarness, type Harness } from "../support/harness.js";

async function rejectsWith(call: Promise<unknown>, status: number, errorType: string): Promise<void> {
  await assert.rejects(call, (error: { status_code?: number; error_type?: string; message?: string }) => {
    assert.equal(error.error_type, errorType, error.message);
    assert.equal(error.status_code, status);
    return true;
  });
}

describe("M2M clients and tokens through the official Node SDK", () => {
  let h: Harness;
  // Starts at the real time (the SDK checks exp against its own clock); tests move it for expiry.
  const clock = new FakeClock(Date.now());

  before(async () => {
    h = await startHarness({ clock });
  });
  after(() => h.close());

  const create = (scopes: string[], extra: Record<string, unknown> = {}) => h.client.m2m.clients.create({ scopes, ...extra });

  describe("client management", () => {
    it("creates a client: generated id and secret, the secret shown once, its last four kept", async () => {
      const created = await create(["read:users", "write:users"], { client_name: "Billing", client_description: "nightly job", trusted_metadata: { team: "billing" } });
      const client = created.m2m_client;
      assert.match(client.client_id, /^m2m-client-test-[0-9a-f-]{36}$/);
      assert.match(client.client_secret, /^secret-test-[A-Za-z0-9_-]{48}$/);
      assert.equal(client.client_secret_last_four, client.client_secret.slice(-4));
      assert.deepEqual(
        { ...client, client_id: "", client_secret: "", client_secret_last_four: "" },
        { client_id: "", client_secret: "", client_secret_last_four: "", client_name: "Billing", client_description: "nightly job", status: "active", scopes: ["read:users", "write:users"], next_client_secret_last_four: null, trusted_metadata: { team: "billing" } },
      );
      const got = (await h.client.m2m.clients.get({ client_id: client.client_id })).m2m_client as unknown as Record<string, unknown>;
      assert.equal("client_secret" in got, false);
      assert.deepEqual(Object.keys(got).sort(), ["client_description", "client_id", "client_name", "client_secret_last_four", "next_client_secret_last_four", "scopes", "status", "trusted_metadata"]);
      assert.equal(got.client_secret_last_four, client.client_secret.slice(-4));
    });

    it("imports a client_id and client_secret, and refuses a taken client_id with duplicate_m2m_client_id", async () => {
      const imported = await create(["read:x"], { client_id: "legacy-billing.v1", client_secret: "Xk9#vQ2!mR7$wL4pZ8@t" });
      assert.equal(imported.m2m_client.client_id, "legacy-billing.v1");
      assert.equal(imported.m2m_client.client_secret, "Xk9#vQ2!mR7$wL4pZ8@t");
      const token = await h.client.m2m.token({ client_id: "legacy-billing.v1", client_secret: "Xk9#vQ2!mR7$wL4pZ8@t" });
      assert.equal(token.token_type, "bearer");
      await rejectsWith(create(["read:x"], { client_id: "legacy-billing.v1" }), 409, "duplicate_m2m_client_id");
    });

    it("refuses weak, malformed and oversized fields with Stytch's error names", async () => {
      await rejectsWith(create(["a"], { client_secret: "short" }), 400, "insecure_m2m_client_secret");
      await rejectsWith(create(["a"], { client_secret: "password123" }), 400, "insecure_m2m_client_secret");
      await rejectsWith(create(["a"], { client_secret: "aaaaaaaaaaaaaaaa" }), 400, "insecure_m2m_client_secret");
      await rejectsWith(create(["a"], { client_secret: "has space in it but long enough" }), 400, "m2m_client_invalid_client_secret");
      await rejectsWith(create(["a"], { client_secret: "x".repeat(257) }), 400, "m2m_client_invalid_client_secret");
      await rejectsWith(create(["a"], { client_id: "has:colon" }), 400, "m2m_client_invalid_client_id");
      await rejectsWith(create(["a"], { client_id: "" }), 400, "m2m_client_invalid_client_id");
      await rejectsWith(create(["a"], { client_id: "x".repeat(129) }), 400, "m2m_client_invalid_client_id");
      await rejectsWith(create(["a"], { client_name: "n".repeat(129) }), 400, "m2m_client_invalid_client_name");
      await rejectsWith(create(["a"], { client_description: "d".repeat(1025) }), 400, "m2m_client_invalid_client_description");
      await rejectsWith(create(["read users"]), 400, "invalid_m2m_client_scope");
      await rejectsWith(create([""]), 400, "invalid_m2m_client_scope");
      await rejectsWith(create(["s".repeat(129)]), 400, "invalid_m2m_client_scope");
      await rejectsWith(create([7 as unknown as string]), 400, "invalid_m2m_client_scope");
      await rejectsWith(create(Array.from({ length: 101 }, (_, i) => `scope:${i}`)), 400, "too_many_m2m_client_scopes");
      await rejectsWith(h.client.m2m.clients.create({} as never), 400, "missing_required_field");
    });

    it("updates only the fields given; a bad status is m2m_client_invalid_status; unknown ids are m2m_client_not_found", async () => {
      const { client_id } = (await create(["a", "b"], { client_name: "before", client_description: "keep" })).m2m_client;
      const updated = (await h.client.m2m.clients.update({ client_id, client_name: "after", scopes: ["b", "c", "b"] })).m2m_client;
      assert.deepEqual([updated.client_name, updated.client_description, updated.scopes, updated.status], ["after", "keep", ["b", "c"], "active"]);
      const inactive = (await h.client.m2m.clients.update({ client_id, status: "inactive", trusted_metadata: { k: 1 } })).m2m_client;
      assert.deepEqual([inactive.status, inactive.trusted_metadata, inactive.client_name], ["inactive", { k: 1 }, "after"]);
      await rejectsWith(h.client.m2m.clients.update({ client_id, status: "paused" }), 400, "m2m_client_invalid_status");
      await rejectsWith(h.client.m2m.clients.update({ client_id, scopes: ["no spaces"] }), 400, "invalid_m2m_client_scope");
      await rejectsWith(h.client.m2m.clients.update({ client_id: "m2m-client-test-missing", client_name: "x" }), 404, "m2m_client_not_found");
      await rejectsWith(h.client.m2m.clients.get({ client_id: "m2m-client-test-missing" }), 404, "m2m_client_not_found");
    });

    it("deletes a client; it is then not found", async () => {
      const { client_id } = (await create(["a"])).m2m_client;
      assert.equal((await h.client.m2m.clients.delete({ client_id })).client_id, client_id);
      await rejectsWith(h.client.m2m.clients.get({ client_id }), 404, "m2m_client_not_found");
      await rejectsWith(h.client.m2m.clients.delete({ client_id }), 404, "m2m_client_not_found");
    });
  });

  describe("search", () => {
    let project: Awaited<ReturnType<Harness["otherProject"]>>;
    const ids: string[] = [];
    before(async () => {
      project = await h.otherProject();
      for (let index = 0; index < 25; index++) {
        const scopes = [index % 2 === 0 ? "read:invoices" : "read:orders", ...(index % 5 === 0 ? ["admin"] : [])];
        ids.push((await project.client.m2m.clients.create({ scopes, client_name: `job-${index % 3}` })).m2m_client.client_id);
      }
    });
    const search = (data: Record<string, unknown>) => project.client.m2m.clients.search(data as never);

    it("pages through every client with limit and cursor, in client id order, with the total", async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await search({ limit: 7, ...(cursor ? { cursor } : {}) });
        assert.equal(page.results_metadata.total, 25);
        seen.push(...page.m2m_clients.map((client) => client.client_id));
        if (!page.results_metadata.next_cursor) break;
        cursor = page.results_metadata.next_cursor;
      }
      assert.deepEqual(seen, [...ids].sort());
      const all = await search({});
      assert.equal(all.m2m_clients.length, 25);
      assert.equal(all.results_metadata.next_cursor, null);
    });

    it("filters by client_id, client_name and scopes, combined with AND and OR", async () => {
      const found = async (operator: "AND" | "OR", operands: { filter_name: string; filter_value: string[] }[]) =>
        (await search({ query: { operator, operands } })).m2m_clients.map((client) => client.client_id).sort();
      assert.deepEqual(await found("AND", [{ filter_name: "client_id", filter_value: [ids[3]!, ids[4]!] }]), [ids[3]!, ids[4]!].sort());
      const job1 = ids.filter((_, index) => index % 3 === 1).sort();
      assert.deepEqual(await found("AND", [{ filter_name: "client_name", filter_value: ["job-1"] }]), job1);
      const admins = ids.filter((_, index) => index % 5 === 0).sort();
      assert.deepEqual(await found("AND", [{ filter_name: "scopes", filter_value: ["admin"] }]), admins);
      const job1Invoices = ids.filter((_, index) => index % 3 === 1 && index % 2 === 0).sort();
      assert.deepEqual(await found("AND", [{ filter_name: "client_name", filter_value: ["job-1"] }, { filter_name: "scopes", filter_value: ["read:invoices"] }]), job1Invoices);
      const job1OrAdmin = ids.filter((_, index) => index % 3 === 1 || index % 5 === 0).sort();
      assert.deepEqual(await found("OR", [{ filter_name: "client_name", filter_value: ["job-1"] }, { filter_name: "scopes", filter_value: ["admin"] }]), job1OrAdmin);
      const page = await search({ query: { operator: "OR", operands: [{ filter_name: "scopes", filter_value: ["read:orders", "admin"] }] }, limit: 3 });
      assert.equal(page.results_metadata.total, ids.filter((_, index) => index % 2 === 1 || index % 5 === 0).length);
      // Another project's clients are invisible.
      assert.deepEqual((await h.client.m2m.clients.search({ query: { operator: "AND", operands: [{ filter_name: "client_id", filter_value: [ids[0]!] }] } } as never)).m2m_clients, []);
    });

    it("refuses malformed queries with the m2m_search_* errors, a limit over 1000 and a forged cursor", async () => {
      const query = (operand: unknown) => search({ query: { operator: "AND", operands: [operand] } });
      await rejectsWith(query({ filter_value: ["x"] }), 400, "m2m_search_missing_filter_name");
      await rejectsWith(query({ filter_name: 3, filter_value: ["x"] }), 400, "m2m_search_filter_name_must_be_string");
      await rejectsWith(query({ filter_name: "status", filter_value: ["x"] }), 400, "m2m_search_filter_name_not_recognized");
      await rejectsWith(query({ filter_name: "scopes" }), 400, "m2m_search_missing_filter_value");
      await rejectsWith(query({ filter_name: "scopes", filter_value: "admin" }), 400, "m2m_search_expected_array_of_strings");
      await rejectsWith(query({ filter_name: "scopes", filter_value: [1] }), 400, "m2m_search_expected_array_of_strings");
      await rejectsWith(search({ query: { operator: "XOR", operands: [] } }), 400, "invalid_search_query");
      await rejectsWith(search({ limit: 1001 }), 400, "invalid_field_value");
      await rejectsWith(search({ cursor: "not a cursor!" }), 400, "invalid_cursor");
    });
  });

  describe("secret rotation", () => {
    it("start → both secrets mint tokens → complete → only the new one does", async () => {
      const created = (await create(["read:x"])).m2m_client;
      const { client_id, client_secret: oldSecret } = created;
      const started = (await h.client.m2m.clients.secrets.rotateStart({ client_id })).m2m_client;
      const newSecret = started.next_client_secret;
      assert.match(newSecret, /^secret-test-/);
      assert.notEqual(newSecret, oldSecret);
      assert.deepEqual([started.client_secret_last_four, started.next_client_secret_last_four], [oldSecret.slice(-4), newSecret.slice(-4)]);
      assert.equal((await h.client.m2m.clients.get({ client_id })).m2m_client.next_client_secret_last_four, newSecret.slice(-4));
      for (const secret of [oldSecret, newSecret]) assert.equal((await h.client.m2m.token({ client_id, client_secret: secret })).token_type, "bearer");
      await rejectsWith(h.client.m2m.clients.secrets.rotateStart({ client_id }), 400, "m2m_client_already_rotating_secret");
      const completed = (await h.client.m2m.clients.secrets.rotate({ client_id })).m2m_client;
      assert.deepEqual([completed.client_secret_last_four, completed.next_client_secret_last_four], [newSecret.slice(-4), null]);
      assert.equal("next_client_secret" in completed, false);
      await rejectsWith(h.client.m2m.token({ client_id, client_secret: oldSecret }), 401, "invalid_client");
      assert.equal((await h.client.m2m.token({ client_id, client_secret: newSecret })).token_type, "bearer");
      await rejectsWith(h.client.m2m.clients.secrets.rotate({ client_id }), 400, "m2m_client_not_rotating_secret");
    });

    it("cancel discards the next secret and keeps the current one", async () => {
      const { client_id, client_secret } = (await create(["read:x"])).m2m_client;
      await rejectsWith(h.client.m2m.clients.secrets.rotateCancel({ client_id }), 400, "m2m_client_not_rotating_secret");
      const next = (await h.client.m2m.clients.secrets.rotateStart({ client_id })).m2m_client.next_client_secret;
      const cancelled = (await h.client.m2m.clients.secrets.rotateCancel({ client_id })).m2m_client;
      assert.deepEqual([cancelled.client_secret_last_four, cancelled.next_client_secret_last_four], [client_secret.slice(-4), null]);
      await rejectsWith(h.client.m2m.token({ client_id, client_secret: next }), 401, "invalid_client");
      assert.equal((await h.client.m2m.token({ client_id, client_secret })).token_type, "bearer");
      for (const step of [h.client.m2m.clients.secrets.rotateStart, h.client.m2m.clients.secrets.rotate, h.client.m2m.clients.secrets.rotateCancel]) {
        await rejectsWith(step.call(h.client.m2m.clients.secrets, { client_id: "m2m-client-test-missing" }), 404, "m2m_client_not_found");
      }
    });
  });

  describe("tokens and local verification", () => {
    let clientId: string;
    let clientSecret: string;
    before(async () => {
      const created = (await create(["read:users", "write:users", "read:*", "admin"])).m2m_client;
      clientId = created.client_id;
      clientSecret = created.client_secret;
    });

    it("m2m.token then m2m.authenticateToken: claims, header and scopes verified locally against the JWKS", async () => {
      const token = await h.client.m2m.token({ client_id: clientId, client_secret: clientSecret });
      assert.deepEqual([token.token_type, token.expires_in, (token as unknown as { status_code: number }).status_code], ["bearer", 3600, 200]);
      const header = decodeProtectedHeader(token.access_token);
      const jwks = (await (await fetch(`${h.baseUrl}/v1/b2b/sessions/jwks/${h.project.projectId}`)).json()) as { keys: { kid: string }[] };
      assert.deepEqual([header.alg, header.typ], ["RS256", "JWT"]);
      assert.ok(jwks.keys.some((key) => key.kid === header.kid));
      const claims = decodeJwt(token.access_token);
      assert.deepEqual(Object.keys(claims).sort(), ["aud", "exp", "iat", "iss", "jti", "nbf", "scope", "sub"]);
      assert.deepEqual([claims.sub, claims.iss, claims.aud, claims.scope], [clientId, `stytch.com/${h.project.projectId}`, [h.project.projectId], "read:users write:users read:* admin"]);
      assert.equal(claims.iat, claims.nbf);
      assert.equal(claims.exp, claims.iat! + 3600);
      const verified = await h.client.m2m.authenticateToken({ access_token: token.access_token });
      assert.deepEqual(verified, { client_id: clientId, scopes: ["read:users", "write:users", "read:*", "admin"], custom_claims: {} });
    });

    it("required_scopes: action:resource, the * resource wildcard and plain scopes; a missing one throws missing_scopes", async () => {
      const { access_token } = await h.client.m2m.token({ client_id: clientId, client_secret: clientSecret });
      for (const required of [["read:users"], ["write:users", "admin"], ["read:invoices"], ["read:anything", "write:users"]]) {
        assert.equal((await h.client.m2m.authenticateToken({ access_token, required_scopes: required })).client_id, clientId);
      }
      for (const required of [["write:invoices"], ["delete:users"], ["admin:users"]]) {
        await assert.rejects(h.client.m2m.authenticateToken({ access_token, required_scopes: required }), (error: { code?: string }) => error.code === "missing_scopes");
      }
    });

    it("a requested scope subset is granted exactly; an unassigned scope is invalid_scope", async () => {
      const { access_token } = await h.client.m2m.token({ client_id: clientId, client_secret: clientSecret, scopes: ["write:users"] });
      assert.deepEqual((await h.client.m2m.authenticateToken({ access_token })).scopes, ["write:users"]);
      await assert.rejects(h.client.m2m.authenticateToken({ access_token, required_scopes: ["read:users"] }), (error: { code?: string }) => error.code === "missing_scopes");
      await rejectsWith(h.client.m2m.token({ client_id: clientId, client_secret: clientSecret, scopes: ["write:users", "delete:users"] }), 400, "invalid_scope");
      // Scopes are granted verbatim: holding read:* does not let a client ask for read:users as a new scope string.
      await rejectsWith(h.client.m2m.token({ client_id: clientId, client_secret: clientSecret, scopes: ["read:orders"] }), 400, "invalid_scope");
    });

    it("an expired token is refused locally", async () => {
      clock.current = Date.now() - 2 * 3600 * 1000;
      const { access_token } = await h.client.m2m.token({ client_id: clientId, client_secret: clientSecret });
      clock.current = Date.now();
      await assert.rejects(h.client.m2m.authenticateToken({ access_token }), (error: { code?: string }) => error.code === "jwt_invalid");
    });

    it("deactivating or deleting a client refuses new tokens but does not revoke issued ones", async () => {
      const { client_id, client_secret } = (await create(["read:x"])).m2m_client;
      const issued = (await h.client.m2m.token({ client_id, client_secret })).access_token;
      await h.client.m2m.clients.update({ client_id, status: "inactive" });
      await rejectsWith(h.client.m2m.token({ client_id, client_secret }), 401, "invalid_client");
      assert.equal((await h.client.m2m.authenticateToken({ access_token: issued })).client_id, client_id);
      await h.client.m2m.clients.update({ client_id, status: "active" });
      const second = (await h.client.m2m.token({ client_id, client_secret })).access_token;
      await h.client.m2m.clients.delete({ client_id });
      await rejectsWith(h.client.m2m.token({ client_id, client_secret }), 401, "invalid_client");
      assert.equal((await h.client.m2m.authenticateToken({ access_token: second })).client_id, client_id);
    });
  });

  describe("cross-use refusals", () => {
    let accessToken: string;
    let sessionJwt: string;
    before(async () => {
      const { client_id, client_secret } = (await create(["read:users"])).m2m_client;
      accessToken = (await h.client.m2m.token({ client_id, client_secret })).access_token;
      const organization = await h.app.services.organizations.create(h.project, { organization_name: "Cross use" });
      const member = (await h.app.services.members.create(h.project, organization.organizationId, { email_address: "cross@example.com" })).member;
      const started = await h.app.services.sessions.start(h.project, organization, member, [
        { type: "magic_link", delivery_method: "email", last_authenticated_at: new Date(clock.now()).toISOString(), email_factor: { email_id: member.emailId, email_address: member.emailAddress } },
      ]);
      sessionJwt = started.sessionJwt;
    });

    it("an M2M access token never passes sessions/authenticate nor sessions.authenticateJwt", async () => {
      await rejectsWith(h.client.sessions.authenticate({ session_jwt: accessToken }), 404, "session_not_found");
      // Local verification fails (no session claim), so the SDK asks the server, which refuses.
      await rejectsWith(h.client.sessions.authenticateJwt({ session_jwt: accessToken }), 404, "session_not_found");
    });

    it("a member session JWT never passes m2m.authenticateToken", async () => {
      assert.equal((await h.client.sessions.authenticateJwt({ session_jwt: sessionJwt })).member_session.member_id !== "", true);
      // The SDK throws (the session JWT has no scope claim), with and without required scopes.
      await assert.rejects(h.client.m2m.authenticateToken({ access_token: sessionJwt }));
      await assert.rejects(h.client.m2m.authenticateToken({ access_token: sessionJwt, required_scopes: ["read:users"] }));
    });

    it("a session can never be given a scope claim (it would pass the SDK's local M2M check)", async () => {
      await rejectsWith(h.client.sessions.authenticate({ session_jwt: sessionJwt, session_custom_claims: { scope: "read:users" } }), 400, "reserved_claims_in_custom_claims");
    });

    it("a token for project A is refused for project B, and A's client cannot get a token from B", async () => {
      const other = await h.otherProject();
      await assert.rejects(other.client.m2m.authenticateToken({ access_token: accessToken }), (error: { code?: string }) => error.code === "jwt_invalid");
      const { client_id, client_secret } = (await create(["read:users"])).m2m_client;
      await rejectsWith(other.client.m2m.token({ client_id, client_secret }), 401, "invalid_client");
      const theirs = (await other.client.m2m.clients.create({ scopes: ["read:users"] })).m2m_client;
      const theirToken = (await other.client.m2m.token({ client_id: theirs.client_id, client_secret: theirs.client_secret })).access_token;
      assert.equal((await other.client.m2m.authenticateToken({ access_token: theirToken })).client_id, theirs.client_id);
      await assert.rejects(h.client.m2m.authenticateToken({ access_token: theirToken }), (error: { code?: string }) => error.code === "jwt_invalid");
    });
  });
});
