/**
 * @module An IdP's SAML metadata (the document behind `update_by_url`): its entity id, the
 * HTTP-Redirect SingleSignOnService location, and its signing certificates. Documents with a DTD
 * are refused outright (no entity expansion), and nothing here trusts a signature: the
 * administrator vouches for the URL.
 */
import { DOMParser, type Element } from "@xmldom/xmldom";

const MD = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS = "http://www.w3.org/2000/09/xmldsig#";
const REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

export type MetadataResult =
  | { ok: true; entityId: string; ssoUrl: string; certificates: string[] }
  | { ok: false; problem: "invalid_xml_from_saml_metadata_url" | "saml_connection_metadata_invalid_format" };

function children(parent: Element, namespace: string, name: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(namespace, name));
}

export function parseIdpMetadata(xml: string): MetadataResult {
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, problem: "invalid_xml_from_saml_metadata_url" };
  let root: Element | null;
  try {
    let failed = false;
    const document = new DOMParser({ onError: (level) => { if (level !== "warning") failed = true; } }).parseFromString(xml, "text/xml");
    root = failed ? null : document.documentElement;
  } catch {
    root = null;
  }
  if (!root) return { ok: false, problem: "invalid_xml_from_saml_metadata_url" };
  const descriptor = root.localName === "EntityDescriptor" && root.namespaceURI === MD ? root : children(root, MD, "EntityDescriptor")[0];
  const idp = descriptor ? children(descriptor, MD, "IDPSSODescriptor")[0] : undefined;
  if (!descriptor || !idp) return { ok: false, problem: "saml_connection_metadata_invalid_format" };
  const entityId = descriptor.getAttribute("entityID") ?? "";
  const sso = children(idp, MD, "SingleSignOnService").find((e) => e.getAttribute("Binding") === REDIRECT_BINDING);
  const certificates = children(idp, MD, "KeyDescriptor")
    .filter((key) => (key.getAttribute("use") ?? "signing") === "signing")
    .flatMap((key) => children(key, DS, "X509Certificate"))
    .map((element) => (element.textContent ?? "").replace(/\s+/g, ""))
    .filter((base64) => base64 !== "")
    .map((base64) => `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`);
  const ssoUrl = sso?.getAttribute("Location") ?? "";
  if (entityId === "" || ssoUrl === "" || certificates.length === 0) return { ok: false, problem: "saml_connection_metadata_invalid_format" };
  return { ok: true, entityId, ssoUrl, certificates };
}
