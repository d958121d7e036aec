/**
 * @module Projects: API-credential checks, creation, and the start-up bootstrap. Secrets are
 * returned once at creation and stored only as SHA-256 digests.
 */
import type { Environment, Project } from "../domain/types.js";
import { newProjectSecret, newStytchId, uuidV4 } from "../crypto/random.js";
import { digestsEqual, sha256 } from "../crypto/token-hash.js";
import { AppError } from "../errors.js";
import { SqlProjectConfigurationStore, type PublicTokenSource, type StoredPublicToken } from "../store/project-configuration.js";
import { StoreConflict } from "../store/store.js";
import type { ServiceContext } from "./context.js";
import type { KeyService } from "./keys.js";

const PROJECT_ID_PATTERN = /^project-(test|live)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const PUBLIC_TOKEN_PATTERN = /^public-token-(test|live)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface CreatedProject {
  project: Project;
  secret: string;
}

/**
 * How long a node trusts a project row it read (the secret's hash) before reading it again: a
 * secret replaced on another node stops working here within this bound (docs/postgresql.md).
 */
export const PROJECT_CACHE_TTL_MS = 2000;
/** Projects remembered per node; the oldest read is forgotten first. */
const PROJECT_CACHE_MAX_ENTRIES = 1000;

export class ProjectService {
  /** Projects whose credentials were accepted lately, by id, with when they were read. */
  private readonly accepted = new Map<string, { project: Project; readAt: number }>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly keys: KeyService,
  ) {}

  /**
   * The project these Basic credentials belong to; any mismatch is the same 401. A project read
   * in the last PROJECT_CACHE_TTL_MS is not read again (one database round trip less per
   * request); a secret that does not match it is checked against a fresh read, so a new secret
   * works on every node at once and only a replaced one lingers, for at most the bound.
   */
  async authenticate(projectId: string, secret: string): Promise<Project> {
    // Hash even when the project is unknown so both paths cost the same.
    const presented = sha256(secret);
    let project = this.recentlyAccepted(projectId);
    if (!project || !digestsEqual(presented, project.secretHash)) {
      project = await this.ctx.store.findProject(projectId);
      this.accepted.delete(projectId);
      if (project && digestsEqual(presented, project.secretHash)) this.remember(project);
    }
    if (!project || !digestsEqual(presented, project.secretHash)) throw new AppError("unauthorized_credentials");
    // Before any step commits: what the response needs after the commit (its signing key) is at hand.
    await this.keys.prepare(projectId);
    return project;
  }

  private recentlyAccepted(projectId: string): Project | null {
    const entry = this.accepted.get(projectId);
    if (!entry) return null;
    const age = this.ctx.clock.now() - entry.readAt;
    // A clock that went backwards counts as expired too.
    return age >= 0 && age < PROJECT_CACHE_TTL_MS ? entry.project : null;
  }

  private remember(project: Project): void {
    if (this.accepted.size >= PROJECT_CACHE_MAX_ENTRIES) this.accepted.delete(this.accepted.keys().next().value!);
    this.accepted.set(project.projectId, { project, readAt: this.ctx.clock.now() });
  }

  /**
   * The project of a live public token (the frontend SDKs' credential). Public tokens are public by
   * design (they ship in browser code), so they are stored as they are; deleting one refuses it at once.
   */
  async authenticatePublicToken(publicToken: string): Promise<Project> {
    const token = PUBLIC_TOKEN_PATTERN.test(publicToken) ? await this.configuration().findPublicToken(publicToken) : null;
    const project = token ? await this.ctx.store.findProject(token.projectId) : null;
    if (!project) throw new AppError("public_token_not_found");
    return project;
  }

  /** A new public token of the project's environment. */
  async createPublicToken(projectId: string): Promise<{ publicToken: string }> {
    const project = await this.ctx.store.findProject(projectId);
    if (!project) throw new AppError("project_not_found");
    const publicToken = `public-token-${project.environment}-${uuidV4(this.ctx.random)}`;
    await this.addPublicToken(project, publicToken, "api");
    return { publicToken };
  }

  /** Registers a given public token (from the config file); refused when another project has it. */
  async addPublicToken(project: Project, publicToken: string, source: PublicTokenSource): Promise<void> {
    const match = PUBLIC_TOKEN_PATTERN.exec(publicToken);
    if (!match || match[1] !== project.environment) {
      throw new TypeError(`public token "${publicToken}" must look like public-token-${project.environment}-<uuid>`);
    }
    const inserted = await this.configuration().insertPublicToken({ publicToken, projectId: project.projectId, source, createdAt: this.ctx.clock.now() });
    if (!inserted) throw new TypeError(`public token "${publicToken}" belongs to another project`);
  }

  async listPublicTokens(projectId: string): Promise<StoredPublicToken[]> {
    return this.configuration().listPublicTokens(projectId);
  }

  /** false when the project has no such token. */
  async deletePublicToken(projectId: string, publicToken: string): Promise<boolean> {
    return this.configuration().deletePublicToken(projectId, publicToken);
  }

  private configuration(): SqlProjectConfigurationStore {
    return new SqlProjectConfigurationStore(this.ctx.store.sqlExecutor());
  }

  async find(projectId: string): Promise<Project | null> {
    return this.ctx.store.findProject(projectId);
  }

  async create(options: { environment: Environment; name?: string }): Promise<CreatedProject> {
    const project: Project = {
      projectId: newStytchId("project", options.environment, this.ctx.random),
      environment: options.environment,
      name: options.name ?? "Tessera project",
      secretHash: Buffer.alloc(0),
      createdAt: this.ctx.clock.now(),
    };
    const secret = newProjectSecret(options.environment, this.ctx.random);
    project.secretHash = sha256(secret);
    await this.ctx.store.insertProject(project);
    await this.keys.ensureKeys(project);
    return { project, secret };
  }

  /**
   * Makes sure a project with this id exists and accepts this secret (idempotent: run at every
   * start with TESSERA_PROJECT_ID / TESSERA_PROJECT_SECRET).
   */
  async ensure(projectId: string, secret: string, name = "Tessera project"): Promise<Project> {
    const match = PROJECT_ID_PATTERN.exec(projectId);
    if (!match) throw new TypeError(`TESSERA_PROJECT_ID must look like project-test-<uuid> or project-live-<uuid>, got "${projectId}"`);
    if (secret.length < 16) throw new TypeError("TESSERA_PROJECT_SECRET must be at least 16 characters");
    const secretHash = sha256(secret);
    let project = await this.ctx.store.findProject(projectId);
    if (!project) {
      project = { projectId, environment: match[1] as Environment, name, secretHash, createdAt: this.ctx.clock.now() };
      try {
        await this.ctx.store.insertProject(project);
      } catch (error) {
        // Several nodes starting at once: another one created it first, which is just as good.
        if (!(error instanceof StoreConflict)) throw error;
      }
      project = (await this.ctx.store.findProject(projectId))!;
    }
    if (!digestsEqual(project.secretHash, secretHash)) {
      await this.ctx.store.setProjectSecretHash(projectId, secretHash);
      project = { ...project, secretHash };
      this.accepted.delete(projectId);
    }
    await this.keys.ensureKeys(project);
    return project;
  }
}
