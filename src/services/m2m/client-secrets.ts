/**
 * @module How M2M client secrets are made and kept: generated with 288 random bits, stored only as
 * HMAC-SHA256 under the installation's code key (a keyed hash, not a slow one: the token endpoint
 * checks a secret on every grant, and a database copy without the key gives nothing to guess
 * against; why in docs/m2m.md), and compared in constant time.
 */
import { newProjectSecret } from "../../crypto/random.js";
import { digestsEqual } from "../../crypto/token-hash.js";
import type { Environment } from "../../domain/types.js";
import type { InstanceKeys } from "../instance-keys.js";
import type { RandomSource } from "../../crypto/random.js";

export class M2mClientSecrets {
  constructor(
    private readonly instanceKeys: InstanceKeys,
    private readonly random: RandomSource,
  ) {}

  /** A new secret, shaped like Stytch's: `secret-<environment>-` and 48 base64url characters. */
  generate(environment: Environment): string {
    return newProjectSecret(environment, this.random);
  }

  /** Hex keyed hash of `secret`, bound to its project and client so a hash cannot be moved to another client. */
  async hash(projectId: string, clientId: string, secret: string): Promise<string> {
    return (await this.instanceKeys.hashCode(`m2m-client-secret:${projectId}:${clientId}`, secret)).toString("hex");
  }

  /** Whether `secret` hashes to one of `storedHashes` (the current and, during a rotation, the next). */
  async matches(projectId: string, clientId: string, secret: string, storedHashes: (string | null)[]): Promise<boolean> {
    const candidate = Buffer.from(await this.hash(projectId, clientId, secret), "hex");
    let matched = false;
    // Every stored hash is compared, so the answer takes as long whichever one matches.
    for (const stored of storedHashes) if (stored !== null && digestsEqual(candidate, Buffer.from(stored, "hex"))) matched = true;
    return matched;
  }
}
