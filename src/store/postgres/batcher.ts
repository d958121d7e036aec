/**
 * @module Batches of small writes sent to PostgreSQL as one statement: items added in one turn
 * of the event loop (and, for `oneAtATime`, while the previous batch is on its way) share one
 * round trip. The database's counterpart of SQLite's group commit.
 */
export class StatementBatcher<T> {
  private pending: T[] = [];
  private inFlight = 0;

  constructor(
    /** Sends one batch; must settle every item itself (it is never retried here). */
    private readonly send: (items: T[]) => Promise<void>,
    private readonly options: { maxItems: number; oneAtATime: boolean },
  ) {}

  add(item: T): void {
    this.pending.push(item);
    if (this.pending.length === 1 && !this.blocked()) setImmediate(() => void this.drain());
  }

  /** Resolves once everything added so far has been sent (before the pool closes). */
  async idle(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  private blocked(): boolean {
    return this.options.oneAtATime && this.inFlight > 0;
  }

  private async drain(): Promise<void> {
    if (this.blocked() || this.pending.length === 0) return;
    const items = this.pending.splice(0, this.options.maxItems);
    if (this.pending.length > 0 && !this.options.oneAtATime) setImmediate(() => void this.drain());
    this.inFlight++;
    try {
      await this.send(items);
    } finally {
      this.inFlight--;
      if (this.pending.length > 0 && !this.blocked()) setImmediate(() => void this.drain());
    }
  }
}
