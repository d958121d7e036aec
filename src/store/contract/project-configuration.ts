/**
 * @module The project-configuration store's promises on every dialect: settings documents
 * replaced whole, public tokens unique across projects and deletable, config-file tokens pruned
 * without touching hand-made ones, organization roles per organization.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SqlProjectConfigurationStore } from "../project-configuration.js";
import { freshStore, type StoreFactory } from "./harness.js";

export function projectConfigurationContract(makeStore: StoreFactory): void {
  describe("project configuration", () => {
    const store = freshStore(makeStore);
    const configuration = () => new SqlProjectConfigurationStore(store().sqlExecutor());

    it("keeps one settings document per project, replaced whole", async () => {
      assert.equal(await configuration().readSettings("project-a"), null);
      await configuration().writeSettings("project-a", '{"v":1}', 1);
      await configuration().writeSettings("project-a", '{"v":2}', 2);
      await configuration().writeSettings("project-b", '{"v":3}', 3);
      assert.equal(await configuration().readSettings("project-a"), '{"v":2}');
      assert.equal(await configuration().readSettings("project-b"), '{"v":3}');
    });

    it("public tokens: unique across projects, listed, deleted, pruned by source", async () => {
      const token = (publicToken: string, projectId: string, source: "config_file" | "api", createdAt: number) => ({ publicToken, projectId, source, createdAt });
      assert.equal(await configuration().insertPublicToken(token("pt-1", "project-a", "config_file", 1)), true);
      assert.equal(await configuration().insertPublicToken(token("pt-1", "project-a", "config_file", 1)), true, "idempotent");
      assert.equal(await configuration().insertPublicToken(token("pt-1", "project-b", "api", 2)), false, "another project's token");
      assert.equal(await configuration().insertPublicToken(token("pt-2", "project-a", "api", 2)), true);
      assert.equal(await configuration().insertPublicToken(token("pt-3", "project-a", "config_file", 3)), true);
      assert.deepEqual((await configuration().listPublicTokens("project-a")).map((t) => t.publicToken), ["pt-1", "pt-2", "pt-3"]);
      await configuration().prunePublicTokens("project-a", "config_file", ["pt-3"]);
      assert.deepEqual((await configuration().listPublicTokens("project-a")).map((t) => [t.publicToken, t.source]), [["pt-2", "api"], ["pt-3", "config_file"]]);
      assert.equal(await configuration().deletePublicToken("project-b", "pt-2"), false, "only the owner deletes");
      assert.equal(await configuration().deletePublicToken("project-a", "pt-2"), true);
      assert.equal(await configuration().findPublicToken("pt-2"), null);
      assert.equal((await configuration().findPublicToken("pt-3"))?.projectId, "project-a");
    });

    it("organization roles per organization", async () => {
      assert.equal(await configuration().readOrganizationRoles("project-a", "org-1"), null);
      await configuration().writeOrganizationRoles("project-a", "org-1", "[1]", 1);
      await configuration().writeOrganizationRoles("project-a", "org-1", "[2]", 2);
      assert.equal(await configuration().readOrganizationRoles("project-a", "org-1"), "[2]");
      assert.equal(await configuration().readOrganizationRoles("project-a", "org-2"), null);
    });
  });
}
