/** @module Short numeric codes (SMS and email passcodes), uniform over their range. */
import type { RandomSource } from "./random.js";

/** A `digits`-digit code from `random`, by rejection sampling (no modulo bias). */
export function newNumericCode(random: RandomSource, digits = 6): string {
  const range = 10 ** digits;
  const limit = Math.floor(0x1_0000_0000 / range) * range;
  for (;;) {
    const value = random.bytes(4).readUInt32BE(0);
    if (value < limit) return String(value % range).padStart(digits, "0");
  }
}
