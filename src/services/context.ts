/** @module What every service is built from: the store, the clock, randomness and settings. */
import type { Clock } from "../domain/time.js";
import type { RandomSource } from "../crypto/random.js";
import type { Store } from "../store/store.js";

export interface ServiceContext {
  store: Store;
  clock: Clock;
  random: RandomSource;
}
