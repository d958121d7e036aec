/** @module Liveness and readiness probes. */
import { AppError } from "../../errors.js";
import type { Services } from "../../services/services.js";
import type { RouteDefinition } from "../route.js";

export function healthRoutes(services: Services): RouteDefinition[] {
  return [
    {
      method: "GET",
      url: "/healthz",
      summary: "Liveness: the process answers",
      auth: "public",
      handler: async () => ({ status: "ok" }),
    },
    {
      method: "GET",
      url: "/readyz",
      summary: "Readiness: the database answers",
      auth: "public",
      handler: async () => {
        try {
          await services.context.store.ping();
        } catch {
          throw new AppError("service_unavailable", "The database is not reachable.", { retryAfterSeconds: 1 });
        }
        return { status: "ready" };
      },
    },
  ];
}
