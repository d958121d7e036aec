/**
 * @module Reading a document an administrator pointed Tessera at (OIDC discovery, SAML metadata):
 * GET only, no redirects followed, 5 s at most, 1 MiB at most. The URL was already checked to be
 * https (or loopback http in a test project) by the caller.
 */
const TIMEOUT_MS = 5_000;
const MAX_BYTES = 1024 * 1024;

export async function fetchIdpDocument(url: string): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: "application/json, application/xml, text/xml" } });
  } catch (error) {
    return { ok: false, reason: error instanceof Error && error.name === "TimeoutError" ? "timed out" : "unreachable" };
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel().catch(() => {});
    return { ok: false, reason: `HTTP ${response.status}` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > MAX_BYTES) {
        await response.body.cancel().catch(() => {});
        return { ok: false, reason: "larger than 1 MiB" };
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch {
    return { ok: false, reason: "unreadable" };
  }
  return { ok: true, text: Buffer.concat(chunks).toString("utf8") };
}
