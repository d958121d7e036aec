/**
 * @module The device-fingerprint port, and an HTTP adapter for a lookup service: given the
 * `telemetry_id` a client-side fingerprinting script produced, who is this device?
 */

export interface FingerprintResult {
  visitorId: string;
  ipAddress?: string;
  ipGeo?: { city?: string; region?: string; country?: string };
}

export interface FingerprintLookup {
  /** The device behind a telemetry id, or null when the service does not know it. Rejects on failure. */
  lookup(telemetryId: string): Promise<FingerprintResult | null>;
}

/** With no lookup service the telemetry id itself is the visitor id. */
export const builtInFingerprintLookup: FingerprintLookup = {
  async lookup(telemetryId) {
    return { visitorId: telemetryId };
  },
};

/**
 * `GET <url>?telemetry_id=<id>` answering `{visitor_id, ip_address?, ip_geo?: {city, region, country}}`
 * (404 = unknown), bounded by `timeoutMs`.
 */
export class HttpFingerprintLookup implements FingerprintLookup {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 500,
  ) {}

  async lookup(telemetryId: string): Promise<FingerprintResult | null> {
    const url = new URL(this.url);
    url.searchParams.set("telemetry_id", telemetryId);
    const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`fingerprint lookup answered ${response.status}`);
    const body = (await response.json()) as { visitor_id?: unknown; ip_address?: unknown; ip_geo?: Record<string, unknown> };
    if (typeof body.visitor_id !== "string" || body.visitor_id === "") return null;
    const geo = body.ip_geo ?? {};
    return {
      visitorId: body.visitor_id,
      ...(typeof body.ip_address === "string" ? { ipAddress: body.ip_address } : {}),
      ipGeo: {
        ...(typeof geo.city === "string" ? { city: geo.city } : {}),
        ...(typeof geo.region === "string" ? { region: geo.region } : {}),
        ...(typeof geo.country === "string" ? { country: geo.country } : {}),
      },
    };
  }
}
