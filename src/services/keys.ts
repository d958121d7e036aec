/**
 * @module Signing keys per project: first keys, rotation, the JWKS, and an in-process cache of
 * parsed keys. The cache never decides anything on its own: an unknown kid or an expired entry
 * goes back to the database, so every node converges on what the database says. While the
 * database does not answer, an expired entry keeps serving its last good keys (a JWT signed with
 * a key the JWKS still publishes), so a login that has committed is never answered with a 503.
 */
import type { KeyObject } from "node:crypto";
import type { Project } from "../domain/types.js";
import { generateSigningKey, loadSigningKey, type LoadedSigningKey, type PublicJwk } from "../crypto/signing-keys.js";
import type { ServiceContext } from "./context.js";

/** How long a node trusts its cached key set before re-reading it (the `next` key is published long before use). */
export const KEY_CACHE_TTL_MS = 5_000;
/**
 * How long a request waits for an expired entry's re-read before it signs with the last good keys
 * (the re-read goes on in the background and replaces them when it lands).
 */
export const KEY_REFRESH_WAIT_MS = 250;
/** An unknown kid makes a node re-read a project's keys at most this often. */
export const UNKNOWN_KID_RELOAD_INTERVAL_MS = 1_000;
/** Retired public keys stay in the JWKS this long after they stop signing. */
export const RETIRED_KEY_PUBLISH_MS = 30 * 24 * 60 * 60 * 1000;

interface KeySet {
  loadedAt: number;
  current: LoadedSigningKey | null;
  byKid: Map<string, LoadedSigningKey>;
  jwks: PublicJwk[];
}

export class KeyService {
  private readonly cache = new Map<string, KeySet>();
  private readonly loading = new Map<string, Promise<KeySet>>();
  /** When each project's key set was last re-read because of an unknown kid. */
  private readonly lastUnknownKidReload = new Map<string, number>();

  constructor(private readonly ctx: ServiceContext) {}

  /** Gives a project its first keys, a `current` and a published `next`, unless it has some. */
  async ensureKeys(project: Project): Promise<void> {
    const existing = await this.ctx.store.listSigningKeys(project.projectId);
    if (existing.length > 0) return;
    const now = this.ctx.clock.now();
    const base = { projectId: project.projectId, environment: project.environment, now, random: this.ctx.random };
    const [current, next] = await Promise.all([
      generateSigningKey({ ...base, state: "current" }),
      generateSigningKey({ ...base, state: "next" }),
    ]);
    // Several nodes may start at once: only the first set of keys is kept, the others are dropped.
    await this.ctx.store.insertFirstSigningKeys([current, next]);
    this.cache.delete(project.projectId);
  }

  /**
   * The published `next` key starts signing, the signing key retires (still published for
   * RETIRED_KEY_PUBLISH_MS) and a fresh `next` is published. Returns the kid that now signs.
   */
  async rotate(project: Project): Promise<string> {
    await this.ensureKeys(project);
    const now = this.ctx.clock.now();
    const newNext = await generateSigningKey({
      projectId: project.projectId,
      environment: project.environment,
      state: "next",
      now,
      random: this.ctx.random,
    });
    await this.ctx.store.rotateSigningKeys(project.projectId, newNext, now, now - RETIRED_KEY_PUBLISH_MS);
    this.cache.delete(project.projectId);
    const keys = await this.keySet(project.projectId);
    return keys.current?.key.kid ?? "";
  }

  /**
   * Loads the project's keys unless this node holds them already. Project authentication calls it,
   * so every flow has its signing key in memory before it commits anything.
   */
  async prepare(projectId: string): Promise<void> {
    await this.keySet(projectId);
  }

  private async keySet(projectId: string, forceReload = false): Promise<KeySet> {
    const cached = this.cache.get(projectId);
    if (cached && !forceReload && this.ctx.clock.now() - cached.loadedAt < KEY_CACHE_TTL_MS) return cached;
    const reload = this.reload(projectId);
    if (!cached || forceReload) return reload;
    // Expired: prefer the fresh set (rotation is picked up), but never wait long or fail for it.
    let timer: NodeJS.Timeout | undefined;
    const fallback = new Promise<KeySet>((resolve) => {
      timer = setTimeout(() => resolve(cached), KEY_REFRESH_WAIT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([reload.catch(() => cached), fallback]);
    } finally {
      clearTimeout(timer);
    }
  }

  private reload(projectId: string): Promise<KeySet> {
    let pending = this.loading.get(projectId);
    if (!pending) {
      pending = this.ctx.store
        .listSigningKeys(projectId)
        .then((keys) => {
          const previous = this.cache.get(projectId);
          const byKid = new Map<string, LoadedSigningKey>();
          for (const key of keys) {
            // Reuse parsed key objects: PEM parsing is the expensive part.
            const reused = previous?.byKid.get(key.kid);
            byKid.set(key.kid, reused ? { ...reused, key } : loadSigningKey(key));
          }
          const loaded: KeySet = {
            loadedAt: this.ctx.clock.now(),
            current: [...byKid.values()].find((entry) => entry.key.state === "current") ?? null,
            byKid,
            jwks: [...byKid.values()].map((entry) => entry.jwk),
          };
          this.cache.set(projectId, loaded);
          return loaded;
        })
        .finally(() => this.loading.delete(projectId));
      this.loading.set(projectId, pending);
    }
    return pending;
  }

  /** The key that signs new JWTs for the project. */
  async signingKey(projectId: string): Promise<{ kid: string; privateKey: KeyObject }> {
    const keys = await this.keySet(projectId);
    if (!keys.current) throw new Error(`project ${projectId} has no signing key`);
    return { kid: keys.current.key.kid, privateKey: keys.current.privateKey };
  }

  /**
   * A published public key by kid. An unknown kid re-reads the database, at most once a second
   * per project, so forged kids cannot turn every request into a database read.
   */
  async publicKey(projectId: string, kid: string): Promise<KeyObject | null> {
    let keys = await this.keySet(projectId);
    if (!keys.byKid.has(kid)) {
      const now = this.ctx.clock.now();
      if (now - (this.lastUnknownKidReload.get(projectId) ?? -Infinity) < UNKNOWN_KID_RELOAD_INTERVAL_MS) return null;
      this.lastUnknownKidReload.set(projectId, now);
      keys = await this.keySet(projectId, true);
    }
    return keys.byKid.get(kid)?.publicKey ?? null;
  }

  async jwks(projectId: string): Promise<PublicJwk[]> {
    return (await this.keySet(projectId)).jwks;
  }
}
