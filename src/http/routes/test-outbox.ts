/** @module `GET /v1/test/outbox?to=…`: what a test project's server sent to one address or number. */
import { rfc3339 } from "../../domain/time.js";
import { AppError } from "../../errors.js";
import type { OutboxService } from "../../services/outbox.js";
import type { RouteDefinition } from "../route.js";

export function testOutboxRoutes(outbox: OutboxService): RouteDefinition[] {
  return [
    {
      method: "GET",
      url: "/v1/test/outbox",
      summary: "A test project's emails and SMS to one recipient, newest first, with the token or code they carry",
      auth: "project",
      querySchema: "test-outbox.query",
      handler: async ({ project, query }) => {
        // Live projects have no readable outbox: their secrets are not for anyone but the recipient.
        if (project.environment !== "test") throw new AppError("route_not_found");
        const messages = await outbox.listForTestProject(project, query.to, query.limit ? Number(query.limit) : 20);
        return { messages: messages.map((message) => ({ ...message, created_at: rfc3339(message.created_at) })) };
      },
    },
  ];
}
