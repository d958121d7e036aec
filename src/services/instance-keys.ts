/**
 * @module Keys of this installation, shared by every node through the database: the HMAC key for
 * short codes (so a stolen database does not hand out a table of code hashes to invert without
 * it) and the sealing key for secrets the server must read back.
 */
import { createHmac } from "node:crypto";
import type { RandomSource } from "../crypto/random.js";
import { open, seal } from "../crypto/sealed-box.js";
import type { Store } from "../store/store.js";

export class InstanceKeys {
  private readonly keys = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly store: Store,
    private readonly random: RandomSource,
  ) {}

  /** Loads a key once; a failed load (database down) is retried on the next call. */
  private key(name: string): Promise<Buffer> {
    let key = this.keys.get(name);
    if (!key) {
      key = this.store.instanceSecret(name, () => this.random.bytes(32));
      key.catch(() => this.keys.delete(name));
      this.keys.set(name, key);
    }
    return key;
  }

  /** HMAC-SHA256 of a short code under the installation's code key. */
  async hashCode(purpose: string, code: string): Promise<Buffer> {
    return createHmac("sha256", await this.key("code-hmac")).update(`${purpose}:${code}`).digest();
  }

  async seal(plaintext: string): Promise<string> {
    return seal(await this.key("sealing"), plaintext);
  }

  async open(sealed: string): Promise<string> {
    return open(await this.key("sealing"), sealed);
  }
}
