/**
 * @module Prometheus metrics at `GET /metrics`: requests, latency and database round trips per
 * route, outbox depth, database pool. A few counters and a histogram written by hand: nothing here needs a library.
 */

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface RouteSeries {
  count: number;
  sumSeconds: number;
  buckets: number[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export class HttpMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, RouteSeries>();
  private readonly roundTrips = new Map<string, number>();

  /**
   * Records one answered request. `route` is the route pattern (never a raw URL with ids);
   * `databaseRoundTrips` what it had sent to the database by the time it was answered.
   */
  observe(method: string, route: string, status: number, seconds: number, databaseRoundTrips = 0): void {
    const requestKey = `${method}|${route}|${status}`;
    this.requests.set(requestKey, (this.requests.get(requestKey) ?? 0) + 1);
    const latencyKey = `${method}|${route}`;
    let series = this.latency.get(latencyKey);
    if (!series) {
      series = { count: 0, sumSeconds: 0, buckets: LATENCY_BUCKETS_SECONDS.map(() => 0) };
      this.latency.set(latencyKey, series);
    }
    this.roundTrips.set(latencyKey, (this.roundTrips.get(latencyKey) ?? 0) + databaseRoundTrips);
    series.count++;
    series.sumSeconds += seconds;
    LATENCY_BUCKETS_SECONDS.forEach((bound, index) => {
      if (seconds <= bound) series.buckets[index]!++;
    });
  }

  /** Round trips a request answered earlier sent afterwards (its audit event, say). */
  addRoundTrips(method: string, route: string, count: number): void {
    const key = `${method}|${route}`;
    this.roundTrips.set(key, (this.roundTrips.get(key) ?? 0) + count);
  }

  /** The text exposition format, with `gauges` (name → value, help) read at scrape time. */
  render(gauges: { name: string; help: string; value: number; type?: "gauge" | "counter" }[]): string {
    const lines: string[] = [];
    lines.push("# HELP tessera_http_requests_total HTTP requests answered, by route and status.");
    lines.push("# TYPE tessera_http_requests_total counter");
    for (const [key, count] of this.requests) {
      const [method, route, status] = key.split("|") as [string, string, string];
      lines.push(`tessera_http_requests_total{method="${method}",route="${escapeLabel(route)}",status="${status}"} ${count}`);
    }
    lines.push("# HELP tessera_http_request_duration_seconds Time to answer, by route.");
    lines.push("# TYPE tessera_http_request_duration_seconds histogram");
    for (const [key, series] of this.latency) {
      const [method, route] = key.split("|") as [string, string];
      const labels = `method="${method}",route="${escapeLabel(route)}"`;
      LATENCY_BUCKETS_SECONDS.forEach((bound, index) => {
        lines.push(`tessera_http_request_duration_seconds_bucket{${labels},le="${bound}"} ${series.buckets[index]}`);
      });
      lines.push(`tessera_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${series.count}`);
      lines.push(`tessera_http_request_duration_seconds_sum{${labels}} ${series.sumSeconds}`);
      lines.push(`tessera_http_request_duration_seconds_count{${labels}} ${series.count}`);
    }
    lines.push("# HELP tessera_db_round_trips_total Database round trips sent while answering, by route (SQLite: none).");
    lines.push("# TYPE tessera_db_round_trips_total counter");
    for (const [key, count] of this.roundTrips) {
      const [method, route] = key.split("|") as [string, string];
      lines.push(`tessera_db_round_trips_total{method="${method}",route="${escapeLabel(route)}"} ${count}`);
    }
    for (const gauge of gauges) {
      lines.push(`# HELP ${gauge.name} ${gauge.help}`);
      lines.push(`# TYPE ${gauge.name} ${gauge.type ?? "gauge"}`);
      lines.push(`${gauge.name} ${gauge.value}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
