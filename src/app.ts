/**
 * @module The composition root: the only file that knows every concrete piece. Config → store →
 * services → HTTP.
 */
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import type { Config } from "./config.js";
import { systemRandom, type RandomSource } from "./crypto/random.js";
import { systemClock, type Clock } from "./domain/time.js";
import { buildHttpServer } from "./http/server.js";
import { KeyService } from "./services/keys.js";
import { MemberService } from "./services/members.js";
import { OrganizationService } from "./services/organizations.js";
import { ProjectService } from "./services/projects.js";
import type { Services } from "./services/services.js";
import { SessionService } from "./services/sessions.js";
import { PostgresStore, parsePostgresUrl } from "./store/postgres/postgres-store.js";
import { SqliteStore } from "./store/sqlite/sqlite-store.js";
import type { Store } from "./store/store.js";

export interface App {
  services: Services;
  store: Store;
  http: FastifyInstance;
  close(): Promise<void>;
}

export interface AppOverrides {
  clock?: Clock;
  random?: RandomSource;
  store?: Store;
  /** false silences request logs (tests). */
  logging?: boolean;
}

/**
 * Opens and migrates the store DATABASE_URL names: `sqlite:<path>`, or `postgres://…` /
 * `postgresql://…` (optional `schema=` and `pool_size=` query parameters, see docs/postgresql.md).
 */
export async function openStore(databaseUrl: string): Promise<Store> {
  let store: Store;
  if (databaseUrl.startsWith("sqlite:")) {
    store = new SqliteStore(databaseUrl.slice("sqlite:".length) || "./data/tessera.db");
  } else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { connectionString, options } = parsePostgresUrl(databaseUrl);
    store = new PostgresStore(connectionString, options);
  } else {
    throw new Error("DATABASE_URL must start with sqlite:, postgres:// or postgresql://");
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}

export function buildServices(store: Store, clock: Clock, random: RandomSource): Services {
  const context = { store, clock, random };
  const keys = new KeyService(context);
  const projects = new ProjectService(context, keys);
  const organizations = new OrganizationService(context);
  const members = new MemberService(context, organizations);
  const sessions = new SessionService(context, keys, organizations, members);
  return { context, keys, projects, organizations, members, sessions };
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? systemRandom;
  const store = overrides.store ?? (await openStore(config.databaseUrl));
  const services = buildServices(store, clock, random);
  const logger = overrides.logging === false ? false : pino({ level: config.logLevel });
  const http = buildHttpServer({ services, random, logger });
  return {
    services,
    store,
    http,
    async close() {
      await http.close();
      await store.close();
    },
  };
}
