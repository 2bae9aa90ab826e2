/**
 * Tracing and metrics ports. The core records what happened through these;
 * adapters decide where it goes (OpenTelemetry spans on both runtimes,
 * prom-client on Node, OTLP metrics on Workers). The no-op versions cost
 * nothing, so code never has to ask whether telemetry is on.
 */

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface Tracer {
  /**
   * Runs `fn` inside a child span of the active span: the span ends when `fn`
   * settles and records a thrown error (its name, never its message's
   * secrets). Attribute values must never be secrets.
   */
  span<T>(name: string, attributes: SpanAttributes, fn: () => Promise<T>): Promise<T>;
  /** The trace id of the active span, when a tracer is recording. */
  activeTraceId(): string | undefined;
}

export const noopTracer: Tracer = {
  span: (_name, _attributes, fn) => fn(),
  activeTraceId: () => undefined,
};

/** Counters the service exports (Prometheus names add the `authority_` prefix). */
export type CounterName =
  /** labels: method, route, status */
  | "http_requests_total"
  /** labels: outcome = success | failure | throttled | locked */
  | "logins_total"
  /** labels: outcome = rotated | grace | reuse | invalid */
  | "refreshes_total"
  /** labels: none (a refresh-token reuse that revoked a session) */
  | "refresh_reuse_detected_total"
  /** labels: limit (the limit's name), scope = ip | account */
  | "rate_limit_rejections_total"
  /** labels: trigger = admin | scheduled */
  | "signing_key_rotations_total"
  /** labels: reason */
  | "sessions_revoked_total";

export type HistogramName =
  /** labels: method, route */
  | "http_request_duration_seconds"
  /** labels: operation (repository.method) */
  | "db_query_duration_seconds"
  /** labels: command */
  | "redis_command_duration_seconds";

export type MetricLabels = Record<string, string>;

export interface Metrics {
  increment(name: CounterName, labels?: MetricLabels, by?: number): void;
  observe(name: HistogramName, seconds: number, labels?: MetricLabels): void;
}

export const noopMetrics: Metrics = {
  increment() {},
  observe() {},
};
