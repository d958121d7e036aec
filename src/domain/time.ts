/** @module Time as the domain sees it: an injectable clock and Stytch's RFC 3339 rendering. */
import type { EpochMs } from "./types.js";

export interface Clock {
  now(): EpochMs;
}

export const systemClock: Clock = { now: () => Date.now() };

export const MINUTE_MS = 60_000;

/** RFC 3339 in UTC with second precision, as Stytch renders instants: `2021-12-29T12:33:09Z`. */
export function rfc3339(at: EpochMs): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
}
