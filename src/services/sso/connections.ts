/**
 * @module SSO connection management as the SDK's `sso`, `sso.saml`, `sso.oidc` and `sso.external`
 * clients call it: SAML connections (SP signing certificate made per connection, up to five IdP
 * verification certificates for rotation, encryption keys), OIDC connections (issuer discovery,
 * the client secret sealed), external connections onto another organization's connection, and
 * deletion (never the organization's default connection).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import {
  attributeMappingProblem,
  connectionStatus,
  EMAIL_NAMEID_FORMAT,
  idpUrlProblem,
  MAX_VERIFICATION_CERTIFICATES,
  ssoCallbackUrl,
  type GroupRoleAssignment,
  type OidcSettings,
  type RoleAssignment,
  type SamlCertificate,
  type SamlSettings,
  type SsoConnection,
  type SsoConnectionKind,
} from "../../domain/sso.js";
import type { Organization, Project } from "../../domain/types.js";
import { selfSignedCertificate } from "../../crypto/certificate.js";
import { newStytchId } from "../../crypto/random.js";
import { AppError, type ErrorType } from "../../errors.js";
import type { SsoConnectionStore } from "../../store/sso-connections.js";
import type { ServiceContext } from "../context.js";
import type { InstanceKeys } from "../instance-keys.js";
import type { OrganizationService } from "../organizations.js";
import { fetchIdpDocument } from "./idp-fetch.js";
import { parseIdpMetadata } from "./saml-metadata.js";

const ROLE_ID = /^[A-Za-z0-9_\-.:]{1,128}$/;
const MAX_ENCRYPTION_KEYS = 5;
const SIGNING_CERTIFICATE_YEARS = 10;
const PKCS1_HEADER = "-----BEGIN RSA PRIVATE KEY-----";

export interface SamlConnectionInput {
  display_name?: string;
  identity_provider?: string;
  idp_entity_id?: string;
  attribute_mapping?: Record<string, unknown>;
  x509_certificate?: string;
  idp_sso_url?: string;
  saml_connection_implicit_role_assignments?: RoleAssignment[];
  saml_group_implicit_role_assignments?: GroupRoleAssignment[];
  alternative_audience_uri?: string;
  signing_private_key?: string;
  nameid_format?: string;
  alternative_acs_url?: string;
  idp_initiated_auth_disabled?: boolean;
  saml_encryption_private_key?: string;
  allow_gateway_callback?: boolean;
}

export interface OidcConnectionInput {
  display_name?: string;
  identity_provider?: string;
  client_id?: string;
  client_secret?: string;
  issuer?: string;
  authorization_url?: string;
  token_url?: string;
  userinfo_url?: string;
  jwks_url?: string;
  custom_scopes?: string;
  attribute_mapping?: Record<string, unknown>;
}

export interface ExternalConnectionInput {
  external_organization_id?: string;
  external_connection_id?: string;
  display_name?: string;
  connection_implicit_role_assignments?: RoleAssignment[];
  group_implicit_role_assignments?: GroupRoleAssignment[];
  external_connection_implicit_role_assignments?: RoleAssignment[];
  external_group_implicit_role_assignments?: GroupRoleAssignment[];
}

export interface OrganizationConnections {
  saml: SsoConnection[];
  oidc: SsoConnection[];
  external: SsoConnection[];
}

const NOT_FOUND: Record<SsoConnectionKind, ErrorType> = {
  saml: "saml_connection_not_found",
  oidc: "oidc_connection_not_found",
  external: "external_connection_not_found",
};

function pem(der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

function checkRoles(connectionRoles: RoleAssignment[] | undefined, groupRoles: GroupRoleAssignment[] | undefined): void {
  if (connectionRoles?.some((r) => !ROLE_ID.test(r.role_id ?? ""))) throw new AppError("invalid_roles");
  if (groupRoles?.some((r) => !ROLE_ID.test(r.role_id ?? "") || typeof r.group !== "string" || r.group === "")) throw new AppError("invalid_roles");
}

const roleList = (roles: RoleAssignment[]) => roles.map((r) => ({ role_id: r.role_id }));
const groupRoleList = (roles: GroupRoleAssignment[]) => roles.map((r) => ({ role_id: r.role_id, group: r.group }));

export class SsoConnectionService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: SsoConnectionStore,
    private readonly organizations: OrganizationService,
    private readonly instanceKeys: InstanceKeys,
    private readonly publicUrl: string,
  ) {}

  /** The SAML ACS and audience, and the OIDC redirect URI, of a connection. */
  callbackUrl(connection: SsoConnection): string {
    return ssoCallbackUrl(this.publicUrl, connection.connectionId);
  }

  async list(project: Project, organizationRef: string): Promise<OrganizationConnections> {
    const organization = await this.organizations.get(project, organizationRef);
    const all = await this.store.connectionsOfOrganizations(project.projectId, [organization.organizationId]);
    return { saml: all.filter((c) => c.kind === "saml"), oidc: all.filter((c) => c.kind === "oidc"), external: all.filter((c) => c.kind === "external") };
  }

  /** Per organization, its active connections as the organization object's `sso_active_connections` lists them. */
  async activeSummaries(projectId: string, organizationIds: string[]): Promise<Map<string, { connection_id: string; display_name: string; identity_provider: string }[]>> {
    const summaries = new Map(organizationIds.map((id) => [id, [] as { connection_id: string; display_name: string; identity_provider: string }[]]));
    for (const c of await this.store.connectionsOfOrganizations(projectId, organizationIds)) {
      if (connectionStatus(c) !== "active") continue;
      summaries.get(c.organizationId)?.push({ connection_id: c.connectionId, display_name: c.displayName, identity_provider: c.identityProvider });
    }
    return summaries;
  }

  /** The organization's connection of this kind with this id (another organization's is not found). */
  async find(project: Project, organizationRef: string, connectionId: string, kind?: SsoConnectionKind): Promise<SsoConnection> {
    const organization = await this.organizations.get(project, organizationRef);
    const connection = await this.store.findConnection(project.projectId, connectionId);
    if (!connection || connection.organizationId !== organization.organizationId || (kind && connection.kind !== kind)) {
      throw new AppError(kind ? NOT_FOUND[kind] : "sso_connection_not_found");
    }
    return connection;
  }

  async delete(project: Project, organizationRef: string, connectionId: string): Promise<string> {
    const organization = await this.organizations.get(project, organizationRef);
    const connection = await this.find(project, organization.organizationId, connectionId);
    if (organization.settings.sso_default_connection_id === connection.connectionId) throw new AppError("cannot_delete_default_sso_connection");
    const external = (await this.store.externalConnectionsOnto(project.projectId, connection.connectionId)).length > 0;
    if (external) throw new AppError("sso_connection_has_external_connections");
    if (!(await this.store.deleteConnection(project.projectId, connection.connectionId))) throw new AppError("sso_connection_not_found");
    return connection.connectionId;
  }

  private base(project: Project, organization: Organization, kind: SsoConnectionKind, input: { display_name?: string; identity_provider?: string }) {
    const now = this.ctx.clock.now();
    return {
      projectId: project.projectId,
      organizationId: organization.organizationId,
      connectionId: newStytchId(`${kind}-connection`, project.environment, this.ctx.random),
      kind,
      displayName: input.display_name ?? "",
      identityProvider: input.identity_provider || "generic",
      createdAt: now,
      updatedAt: now,
    };
  }

  private async save(connection: SsoConnection): Promise<SsoConnection> {
    if (!(await this.store.updateConnection(connection))) throw new AppError(NOT_FOUND[connection.kind]);
    return connection;
  }

  // ---- SAML ----

  /** A signing key pair and the self-signed certificate that publishes it (issuer "Stytch", as Stytch names its own). */
  private async signingMaterial(project: Project, privateKey: KeyObject): Promise<{ certificate: SamlCertificate; sealedKey: string }> {
    const now = this.ctx.clock.now();
    const der = selfSignedCertificate({
      publicKey: createPublicKey(privateKey),
      privateKey,
      commonName: "Tessera SAML SP",
      serialNumber: this.ctx.random.bytes(16),
      notBefore: new Date(now),
      validityYears: SIGNING_CERTIFICATE_YEARS,
    });
    const x509 = new X509Certificate(der);
    const certificate: SamlCertificate = {
      certificateId: newStytchId("saml-signing-key", project.environment, this.ctx.random),
      certificate: pem(der),
      issuer: "Stytch",
      createdAt: now,
      expiresAt: Date.parse(x509.validTo),
    };
    const sealedKey = await this.instanceKeys.seal(privateKey.export({ type: "pkcs1", format: "pem" }).toString());
    return { certificate, sealedKey };
  }

  async createSaml(project: Project, organizationRef: string, input: SamlConnectionInput): Promise<SsoConnection> {
    const organization = await this.organizations.get(project, organizationRef);
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const signing = await this.signingMaterial(project, privateKey);
    const connection: SsoConnection = {
      ...this.base(project, organization, "saml", input),
      saml: {
        idpEntityId: "",
        idpSsoUrl: "",
        attributeMapping: {},
        verificationCertificates: [],
        signingCertificate: signing.certificate,
        sealedSigningKey: signing.sealedKey,
        encryptionKeys: [],
        connectionRoles: [],
        groupRoles: [],
        alternativeAudienceUri: "",
        alternativeAcsUrl: "",
        nameidFormat: EMAIL_NAMEID_FORMAT,
        idpInitiatedAuthDisabled: false,
        allowGatewayCallback: false,
      },
    };
    await this.store.insertConnection(connection);
    return connection;
  }

  private verificationCertificate(project: Project, text: string): SamlCertificate {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(text.trim());
    } catch {
      throw new AppError("invalid_x509_certificate");
    }
    return {
      certificateId: newStytchId("saml-verification-key", project.environment, this.ctx.random),
      certificate: x509.toString(),
      issuer: x509.issuer.replace(/\n/g, ", "),
      createdAt: this.ctx.clock.now(),
      expiresAt: Date.parse(x509.validTo),
    };
  }

  private rsaPkcs1Key(text: string, formatError: ErrorType, invalidError: ErrorType): KeyObject {
    if (!text.trim().startsWith(PKCS1_HEADER)) throw new AppError(formatError);
    try {
      return createPrivateKey({ key: text, format: "pem" });
    } catch {
      throw new AppError(invalidError);
    }
  }

  async updateSaml(project: Project, organizationRef: string, connectionId: string, input: SamlConnectionInput): Promise<SsoConnection> {
    const current = await this.find(project, organizationRef, connectionId, "saml");
    const saml: SamlSettings = { ...current.saml! };
    const testProject = project.environment === "test";
    if (input.idp_sso_url !== undefined && input.idp_sso_url !== "") {
      const problem = idpUrlProblem(input.idp_sso_url, testProject);
      if (problem) throw new AppError(problem === "not_https" ? "saml_connection_idp_sso_url_not_https" : "saml_connection_idp_sso_url_invalid_format");
      saml.idpSsoUrl = input.idp_sso_url;
    }
    if (input.idp_entity_id !== undefined && input.idp_entity_id !== "") {
      if (input.idp_entity_id.trim() !== input.idp_entity_id) throw new AppError("invalid_idp_entity_id");
      saml.idpEntityId = input.idp_entity_id;
    }
    if (input.attribute_mapping !== undefined) {
      const problem = attributeMappingProblem(input.attribute_mapping);
      if (problem) throw new AppError(problem);
      saml.attributeMapping = input.attribute_mapping as Record<string, string>;
    }
    checkRoles(input.saml_connection_implicit_role_assignments, input.saml_group_implicit_role_assignments);
    if (input.saml_connection_implicit_role_assignments !== undefined) saml.connectionRoles = roleList(input.saml_connection_implicit_role_assignments);
    if (input.saml_group_implicit_role_assignments !== undefined) saml.groupRoles = groupRoleList(input.saml_group_implicit_role_assignments);
    if (saml.groupRoles.length > 0 && !saml.attributeMapping.groups) throw new AppError("saml_connection_attribute_mapping_missing_groups_key");
    if (input.x509_certificate !== undefined && input.x509_certificate !== "") {
      // Each certificate given is added (rotation: add the new one, delete the old one later).
      const added = this.verificationCertificate(project, input.x509_certificate);
      const known = saml.verificationCertificates.some((c) => c.certificate === added.certificate);
      if (!known) {
        if (saml.verificationCertificates.length >= MAX_VERIFICATION_CERTIFICATES) throw new AppError("too_many_sso_verification_certificates");
        saml.verificationCertificates = [...saml.verificationCertificates, added];
      }
    }
    if (input.signing_private_key !== undefined && input.signing_private_key !== "") {
      const key = this.rsaPkcs1Key(input.signing_private_key, "saml_signing_private_key_format_not_supported", "saml_signing_private_key_invalid");
      const signing = await this.signingMaterial(project, key);
      saml.signingCertificate = signing.certificate;
      saml.sealedSigningKey = signing.sealedKey;
    }
    if (input.saml_encryption_private_key !== undefined && input.saml_encryption_private_key !== "") {
      const key = this.rsaPkcs1Key(input.saml_encryption_private_key, "saml_encryption_private_key_format_not_supported", "saml_encryption_private_key_invalid");
      if (saml.encryptionKeys.length >= MAX_ENCRYPTION_KEYS) throw new AppError("too_many_encryption_certificates");
      saml.encryptionKeys = [
        ...saml.encryptionKeys,
        {
          privateKeyId: newStytchId("saml-encryption-key", project.environment, this.ctx.random),
          sealedPrivateKey: await this.instanceKeys.seal(key.export({ type: "pkcs1", format: "pem" }).toString()),
          createdAt: this.ctx.clock.now(),
        },
      ];
    }
    if (input.alternative_audience_uri !== undefined) saml.alternativeAudienceUri = input.alternative_audience_uri;
    if (input.alternative_acs_url !== undefined) saml.alternativeAcsUrl = input.alternative_acs_url;
    if (input.nameid_format !== undefined && input.nameid_format !== "") saml.nameidFormat = input.nameid_format;
    if (input.idp_initiated_auth_disabled !== undefined) saml.idpInitiatedAuthDisabled = input.idp_initiated_auth_disabled;
    if (input.allow_gateway_callback !== undefined) saml.allowGatewayCallback = input.allow_gateway_callback;
    return this.save({
      ...current,
      ...(input.display_name !== undefined ? { displayName: input.display_name } : {}),
      ...(input.identity_provider ? { identityProvider: input.identity_provider } : {}),
      saml,
      updatedAt: this.ctx.clock.now(),
    });
  }

  /** Imports entity id, SSO URL and signing certificate from the IdP's metadata document. */
  async updateSamlByMetadataUrl(project: Project, organizationRef: string, connectionId: string, metadataUrl: string): Promise<SsoConnection> {
    await this.find(project, organizationRef, connectionId, "saml");
    if (idpUrlProblem(metadataUrl, project.environment === "test")) throw new AppError("invalid_saml_metadata_url");
    const fetched = await fetchIdpDocument(metadataUrl);
    if (!fetched.ok) throw new AppError("invalid_saml_metadata_url");
    const metadata = parseIdpMetadata(fetched.text);
    if (!metadata.ok) throw new AppError(metadata.problem);
    // Every signing certificate the metadata lists is added: an IdP mid-rollover publishes two.
    let connection = await this.updateSaml(project, organizationRef, connectionId, { idp_entity_id: metadata.entityId, idp_sso_url: metadata.ssoUrl });
    for (const certificate of metadata.certificates) connection = await this.updateSaml(project, organizationRef, connectionId, { x509_certificate: certificate });
    return connection;
  }

  async deleteVerificationCertificate(project: Project, organizationRef: string, connectionId: string, certificateId: string): Promise<string> {
    const current = await this.find(project, organizationRef, connectionId, "saml");
    const saml = current.saml!;
    if (!saml.verificationCertificates.some((c) => c.certificateId === certificateId)) throw new AppError("sso_verification_key_not_found");
    if (saml.verificationCertificates.length === 1 && connectionStatus(current) === "active") throw new AppError("cannot_delete_last_sso_verification_key");
    const verificationCertificates = saml.verificationCertificates.filter((c) => c.certificateId !== certificateId);
    await this.save({ ...current, saml: { ...saml, verificationCertificates }, updatedAt: this.ctx.clock.now() });
    return certificateId;
  }

  async deleteEncryptionPrivateKey(project: Project, organizationRef: string, connectionId: string, privateKeyId: string): Promise<string> {
    const current = await this.find(project, organizationRef, connectionId, "saml");
    const saml = current.saml!;
    if (!saml.encryptionKeys.some((k) => k.privateKeyId === privateKeyId)) throw new AppError("sso_encryption_private_key_not_found");
    const encryptionKeys = saml.encryptionKeys.filter((k) => k.privateKeyId !== privateKeyId);
    await this.save({ ...current, saml: { ...saml, encryptionKeys }, updatedAt: this.ctx.clock.now() });
    return privateKeyId;
  }

  /** The PEM of an encryption key (the wire object shows it, as Stytch's does). */
  async openSealed(sealed: string): Promise<string> {
    return sealed === "" ? "" : this.instanceKeys.open(sealed);
  }

  // ---- OIDC ----

  async createOidc(project: Project, organizationRef: string, input: OidcConnectionInput): Promise<SsoConnection> {
    const organization = await this.organizations.get(project, organizationRef);
    const connection: SsoConnection = {
      ...this.base(project, organization, "oidc", input),
      oidc: {
        clientId: "",
        sealedClientSecret: "",
        issuer: "",
        authorizationUrl: "",
        tokenUrl: "",
        userinfoUrl: "",
        jwksUrl: "",
        customScopes: "",
        attributeMapping: {},
      },
    };
    await this.store.insertConnection(connection);
    return connection;
  }

  /** Updates an OIDC connection; `warning` says why issuer discovery did not fill the endpoints. */
  async updateOidc(project: Project, organizationRef: string, connectionId: string, input: OidcConnectionInput): Promise<{ connection: SsoConnection; warning: string }> {
    const current = await this.find(project, organizationRef, connectionId, "oidc");
    const oidc: OidcSettings = { ...current.oidc! };
    const testProject = project.environment === "test";
    const urlFields = [
      ["issuer", "issuer", "oidc_connection_issuer_url_invalid_format"],
      ["authorization_url", "authorizationUrl", "oidc_connection_authorization_url_invalid_format"],
      ["token_url", "tokenUrl", "oidc_connection_token_url_invalid_format"],
      ["userinfo_url", "userinfoUrl", "oidc_connection_userinfo_url_invalid_format"],
      ["jwks_url", "jwksUrl", "oidc_connection_jwks_url_invalid_format"],
    ] as const;
    for (const [field, , error] of urlFields) {
      const value = input[field];
      if (value !== undefined && value !== "" && idpUrlProblem(value, testProject)) throw new AppError(error);
    }
    let warning = "";
    if (input.issuer !== undefined && input.issuer !== "" && input.issuer !== oidc.issuer) {
      oidc.issuer = input.issuer;
      const discovered = await this.discover(input.issuer, testProject);
      if (discovered.ok) Object.assign(oidc, discovered.endpoints);
      else warning = discovered.warning;
    }
    for (const [field, key] of urlFields) {
      const value = input[field];
      if (field !== "issuer" && value !== undefined && value !== "") oidc[key] = value;
    }
    if (input.client_id !== undefined && input.client_id !== "") oidc.clientId = input.client_id;
    if (input.client_secret !== undefined && input.client_secret !== "") oidc.sealedClientSecret = await this.instanceKeys.seal(input.client_secret);
    if (input.custom_scopes !== undefined) oidc.customScopes = input.custom_scopes;
    if (input.attribute_mapping !== undefined) {
      if (Object.values(input.attribute_mapping).some((value) => typeof value !== "string")) throw new AppError("oidc_connection_no_nested_keys_in_attribute_mapping");
      oidc.attributeMapping = input.attribute_mapping as Record<string, string>;
    }
    const connection = await this.save({
      ...current,
      ...(input.display_name !== undefined ? { displayName: input.display_name } : {}),
      ...(input.identity_provider ? { identityProvider: input.identity_provider } : {}),
      oidc,
      updatedAt: this.ctx.clock.now(),
    });
    return { connection, warning };
  }

  /** `{issuer}/.well-known/openid-configuration`, when it names this issuer and usable endpoints. */
  private async discover(issuer: string, testProject: boolean): Promise<
    { ok: true; endpoints: Pick<OidcSettings, "authorizationUrl" | "tokenUrl" | "userinfoUrl" | "jwksUrl"> } | { ok: false; warning: string }
  > {
    const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const fetched = await fetchIdpDocument(url);
    if (!fetched.ok) return { ok: false, warning: `The issuer's discovery document could not be read (${fetched.reason}); set the endpoint URLs yourself.` };
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(fetched.text) as Record<string, unknown>;
    } catch {
      return { ok: false, warning: "The issuer's discovery document is not JSON; set the endpoint URLs yourself." };
    }
    if (document.issuer !== issuer) return { ok: false, warning: "The discovery document names another issuer; set the endpoint URLs yourself." };
    const pick = (name: string): string => {
      const value = document[name];
      return typeof value === "string" && idpUrlProblem(value, testProject) === null ? value : "";
    };
    return {
      ok: true,
      endpoints: { authorizationUrl: pick("authorization_endpoint"), tokenUrl: pick("token_endpoint"), userinfoUrl: pick("userinfo_endpoint"), jwksUrl: pick("jwks_uri") },
    };
  }

  // ---- External ----

  async createExternal(project: Project, organizationRef: string, input: ExternalConnectionInput): Promise<SsoConnection> {
    const organization = await this.organizations.get(project, organizationRef);
    const source = await this.organizations.get(project, input.external_organization_id ?? "").catch(() => {
      throw new AppError("external_connection_id_not_found");
    });
    const target = await this.store.findConnection(project.projectId, input.external_connection_id ?? "");
    if (!target || target.organizationId !== source.organizationId || target.kind === "external") throw new AppError("external_connection_id_not_found");
    if (source.organizationId === organization.organizationId) throw new AppError("external_connection_id_not_found");
    if (connectionStatus(target) !== "active") throw new AppError("external_connection_not_active");
    const mine = await this.store.connectionsOfOrganizations(project.projectId, [organization.organizationId]);
    if (mine.some((c) => c.kind === "external" && c.external!.externalConnectionId === target.connectionId)) throw new AppError("duplicate_external_sso_connection");
    checkRoles(input.connection_implicit_role_assignments, input.group_implicit_role_assignments);
    const connection: SsoConnection = {
      ...this.base(project, organization, "external", { display_name: input.display_name || target.displayName, identity_provider: target.identityProvider }),
      external: {
        externalOrganizationId: source.organizationId,
        externalConnectionId: target.connectionId,
        connectionRoles: roleList(input.connection_implicit_role_assignments ?? []),
        groupRoles: groupRoleList(input.group_implicit_role_assignments ?? []),
      },
    };
    await this.store.insertConnection(connection);
    return connection;
  }

  async updateExternal(project: Project, organizationRef: string, connectionId: string, input: ExternalConnectionInput): Promise<SsoConnection> {
    const current = await this.find(project, organizationRef, connectionId, "external");
    checkRoles(input.external_connection_implicit_role_assignments, input.external_group_implicit_role_assignments);
    const external = { ...current.external! };
    if (input.external_connection_implicit_role_assignments !== undefined) external.connectionRoles = roleList(input.external_connection_implicit_role_assignments);
    if (input.external_group_implicit_role_assignments !== undefined) external.groupRoles = groupRoleList(input.external_group_implicit_role_assignments);
    return this.save({
      ...current,
      ...(input.display_name !== undefined ? { displayName: input.display_name } : {}),
      external,
      updatedAt: this.ctx.clock.now(),
    });
  }
}
