/**
 * @module What an adapter gives the store contract (a factory of stores on fresh databases) and
 * the per-group hook that opens, migrates and cleans up one such store.
 */
import { after, before } from "node:test";
import type { Store } from "../store.js";

/** One store on a fresh, empty database that nothing else uses. The suite migrates it. */
export interface StoreHandle {
  store: Store;
  /** Closes the store and removes the database (file, schema). */
  cleanup(): Promise<void>;
  /**
   * Opens another store on the same database, as a second node would: not migrated by this call,
   * and closed by whoever opened it. Without it, the multi-node cases are skipped with a reason.
   */
  reopen?(): Promise<Store>;
}

export type StoreFactory = () => Promise<StoreHandle>;

export interface StoreContractOptions {
  /**
   * Resolves to (or rejects while opening) a store whose database cannot be reached or used.
   * Without it, the StoreUnavailable case is skipped with a reason.
   */
  unreachable?: () => Promise<Store>;
}

/**
 * Registers before/after hooks in the calling `describe` that give the group its own migrated
 * store on a fresh database, and returns an accessor for it (valid inside tests).
 */
export function freshStore(makeStore: StoreFactory): () => Store {
  let handle: StoreHandle | undefined;
  before(async () => {
    handle = await makeStore();
    await handle.store.migrate();
  });
  after(async () => {
    await handle?.cleanup();
  });
  return () => {
    if (!handle) throw new Error("the store is opened in before(); use it inside tests only");
    return handle.store;
  };
}

/**
 * Like `freshStore`, but several stores on the one fresh database, as several nodes would have:
 * the first is migrated, the others come from `reopen()`. An adapter without `reopen()` gets the
 * one store `count` times (the cases still race calls, only not across connections).
 */
export function freshNodes(makeStore: StoreFactory, count: number): () => Store[] {
  let handle: StoreHandle | undefined;
  const nodes: Store[] = [];
  before(async () => {
    handle = await makeStore();
    await handle.store.migrate();
    nodes.push(handle.store);
    for (let index = 1; index < count; index++) nodes.push(handle.reopen ? await handle.reopen() : handle.store);
  });
  after(async () => {
    for (const node of nodes.slice(1)) if (node !== handle?.store) await node.close();
    await handle?.cleanup();
  });
  return () => {
    if (!handle) throw new Error("the stores are opened in before(); use them inside tests only");
    return nodes;
  };
}
