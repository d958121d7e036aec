/**
 * @module The store contract: one suite that every Store adapter must pass unchanged. Each
 * `describe` group gets its own migrated store on a fresh database from the adapter's factory.
 * @example
 * runStoreContract("sqlite", async () => {
 *   const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), "contract-")), "t.db"));
 *   return { store, cleanup: () => store.close() };
 * });
 */
import { describe } from "node:test";
import { authenticationConcurrencyContract } from "./authentication-concurrency.js";
import { authenticationContract } from "./authentication.js";
import { concurrencyContract } from "./concurrency.js";
import type { StoreContractOptions, StoreFactory } from "./harness.js";
import { lifecycleContract } from "./lifecycle.js";
import { limitsAndOutboxContract } from "./limits-and-outbox.js";
import { membersContract } from "./members.js";
import { organizationsContract } from "./organizations.js";
import { projectConfigurationContract } from "./project-configuration.js";
import { projectsAndKeysContract } from "./projects-and-keys.js";
import { sessionsContract } from "./sessions.js";
import { sqlExecutorContract } from "./sql-executor.js";
import { m2mClientsContract } from "./m2m-clients.js";
import { oauthRegistrationsContract } from "./oauth-registrations.js";
import { ssoConnectionsContract } from "./sso-connections.js";

export type { StoreContractOptions, StoreFactory, StoreHandle } from "./harness.js";

/** Registers the whole contract for one adapter under `describe("<name> store contract")`. */
export function runStoreContract(name: string, makeStore: StoreFactory, options: StoreContractOptions = {}): void {
  describe(`${name} store contract`, () => {
    lifecycleContract(makeStore, options);
    projectsAndKeysContract(makeStore);
    organizationsContract(makeStore);
    membersContract(makeStore);
    sessionsContract(makeStore);
    authenticationContract(makeStore);
    limitsAndOutboxContract(makeStore);
    concurrencyContract(makeStore);
    authenticationConcurrencyContract(makeStore);
    sqlExecutorContract(makeStore);
    m2mClientsContract(makeStore);
    projectConfigurationContract(makeStore);
    oauthRegistrationsContract(makeStore);
    ssoConnectionsContract(makeStore);
  });
}
