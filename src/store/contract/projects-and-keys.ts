/**
 * @module Store contract: projects and signing keys (first keys, rotation, dropping old retired keys).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SigningKey } from "../../domain/types.js";
import { HOUR, T0, project, rejectsWithConflict, signingKey, uid } from "./fixtures.js";
import { freshStore, type StoreFactory } from "./harness.js";

const byKid = (keys: SigningKey[]): Map<string, SigningKey> => new Map(keys.map((key) => [key.kid, key]));

export function projectsAndKeysContract(makeStore: StoreFactory): void {
  describe("projects", () => {
    const store = freshStore(makeStore);

    it("insertProject then findProject returns it exactly (bytes, epoch ms)", async () => {
      const p = project({ environment: "live", name: "Zoë's project", createdAt: T0 + 999 });
      await store().insertProject(p);
      const found = await store().findProject(p.projectId);
      assert.deepEqual(found, p);
      assert.ok(Buffer.isBuffer(found?.secretHash));
    });

    it("findProject of an unknown id is null", async () => {
      assert.equal(await store().findProject(uid("project-test")), null);
    });

    it("a second project with the same id is a StoreConflict on project_id", async () => {
      const p = project();
      await store().insertProject(p);
      await rejectsWithConflict(store().insertProject({ ...p, name: "again" }), "project_id");
      assert.equal((await store().findProject(p.projectId))?.name, p.name);
    });

    it("setProjectSecretHash replaces the hash and nothing else", async () => {
      const p = project();
      await store().insertProject(p);
      const replacement = Buffer.from([0, 0, 0, 1, 2, 3, 255]);
      await store().setProjectSecretHash(p.projectId, replacement);
      assert.deepEqual(await store().findProject(p.projectId), { ...p, secretHash: replacement });
    });

    it("setProjectSecretHash of an unknown project creates nothing", async () => {
      const before = await store().countProjects();
      const id = uid("project-test");
      await store().setProjectSecretHash(id, Buffer.from([1]));
      assert.equal(await store().findProject(id), null);
      assert.equal(await store().countProjects(), before);
    });

    it("countProjects and listProjectIds see every project, listed by creation time", async () => {
      const before = await store().countProjects();
      const created = [project({ createdAt: T0 + 30 * HOUR }), project({ createdAt: T0 + 10 * HOUR }), project({ createdAt: T0 + 20 * HOUR })];
      for (const p of created) await store().insertProject(p);
      assert.equal(await store().countProjects(), before + 3);
      const ids = await store().listProjectIds();
      assert.equal(ids.length, before + 3);
      const ours = ids.filter((id) => created.some((p) => p.projectId === id));
      assert.deepEqual(ours, [created[1]!.projectId, created[2]!.projectId, created[0]!.projectId]);
    });
  });

  describe("signing keys", () => {
    const store = freshStore(makeStore);

    async function projectWithKeys(): Promise<{ projectId: string; current: SigningKey; next: SigningKey }> {
      const p = project();
      await store().insertProject(p);
      const current = signingKey(p.projectId, "current", { createdAt: T0, activatedAt: T0 + 5 });
      const next = signingKey(p.projectId, "next", { createdAt: T0 + 1 });
      await store().insertSigningKeys([current, next]);
      return { projectId: p.projectId, current, next };
    }

    it("listSigningKeys of a project without keys (or an unknown project) is empty", async () => {
      const p = project();
      await store().insertProject(p);
      assert.deepEqual(await store().listSigningKeys(p.projectId), []);
      assert.deepEqual(await store().listSigningKeys(uid("project-test")), []);
    });

    it("insertSigningKeys stores keys exactly, listed by creation time, per project", async () => {
      const { projectId, current, next } = await projectWithKeys();
      const retired = signingKey(projectId, "retired", { createdAt: T0 - HOUR, activatedAt: T0 - HOUR + 1, retiredAt: T0 - 1 });
      await store().insertSigningKeys([retired]);
      assert.deepEqual(await store().listSigningKeys(projectId), [retired, current, next]);
      const other = await projectWithKeys();
      assert.deepEqual(await store().listSigningKeys(other.projectId), [other.current, other.next]);
    });

    it("insertSigningKeys leaves keys with existing kids alone and adds the others", async () => {
      const { projectId, current, next } = await projectWithKeys();
      const added = signingKey(projectId, "retired", { createdAt: T0 + 2 });
      await store().insertSigningKeys([{ ...current, state: "retired", privateKeyPem: "replaced" }, added]);
      assert.deepEqual(await store().listSigningKeys(projectId), [current, next, added]);
    });

    it("insertSigningKeys([]) does nothing", async () => {
      const { projectId, current, next } = await projectWithKeys();
      await store().insertSigningKeys([]);
      assert.deepEqual(await store().listSigningKeys(projectId), [current, next]);
    });

    it("insertSigningKeys is all or nothing: a failing key leaves none of the batch", async () => {
      const p = project();
      await store().insertProject(p);
      const good = signingKey(p.projectId, "current");
      const orphan = signingKey(uid("project-missing"), "next");
      await assert.rejects(store().insertSigningKeys([good, orphan]));
      assert.deepEqual(await store().listSigningKeys(p.projectId), []);
    });

    it("insertFirstSigningKeys gives a project without keys its keys and says so; otherwise it writes nothing", async () => {
      const p = project();
      await store().insertProject(p);
      const current = signingKey(p.projectId, "current", { createdAt: T0 });
      const next = signingKey(p.projectId, "next", { createdAt: T0 + 1 });
      assert.equal(await store().insertFirstSigningKeys([current, next]), true);
      assert.deepEqual(await store().listSigningKeys(p.projectId), [current, next]);
      const late = [signingKey(p.projectId, "current", { createdAt: T0 + 2 }), signingKey(p.projectId, "next", { createdAt: T0 + 3 })];
      assert.equal(await store().insertFirstSigningKeys(late), false);
      assert.deepEqual(await store().listSigningKeys(p.projectId), [current, next]);
      assert.equal(await store().insertFirstSigningKeys([]), false);
      const other = await projectWithKeys();
      assert.equal(await store().insertFirstSigningKeys([signingKey(other.projectId, "current")]), false);
      assert.deepEqual(await store().listSigningKeys(other.projectId), [other.current, other.next]);
      await assert.rejects(store().insertFirstSigningKeys([signingKey(uid("project-missing"), "current")]));
    });

    it("rotateSigningKeys: next starts signing, current retires, the new next is published", async () => {
      const { projectId, current, next } = await projectWithKeys();
      const now = T0 + HOUR + 17;
      const newNext = signingKey(projectId, "next", { createdAt: now });
      await store().rotateSigningKeys(projectId, newNext, now, now - 24 * HOUR);
      const keys = byKid(await store().listSigningKeys(projectId));
      assert.equal(keys.size, 3);
      assert.deepEqual(keys.get(current.kid), { ...current, state: "retired", retiredAt: now });
      assert.deepEqual(keys.get(next.kid), { ...next, state: "current", activatedAt: now });
      assert.deepEqual(keys.get(newNext.kid), newNext);
    });

    it("rotateSigningKeys drops retired keys retired before the cutoff and keeps the rest", async () => {
      const { projectId, current, next } = await projectWithKeys();
      const cutoff = T0 + 10 * HOUR;
      const old = signingKey(projectId, "retired", { createdAt: T0 - 3, retiredAt: cutoff - 1 });
      const atCutoff = signingKey(projectId, "retired", { createdAt: T0 - 2, retiredAt: cutoff });
      const recent = signingKey(projectId, "retired", { createdAt: T0 - 1, retiredAt: cutoff + 1 });
      await store().insertSigningKeys([old, atCutoff, recent]);
      const now = T0 + 20 * HOUR;
      const newNext = signingKey(projectId, "next", { createdAt: now });
      await store().rotateSigningKeys(projectId, newNext, now, cutoff);
      const kids = (await store().listSigningKeys(projectId)).map((key) => key.kid);
      assert.deepEqual(kids.sort(), [atCutoff.kid, recent.kid, current.kid, next.kid, newNext.kid].sort());
    });

    it("two rotations in a row retire both earlier signing keys", async () => {
      const { projectId, current, next } = await projectWithKeys();
      const first = signingKey(projectId, "next", { createdAt: T0 + HOUR });
      const second = signingKey(projectId, "next", { createdAt: T0 + 2 * HOUR });
      await store().rotateSigningKeys(projectId, first, T0 + HOUR, T0 - HOUR);
      await store().rotateSigningKeys(projectId, second, T0 + 2 * HOUR, T0 - HOUR);
      const keys = byKid(await store().listSigningKeys(projectId));
      assert.deepEqual(
        [...keys.values()].map((key) => [key.kid, key.state, key.activatedAt, key.retiredAt]),
        [
          [current.kid, "retired", current.activatedAt, T0 + HOUR],
          [next.kid, "retired", T0 + HOUR, T0 + 2 * HOUR],
          [first.kid, "current", T0 + 2 * HOUR, null],
          [second.kid, "next", null, null],
        ],
      );
    });

    it("rotateSigningKeys leaves other projects' keys alone", async () => {
      const rotated = await projectWithKeys();
      const other = await projectWithKeys();
      await store().rotateSigningKeys(rotated.projectId, signingKey(rotated.projectId, "next"), T0 + HOUR, T0 + HOUR);
      assert.deepEqual(await store().listSigningKeys(other.projectId), [other.current, other.next]);
    });

    it("a rotation that fails part-way changes nothing", async () => {
      const { projectId, current, next } = await projectWithKeys();
      const old = signingKey(projectId, "retired", { createdAt: T0 - 1, retiredAt: T0 - HOUR });
      await store().insertSigningKeys([old]);
      // The new key names a project that does not exist: its insert, the last step, fails.
      const orphan = signingKey(uid("project-missing"), "next");
      await assert.rejects(store().rotateSigningKeys(projectId, orphan, T0 + HOUR, T0));
      assert.deepEqual(await store().listSigningKeys(projectId), [old, current, next]);
    });
  });
}
