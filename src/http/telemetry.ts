import { AsyncLocalStorage } from "node:async_hooks";
import { type Metrics, noopMetrics, noopTracer, type Tracer } from "../core/ports/telemetry.js";
import { traceDatabase } from "../core/telemetry/traced-database.js";
import { TracedKeyValueStore } from "../core/telemetry/traced-key-value.js";
import { tracePasswordHasher } from "../core/telemetry/traced-password-hasher.js";
import type { AppDeps } from "./context.js";
import type { RequestScope } from "./request-scope.js";

/**
 * The request a span is opened for, where the tracing layer's spans are:
 * only with a tracer, whose context (OpenTelemetry's AsyncLocalStorage on
 * Node) has switched on async hooks already, so this costs no more.
 */
const spanScope = new AsyncLocalStorage<RequestScope>();

/** Runs the rest of the request with its scope visible to the spans opened for it (see tracing). */
export function withSpanScope<T>(scope: RequestScope, fn: () => T): T {
  return spanScope.run(scope, fn);
}

/** Every span opened while a request is served carries its tenant and route, as its log lines carry its ids. */
function withRequestAttributes(tracer: Tracer): Tracer {
  return {
    span(name, attributes, fn, options) {
      const scope = spanScope.getStore();
      const ambient = scope ? { "authority.tenant": scope.tenant, "http.route": scope.route } : {};
      return tracer.span(name, { ...ambient, ...attributes }, fn, options);
    },
    activeTraceId: () => tracer.activeTraceId(),
  };
}

const configured = <T>(port: T | undefined, noop: T): T | undefined =>
  port === undefined || port === noop ? undefined : port;

/**
 * The deps with telemetry around the ports: spans and latency histograms for
 * Postgres and Redis, spans for password hashing. Without a tracer and
 * metrics, the ports are handed on untouched: no proxies, no cost.
 */
export function withTelemetry(deps: AppDeps): AppDeps & { tracer: Tracer; metrics: Metrics } {
  const tracer = configured(deps.tracer, noopTracer);
  const metrics = configured(deps.metrics, noopMetrics);
  if (!tracer && !metrics) return { ...deps, tracer: noopTracer, metrics: noopMetrics };
  const telemetry = { tracer: tracer ? withRequestAttributes(tracer) : noopTracer, metrics: metrics ?? noopMetrics };
  return {
    ...deps,
    ...telemetry,
    db: traceDatabase(deps.db, telemetry),
    kv: new TracedKeyValueStore(deps.kv, telemetry),
    passwords: tracer ? tracePasswordHasher(deps.passwords, telemetry.tracer) : deps.passwords,
  };
}
