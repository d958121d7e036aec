/**
 * @module Database round trips, counted where they are sent: a process-wide total and, inside a
 * `roundTripScope.run(...)` (one per HTTP request), the count of that scope alone. A count does
 * not depend on load or timing, so tests can pin it and the bench can report it per request.
 * A round trip is one message exchange with the server (a statement, BEGIN or COMMIT); an
 * embedded database (SQLite) has none.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** The round trips of one scope (a request). Work it started in the background still adds to it. */
export class RoundTripTally {
  count = 0;
  /**
   * Rows a store read ahead for this request in a statement it had to send anyway (a session's
   * organization and member), each handed out once instead of a round trip of its own.
   */
  readonly readAhead = new Map<string, unknown>();
  /** Where round trips sent after the scope was reported go (background work it started). */
  late: ((count: number) => void) | null = null;

  add(count: number): void {
    this.count += count;
    this.late?.(count);
  }
}

const currentScope = new AsyncLocalStorage<RoundTripTally>();
let total = 0;

export const roundTrips = {
  /** Called by a store for every message exchange with its database server. */
  note(count = 1): void {
    total += count;
    const tally = currentScope.getStore();
    tally?.add(count);
  },
  /** The caller's tally (null outside a scope), for a round trip sent later on its behalf. */
  currentTally(): RoundTripTally | null {
    return currentScope.getStore() ?? null;
  },
  /** One round trip shared by several scopes (a batch): once in the total, once in each scope. */
  noteShared(tallies: Iterable<RoundTripTally | null>): void {
    total += 1;
    for (const tally of new Set(tallies)) tally?.add(1);
  },
  /**
   * Runs `work` with its own tally; round trips of anything `work` starts are counted in it.
   * With no tally (an embedded database: nothing to count) `work` runs as it is, and async
   * context tracking, which costs every promise a little, is never switched on.
   */
  run<T>(tally: RoundTripTally | null, work: () => T): T {
    return tally ? currentScope.run(tally, work) : work();
  },
  /** Round trips of this process so far. */
  total(): number {
    return total;
  },
};
