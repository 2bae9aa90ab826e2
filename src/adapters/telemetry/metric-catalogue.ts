import { MAIL_FAILURE_REASONS } from "../../core/mail/outbox.js";
import { MAIL_KINDS } from "../../core/mail/templates.js";
import type { CounterName, HistogramName, MetricLabels } from "../../core/ports/telemetry.js";

/**
 * What every exported metric is: its help text, the only label names it may
 * carry (so cardinality stays bounded whatever a caller passes) and, for
 * histograms, the bucket boundaries. Both exporters read it, so Prometheus on
 * Node and OTLP on Workers publish the same names, labels and buckets.
 */

/** Every exported name starts with this (`authority_http_requests_total`). */
export const METRIC_PREFIX = "authority_";

export interface CounterSpec {
  help: string;
  labelNames: readonly string[];
  /** Label sets exported at 0 from the start, so rates over them exist before the first event. */
  initial?: readonly MetricLabels[];
}

export interface HistogramSpec {
  help: string;
  labelNames: readonly string[];
  /** Upper bounds in seconds (the +Inf bucket is implicit). */
  buckets: readonly number[];
}

/** Requests, from a cache-served JWKS (~1 ms) to a slow upstream identity provider (~10 s). */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** One Postgres query or Redis command, from a local Redis hit (~0.1 ms) to a slow remote query (~1 s). */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

const each = (label: string, values: readonly string[]) => values.map((value) => ({ [label]: value }));

export const COUNTERS: Record<CounterName, CounterSpec> = {
  http_requests_total: {
    help: "HTTP requests served, by method, route pattern and status.",
    labelNames: ["method", "route", "status"],
  },
  logins_total: {
    help: "Password logins, by outcome (success, failure, throttled, locked).",
    labelNames: ["outcome"],
    initial: each("outcome", ["success", "failure", "throttled", "locked"]),
  },
  refreshes_total: {
    help: "Refresh-token presentations, by outcome (rotated, grace, reuse, invalid, late: refused unspent after waiting in an overloaded service).",
    labelNames: ["outcome"],
    initial: each("outcome", ["rotated", "grace", "reuse", "invalid", "late"]),
  },
  refresh_reuse_detected_total: {
    help: "Refresh-token reuses that revoked a session.",
    labelNames: [],
    initial: [{}],
  },
  rate_limit_rejections_total: {
    help: "Requests refused by a rate limit, by limit and scope (ip, account, tenant).",
    labelNames: ["limit", "scope"],
  },
  signing_key_rotations_total: {
    help: "Signing-key rotations, by trigger (admin, scheduled).",
    labelNames: ["trigger"],
    initial: each("trigger", ["admin", "scheduled"]),
  },
  sessions_revoked_total: {
    help: "Sessions revoked, by reason.",
    labelNames: ["reason"],
  },
  federated_link_refused_total: {
    help: "Federated logins refused because an account with the email exists and is not verified on both sides, by provider type.",
    labelNames: ["provider_type"],
    initial: each("provider_type", ["oauth", "saml"]),
  },
  mail_sent_total: {
    help: "Mails handed to the mail server or provider, by kind.",
    labelNames: ["kind"],
    initial: each("kind", MAIL_KINDS),
  },
  mail_failed_total: {
    help: "Mails given up, by kind and reason (error: retries exhausted, rejected: refused for good, smtputf8_unsupported: a non-ASCII local part and an SMTP server without SMTPUTF8, expired: not sent in time, queue_full: dropped).",
    labelNames: ["kind", "reason"],
    initial: MAIL_KINDS.flatMap((kind) => MAIL_FAILURE_REASONS.map((reason) => ({ kind, reason }))),
  },
  // Node's server only: Workers never count it, so no series is exported at 0 there.
  connections_closed_total: {
    help: "Node: connections the server closed to keep slots free, by reason (idle_evicted: an idle one made room for a newcomer; address_limit, connection_limit: a newcomer refused on arrival; pipeline_limit: more than 16 requests unanswered on one connection).",
    labelNames: ["reason"],
  },
  // Node only, as above. No tenant label: tenants are unbounded.
  password_hashes_shed_total: {
    help: "Node: password hashes (argon2id) shed with 503 rather than run, by reason (full: the queue was full, and this one's tenant held the most; waited_too_long: waited past PASSWORD_HASH_MAX_WAIT; abandoned: its client had gone).",
    labelNames: ["reason"],
  },
};

/** Node only: values read from their owner when scraped (no labels). */
export type GaugeName = "password_hash_queue_depth";

export const GAUGES: Record<GaugeName, { help: string }> = {
  password_hash_queue_depth: { help: "Node: password hashes (argon2id) waiting for a slot, all tenants together." },
};

export const HISTOGRAMS: Record<HistogramName, HistogramSpec> = {
  http_request_duration_seconds: {
    help: "HTTP request duration in seconds, by method and route pattern.",
    labelNames: ["method", "route"],
    buckets: REQUEST_BUCKETS,
  },
  db_query_duration_seconds: {
    help: "Postgres query duration in seconds, by repository operation.",
    labelNames: ["operation"],
    buckets: STORE_BUCKETS,
  },
  redis_command_duration_seconds: {
    help: "Redis command duration in seconds, by command.",
    labelNames: ["command"],
    buckets: STORE_BUCKETS,
  },
};

/** Longest label value kept; longer ones are cut (values are patterns and enums, never user input). */
const MAX_LABEL_VALUE = 128;

/** Only the label names the metric declares, with bounded values; anything else is dropped. */
export function boundedLabels(labelNames: readonly string[], labels: MetricLabels = {}): MetricLabels {
  const kept: MetricLabels = {};
  for (const name of labelNames) {
    const value = labels[name];
    if (value !== undefined) kept[name] = value.slice(0, MAX_LABEL_VALUE);
  }
  return kept;
}

/** One string per distinct boundedLabels result (the values in declared order), cheaper than building it. */
export function labelKey(labelNames: readonly string[], labels: MetricLabels = {}): string {
  let key = "";
  for (const name of labelNames) {
    const value = labels[name];
    key += value === undefined ? "\u0001" : `\u0000${value.slice(0, MAX_LABEL_VALUE)}`;
  }
  return key;
}

/** Counters only go up, histograms only take durations: anything else is ignored rather than thrown at a request. */
export const isCount = (by: number) => Number.isFinite(by) && by >= 0;
export const isDuration = (seconds: number) => Number.isFinite(seconds) && seconds >= 0;
