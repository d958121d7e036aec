/**
 * @module Shared fast-check settings: a fixed seed (so CI is reproducible; `FUZZ_SEED` overrides)
 * and a run count per property from `FUZZ_RUNS` (default 200; `npm run test:fuzz` runs 5,000).
 */
export const FUZZ_SEED = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== "" ? Number(process.env.FUZZ_SEED) : 20260115;
export const FUZZ_RUNS = process.env.FUZZ_RUNS !== undefined && process.env.FUZZ_RUNS !== "" ? Math.max(1, Number(process.env.FUZZ_RUNS)) : 200;

if (!Number.isInteger(FUZZ_SEED)) throw new Error(`FUZZ_SEED must be an integer, got "${process.env.FUZZ_SEED}"`);
if (!Number.isInteger(FUZZ_RUNS)) throw new Error(`FUZZ_RUNS must be an integer, got "${process.env.FUZZ_RUNS}"`);

/** fast-check parameters for one property. */
export function fuzzParameters(numRuns = FUZZ_RUNS): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns };
}

/** Counts runs across a file, for the figures in docs/security-testing.md. */
export const fuzzTally = { properties: 0, runs: 0, serverErrors: 0 };
