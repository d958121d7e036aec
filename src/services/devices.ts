/**
 * @module Device telemetry: resolve a `telemetry_id` through the fingerprint lookup, record the
 * sighting per member, and describe it as Stytch's `member_device`. Never blocks or fails an
 * authentication: any lookup or storage problem simply yields no `member_device`.
 */
import type { Logger } from "pino";
import { rfc3339 } from "../domain/time.js";
import type { Member } from "../domain/types.js";
import type { FingerprintLookup } from "../telemetry/fingerprint-lookup.js";
import type { ServiceContext } from "./context.js";

export class DeviceService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly lookup: FingerprintLookup,
    private readonly logger?: Logger,
  ) {}

  async observe(member: Member, telemetryId: string | undefined, clientIp: string, userAgent: string): Promise<Record<string, unknown> | undefined> {
    if (telemetryId === undefined || telemetryId === "") return undefined;
    try {
      const device = await this.lookup.lookup(telemetryId);
      if (!device) return undefined;
      const now = this.ctx.clock.now();
      const ipAddress = device.ipAddress ?? clientIp;
      const seen = await this.ctx.store.recordMemberDevice({
        projectId: member.projectId,
        memberId: member.memberId,
        visitorId: device.visitorId,
        ipAddress,
        userAgent,
        now,
      });
      const details = (firstSeenAt: number | null) => ({
        is_new: firstSeenAt === null,
        first_seen_at: rfc3339(firstSeenAt ?? now),
        last_seen_at: rfc3339(now),
      });
      return {
        visitor_id: device.visitorId,
        visitor_id_details: details(seen.visitorFirstSeenAt),
        ip_address: ipAddress,
        ip_address_details: details(seen.ipFirstSeenAt),
        ...(device.ipGeo?.city ? { ip_geo_city: device.ipGeo.city } : {}),
        ...(device.ipGeo?.region ? { ip_geo_region: device.ipGeo.region } : {}),
        ...(device.ipGeo?.country ? { ip_geo_country: device.ipGeo.country } : {}),
      };
    } catch (error) {
      this.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, "device telemetry skipped");
      return undefined;
    }
  }
}
