/**
 * Tracing and metrics ports. The core records what happened through these;
 * adapters decide where it goes (OpenTelemetry spans on both runtimes,
 * prom-client on Node, OTLP metrics on Workers). The no-op versions cost
 * nothing, so code never has to ask whether telemetry is on.
 */

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/** A span's W3C trace context (Trace Context §3.2): 32 and 16 lowercase hex, flags as 2 hex. */
interface SpanIds {
  traceId: string;
  spanId: string;
  traceFlags: string;
}

/** The span a traced function runs in. */
export interface SpanHandle {
  /** Its ids, or undefined when nothing is recorded (no tracer, or outside any trace). */
  readonly ids: SpanIds | undefined;
  setAttributes(attributes: SpanAttributes): void;
  /**
   * Marks the span failed: with an error, by its name only (messages may
   * carry user input); without one, for an answer that is a failure (5xx).
   */
  fail(error?: unknown): void;
  /** Headers that make a downstream call a child of this span (traceparent, tracestate); empty when not recording. */
  propagationHeaders(): Record<string, string>;
}

export interface SpanOptions {
  /** internal (default), server (an incoming request) or client (an outgoing call). */
  kind?: "internal" | "server" | "client";
  /**
   * For a server span: the incoming request's trace context headers
   * (traceparent, tracestate). Used only when no local span is active; a
   * runtime that opened its own request span (otel-cf-workers) already read them.
   */
  remoteParent?: Record<string, string | undefined>;
}

export interface Tracer {
  /**
   * Runs `fn` inside a child span of the active span: the span ends when `fn`
   * settles and records a thrown error (its name, never its message's
   * secrets). Attribute values must never be secrets. Outside any trace only
   * a server span starts one (a new root, or the child of `remoteParent`);
   * other spans there are not recorded (start-up, timers).
   */
  span<T>(
    name: string,
    attributes: SpanAttributes,
    fn: (span: SpanHandle) => Promise<T>,
    options?: SpanOptions,
  ): Promise<T>;
  /** The trace id of the active span, when a tracer is recording. */
  activeTraceId(): string | undefined;
}

export const noopSpan: SpanHandle = {
  ids: undefined,
  setAttributes() {},
  fail() {},
  propagationHeaders: () => ({}),
};

export const noopTracer: Tracer = {
  span: (_name, _attributes, fn) => fn(noopSpan),
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
  /** labels: limit (the limit's name), scope = ip | account | tenant */
  | "rate_limit_rejections_total"
  /** labels: trigger = admin | scheduled */
  | "signing_key_rotations_total"
  /** labels: reason (REVOCATION_REASONS) */
  | "sessions_revoked_total"
  /** labels: provider_type = oauth | saml (a federated login refused to join an existing account) */
  | "federated_link_refused_total"
  /** labels: kind (the mail's kind) */
  | "mail_sent_total"
  /** labels: kind, reason = error | rejected | smtputf8_unsupported | expired | queue_full (a mail given up) */
  | "mail_failed_total"
  /** Node: labels: reason = idle_evicted | address_limit | connection_limit | pipeline_limit */
  | "connections_closed_total"
  /** Node: labels: reason = full | waited_too_long | abandoned (a password hash shed rather than run) */
  | "password_hashes_shed_total";

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
