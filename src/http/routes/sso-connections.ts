/** @module /v1/b2b/sso/…: the SDK's `sso`, `sso.saml`, `sso.oidc` and `sso.external` connection management calls. */
import { connectionStatus, type SamlCertificate, type SsoConnection } from "../../domain/sso.js";
import { rfc3339 } from "../../domain/time.js";
import type { Services } from "../../services/services.js";
import type { RouteDefinition } from "../route.js";

function certificateToWire(c: SamlCertificate): Record<string, unknown> {
  const at = rfc3339(c.createdAt);
  return {
    certificate_id: c.certificateId,
    certificate: c.certificate,
    issuer: c.issuer,
    created_at: at,
    expires_at: c.expiresAt === null ? null : rfc3339(c.expiresAt),
    updated_at: at,
  };
}

/** `SAMLConnection` with every field the Python SDK requires (encryption keys shown as Stytch shows them). */
export async function samlConnectionToWire(c: SsoConnection, callback: string, open: (sealed: string) => Promise<string>): Promise<Record<string, unknown>> {
  const s = c.saml!;
  return {
    organization_id: c.organizationId,
    connection_id: c.connectionId,
    status: connectionStatus(c),
    idp_entity_id: s.idpEntityId,
    display_name: c.displayName,
    idp_sso_url: s.idpSsoUrl,
    acs_url: callback,
    audience_uri: callback,
    signing_certificates: [certificateToWire(s.signingCertificate)],
    verification_certificates: s.verificationCertificates.map(certificateToWire),
    encryption_private_keys: await Promise.all(
      s.encryptionKeys.map(async (k) => ({ private_key_id: k.privateKeyId, private_key: await open(k.sealedPrivateKey), created_at: rfc3339(k.createdAt) })),
    ),
    saml_connection_implicit_role_assignments: s.connectionRoles,
    saml_group_implicit_role_assignments: s.groupRoles,
    alternative_audience_uri: s.alternativeAudienceUri,
    identity_provider: c.identityProvider,
    nameid_format: s.nameidFormat,
    alternative_acs_url: s.alternativeAcsUrl,
    idp_initiated_auth_disabled: s.idpInitiatedAuthDisabled,
    allow_gateway_callback: s.allowGatewayCallback,
    attribute_mapping: s.attributeMapping,
  };
}

/** `OIDCConnection`; the client secret is shown in clear, as Stytch shows it. */
export async function oidcConnectionToWire(c: SsoConnection, callback: string, open: (sealed: string) => Promise<string>): Promise<Record<string, unknown>> {
  const o = c.oidc!;
  return {
    organization_id: c.organizationId,
    connection_id: c.connectionId,
    status: connectionStatus(c),
    display_name: c.displayName,
    redirect_url: callback,
    client_id: o.clientId,
    client_secret: await open(o.sealedClientSecret),
    issuer: o.issuer,
    authorization_url: o.authorizationUrl,
    token_url: o.tokenUrl,
    userinfo_url: o.userinfoUrl,
    jwks_url: o.jwksUrl,
    identity_provider: c.identityProvider,
    custom_scopes: o.customScopes,
    attribute_mapping: o.attributeMapping,
  };
}

export function externalConnectionToWire(c: SsoConnection): Record<string, unknown> {
  const e = c.external!;
  return {
    organization_id: c.organizationId,
    connection_id: c.connectionId,
    external_organization_id: e.externalOrganizationId,
    external_connection_id: e.externalConnectionId,
    display_name: c.displayName,
    status: "active",
    external_connection_implicit_role_assignments: e.connectionRoles,
    external_group_implicit_role_assignments: e.groupRoles,
  };
}

export function ssoConnectionRoutes(services: Services): RouteDefinition[] {
  const connections = services.ssoConnections;
  const open = (sealed: string) => connections.openSealed(sealed);
  const saml = async (c: SsoConnection) => ({ connection: await samlConnectionToWire(c, connections.callbackUrl(c), open) });
  const oidc = async (c: SsoConnection) => ({ connection: await oidcConnectionToWire(c, connections.callbackUrl(c), open) });
  const check = (action: string) => ({ params }: { params: Record<string, string> }) => ({
    organizationRef: params.organization_id!,
    resource: "stytch.sso",
    action,
  });
  const samlConnection = "/v1/b2b/sso/saml/:organization_id/connections/:connection_id";
  return [
    {
      method: "GET",
      url: "/v1/b2b/sso/:organization_id",
      summary: "List an organization's SAML, OIDC and external SSO connections",
      auth: "project",
      memberAuthorization: check("get"),
      handler: async ({ project, params }) => {
        const all = await connections.list(project, params.organization_id!);
        return {
          saml_connections: await Promise.all(all.saml.map((c) => samlConnectionToWire(c, connections.callbackUrl(c), open))),
          oidc_connections: await Promise.all(all.oidc.map((c) => oidcConnectionToWire(c, connections.callbackUrl(c), open))),
          external_connections: all.external.map(externalConnectionToWire),
        };
      },
    },
    {
      method: "DELETE",
      url: "/v1/b2b/sso/:organization_id/connections/:connection_id",
      summary: "Delete an SSO connection (not the organization's default, nor one other organizations log in through)",
      auth: "project",
      memberAuthorization: check("delete"),
      handler: async ({ project, params }) => ({ connection_id: await connections.delete(project, params.organization_id!, params.connection_id!) }),
    },
    {
      method: "POST",
      url: "/v1/b2b/sso/saml/:organization_id",
      summary: "Create a SAML connection (pending until the IdP's entity id, SSO URL, certificate and attribute mapping are set)",
      auth: "project",
      bodySchema: "sso-connection-create.request",
      memberAuthorization: check("create"),
      handler: async ({ project, params, body }) => saml(await connections.createSaml(project, params.organization_id!, body)),
    },
    {
      method: "PUT",
      url: samlConnection,
      summary: "Update a SAML connection; each x509_certificate is added (up to 5) so certificates rotate without downtime",
      auth: "project",
      bodySchema: "sso-saml-update.request",
      memberAuthorization: check("update"),
      handler: async ({ project, params, body }) => saml(await connections.updateSaml(project, params.organization_id!, params.connection_id!, body)),
    },
    {
      method: "PUT",
      url: `${samlConnection}/url`,
      summary: "Import a SAML connection's IdP entity id, SSO URL and certificate from the IdP's metadata URL",
      auth: "project",
      bodySchema: "sso-saml-update-by-url.request",
      memberAuthorization: check("update"),
      handler: async ({ project, params, body }) =>
        saml(await connections.updateSamlByMetadataUrl(project, params.organization_id!, params.connection_id!, (body as { metadata_url: string }).metadata_url)),
    },
    {
      method: "DELETE",
      url: `${samlConnection}/verification_certificates/:certificate_id`,
      summary: "Delete a SAML connection's IdP verification certificate (an active connection keeps at least one)",
      auth: "project",
      memberAuthorization: check("update"),
      handler: async ({ project, params }) => ({
        certificate_id: await connections.deleteVerificationCertificate(project, params.organization_id!, params.connection_id!, params.certificate_id!),
      }),
    },
    {
      method: "DELETE",
      url: `${samlConnection}/encryption_private_keys/:private_key_id`,
      summary: "Delete a SAML connection's encryption private key",
      auth: "project",
      memberAuthorization: check("update"),
      handler: async ({ project, params }) => ({
        private_key_id: await connections.deleteEncryptionPrivateKey(project, params.organization_id!, params.connection_id!, params.private_key_id!),
      }),
    },
    {
      method: "POST",
      url: "/v1/b2b/sso/oidc/:organization_id",
      summary: "Create an OIDC connection (pending until issuer, client credentials and endpoints are set)",
      auth: "project",
      bodySchema: "sso-connection-create.request",
      memberAuthorization: check("create"),
      handler: async ({ project, params, body }) => oidc(await connections.createOidc(project, params.organization_id!, body)),
    },
    {
      method: "PUT",
      url: "/v1/b2b/sso/oidc/:organization_id/connections/:connection_id",
      summary: "Update an OIDC connection; a new issuer's discovery document fills the endpoints the body leaves out",
      auth: "project",
      bodySchema: "sso-oidc-update.request",
      memberAuthorization: check("update"),
      handler: async ({ project, params, body }) => {
        const { connection, warning } = await connections.updateOidc(project, params.organization_id!, params.connection_id!, body);
        return { ...(await oidc(connection)), warning };
      },
    },
    {
      method: "POST",
      url: "/v1/b2b/sso/external/:organization_id",
      summary: "Create an external connection: log in through another organization's active SAML or OIDC connection",
      auth: "project",
      bodySchema: "sso-external-create.request",
      memberAuthorization: check("create"),
      handler: async ({ project, params, body }) => ({ connection: externalConnectionToWire(await connections.createExternal(project, params.organization_id!, body)) }),
    },
    {
      method: "PUT",
      url: "/v1/b2b/sso/external/:organization_id/connections/:connection_id",
      summary: "Update an external connection's display name and implicit roles",
      auth: "project",
      bodySchema: "sso-external-update.request",
      memberAuthorization: check("update"),
      handler: async ({ project, params, body }) => ({
        connection: externalConnectionToWire(await connections.updateExternal(project, params.organization_id!, params.connection_id!, body)),
      }),
    },
  ];
}
