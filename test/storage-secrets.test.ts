import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startHarness, type Harness } from "./support/harness.js";
import { organizationMemberSession } from "./support/fixtures.js";

/** The raw bytes of the database file and its WAL and shared-memory files, whichever exist. */
function databaseBytes(databasePath: string): Buffer {
  const files = [databasePath, `${databasePath}-wal`, `${databasePath}-shm`].filter((path) => existsSync(path));
  assert.ok(files.includes(databasePath), "the database file exists");
  return Buffer.concat(files.map((path) => readFileSync(path)));
}

describe("secrets at rest", () => {
  let h: Harness;
  let closed = false;
  const secrets: Record<string, string> = {};
  let memberEmail = "";

  before(async () => {
    h = await startHarness();
    const { member, session } = await organizationMemberSession(h, { customClaims: { tenant: "acme" } });
    memberEmail = member.email_address;
    const refreshed = await h.client.sessions.authenticate({ session_token: session.sessionToken, session_custom_claims: { more: 1 } });
    const bootstrapId = `project-test-${randomUUID()}`;
    const bootstrapSecret = `bootstrap-secret-${randomUUID()}`;
    await h.app.services.projects.ensure(bootstrapId, bootstrapSecret);
    const m2m = (await h.client.m2m.clients.create({ scopes: ["read:x"], client_secret: `Imported-${randomUUID()}` })).m2m_client;
    const rotating = (await h.client.m2m.clients.secrets.rotateStart({ client_id: m2m.client_id })).m2m_client;
    const accessToken = (await h.client.m2m.token({ client_id: m2m.client_id, client_secret: rotating.next_client_secret })).access_token;
    Object.assign(secrets, {
      "imported M2M client secret": m2m.client_secret,
      "next M2M client secret": rotating.next_client_secret,
      "M2M access token": accessToken,
      "project secret": h.secret,
      "bootstrap project secret": bootstrapSecret,
      "session token": session.sessionToken,
      "session JWT": session.sessionJwt,
      "session JWT signature": session.sessionJwt.split(".")[2]!,
      "refreshed session JWT": refreshed.session_jwt,
    });
  });
  after(async () => {
    if (closed) rmSync(h.directory, { recursive: true, force: true });
    else await h.close();
  });

  function assertNoSecretIn(bytes: Buffer): void {
    assert.ok(bytes.includes(Buffer.from(memberEmail)), "sanity: ordinary data is readable in these bytes");
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(value.length >= 16, `${name} is a real value`);
      assert.equal(bytes.includes(Buffer.from(value, "utf8")), false, `the ${name} is stored raw`);
    }
  }

  it("keeps no project secret, session token or JWT in the database or its WAL while the server runs", () => {
    assertNoSecretIn(databaseBytes(h.databasePath));
  });

  it("keeps none of them in the database file after the server closes", async () => {
    await h.app.close();
    closed = true;
    assertNoSecretIn(databaseBytes(h.databasePath));
  });
});
