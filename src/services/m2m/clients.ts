/**
 * @module M2M client management (`/v1/m2m/clients`): create (with imported id or secret), get,
 * search, update, delete, and the three secret-rotation steps. Secrets are returned once, here,
 * and never stored raw.
 */
import { newStytchId } from "../../crypto/random.js";
import {
  clientDescriptionProblem,
  clientIdProblem,
  clientNameProblem,
  DEFAULT_M2M_SEARCH_LIMIT,
  importedSecretProblem,
  lastFour,
  normalizeScopes,
  parseM2mSearchQuery,
  scopesProblem,
  type M2mClientStatus,
  type M2mFieldProblem,
} from "../../domain/m2m.js";
import type { Project } from "../../domain/types.js";
import { AppError } from "../../errors.js";
import type { M2mClientPage, M2mClientRecord, M2mClientStore, RotationOutcome } from "../../store/m2m-clients.js";
import { StoreConflict } from "../../store/store.js";
import type { ServiceContext } from "../context.js";
import type { M2mClientSecrets } from "./client-secrets.js";

export interface M2mClientCreateInput {
  scopes: string[];
  client_id?: string;
  client_secret?: string;
  client_name?: string;
  client_description?: string;
  trusted_metadata?: Record<string, unknown>;
}

export interface M2mClientUpdateInput {
  client_name?: string;
  client_description?: string;
  status?: string;
  scopes?: string[];
  trusted_metadata?: Record<string, unknown>;
}

export interface M2mClientSearchInput {
  cursor?: string;
  limit?: number;
  query?: unknown;
}

function refuseIf(problem: M2mFieldProblem | null): void {
  if (problem) throw new AppError(problem);
}

function checkRotation(outcome: RotationOutcome): void {
  if (outcome === "not_found") throw new AppError("m2m_client_not_found");
  if (outcome === "already_rotating") throw new AppError("m2m_client_already_rotating_secret");
  if (outcome === "not_rotating") throw new AppError("m2m_client_not_rotating_secret");
}

/** Search cursors are the last client id of a page, base64url-encoded (opaque to callers). */
function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === "") return null;
  const clientId = Buffer.from(cursor, "base64url").toString("utf8");
  if (Buffer.from(clientId, "utf8").toString("base64url") !== cursor || clientIdProblem(clientId) !== null) throw new AppError("invalid_cursor");
  return clientId;
}

export class M2mClientService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: M2mClientStore,
    private readonly secrets: M2mClientSecrets,
  ) {}

  async create(project: Project, input: M2mClientCreateInput): Promise<{ client: M2mClientRecord; clientSecret: string }> {
    if (input.client_id !== undefined) refuseIf(clientIdProblem(input.client_id));
    if (input.client_secret !== undefined) refuseIf(importedSecretProblem(input.client_secret));
    refuseIf(clientNameProblem(input.client_name ?? ""));
    refuseIf(clientDescriptionProblem(input.client_description ?? ""));
    refuseIf(scopesProblem(input.scopes));
    const clientId = input.client_id ?? newStytchId("m2m-client", project.environment, this.ctx.random);
    const clientSecret = input.client_secret ?? this.secrets.generate(project.environment);
    const now = this.ctx.clock.now();
    const client: M2mClientRecord = {
      projectId: project.projectId,
      clientId,
      clientName: input.client_name ?? "",
      clientDescription: input.client_description ?? "",
      status: "active",
      scopes: normalizeScopes(input.scopes),
      trustedMetadata: input.trusted_metadata ?? {},
      secretHash: await this.secrets.hash(project.projectId, clientId, clientSecret),
      secretLastFour: lastFour(clientSecret),
      nextSecretHash: null,
      nextSecretLastFour: null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.store.insert(client);
    } catch (error) {
      if (error instanceof StoreConflict) throw new AppError("duplicate_m2m_client_id");
      throw error;
    }
    return { client, clientSecret };
  }

  async get(project: Project, clientId: string): Promise<M2mClientRecord> {
    const client = await this.store.find(project.projectId, clientId);
    if (!client) throw new AppError("m2m_client_not_found");
    return client;
  }

  async search(project: Project, input: M2mClientSearchInput): Promise<M2mClientPage & { nextCursor: string | null }> {
    const parsed = parseM2mSearchQuery(input.query);
    if (!parsed.ok) throw new AppError(parsed.reason);
    const page = await this.store.search(project.projectId, parsed.query, decodeCursor(input.cursor), input.limit ?? DEFAULT_M2M_SEARCH_LIMIT);
    return { ...page, nextCursor: page.lastClientId === null ? null : Buffer.from(page.lastClientId, "utf8").toString("base64url") };
  }

  /** Changes only the fields given (Go's SDK cannot send empty values, so absent means unchanged). */
  async update(project: Project, clientId: string, input: M2mClientUpdateInput): Promise<M2mClientRecord> {
    if (input.client_name !== undefined) refuseIf(clientNameProblem(input.client_name));
    if (input.client_description !== undefined) refuseIf(clientDescriptionProblem(input.client_description));
    if (input.status !== undefined && input.status !== "active" && input.status !== "inactive") throw new AppError("m2m_client_invalid_status");
    if (input.scopes !== undefined) refuseIf(scopesProblem(input.scopes));
    const current = await this.get(project, clientId);
    const changes = {
      clientName: input.client_name ?? current.clientName,
      clientDescription: input.client_description ?? current.clientDescription,
      status: (input.status as M2mClientStatus | undefined) ?? current.status,
      scopes: input.scopes !== undefined ? normalizeScopes(input.scopes) : current.scopes,
      trustedMetadata: input.trusted_metadata ?? current.trustedMetadata,
      updatedAt: this.ctx.clock.now(),
    };
    if (!(await this.store.update(project.projectId, clientId, changes))) throw new AppError("m2m_client_not_found");
    return this.get(project, clientId);
  }

  /** Tokens already issued to the client stay valid until they expire (as Stytch documents). */
  async delete(project: Project, clientId: string): Promise<string> {
    if (!(await this.store.delete(project.projectId, clientId))) throw new AppError("m2m_client_not_found");
    return clientId;
  }

  /** Starts a rotation: a next secret is made and shown once; from now on both secrets mint tokens. */
  async rotateStart(project: Project, clientId: string): Promise<{ client: M2mClientRecord; nextClientSecret: string }> {
    const nextClientSecret = this.secrets.generate(project.environment);
    const nextHash = await this.secrets.hash(project.projectId, clientId, nextClientSecret);
    checkRotation(await this.store.startRotation(project.projectId, clientId, nextHash, lastFour(nextClientSecret), this.ctx.clock.now()));
    return { client: await this.get(project, clientId), nextClientSecret };
  }

  /** Completes a rotation: the next secret becomes the only one. */
  async rotateComplete(project: Project, clientId: string): Promise<M2mClientRecord> {
    checkRotation(await this.store.completeRotation(project.projectId, clientId, this.ctx.clock.now()));
    return this.get(project, clientId);
  }

  /** Cancels a rotation: the next secret is discarded, the current one stays. */
  async rotateCancel(project: Project, clientId: string): Promise<M2mClientRecord> {
    checkRotation(await this.store.cancelRotation(project.projectId, clientId, this.ctx.clock.now()));
    return this.get(project, clientId);
  }
}
