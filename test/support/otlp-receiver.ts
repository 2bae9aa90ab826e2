// Test support: an OTLP/HTTP receiver (the collector side of
// https://opentelemetry.io/docs/specs/otlp/#otlphttp) on 127.0.0.1 that keeps
// what exporters send to /v1/traces and /v1/metrics. JSON encoding only
// (`http/json`, what @opentelemetry/exporter-*-otlp-http and otel-cf-workers
// send); a protobuf body is refused with 415 so a misconfigured exporter shows.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** OTLP JSON ids are hex strings (OTLP spec, JSON Protobuf Encoding). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes: Record<string, unknown>;
  status?: { code?: number; message?: string };
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:4318 (exporters append /v1/traces, /v1/metrics). */
  url: string;
  /** Every export request body received, by signal. */
  requests: { traces: unknown[]; metrics: unknown[] };
  /** The spans received so far, flattened, with attributes as plain values. */
  spans(): ReceivedSpan[];
  /** Resolves once `predicate` holds for the received spans (polls; rejects after `timeoutMs`). */
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
};

/** OTLP AnyValue to a plain value (int64 arrives as a string in JSON). */
function plainValue(value: AnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plainValue);
  return undefined;
}

function plainAttributes(list: { key: string; value: AnyValue }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, plainValue(value)]));
}

interface TracesBody {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: AnyValue }[] };
    scopeSpans?: {
      spans?: (Omit<ReceivedSpan, "attributes" | "resource"> & { attributes?: { key: string; value: AnyValue }[] })[];
    }[];
  }[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests = { traces: [] as unknown[], metrics: [] as unknown[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const signal = req.url === "/v1/traces" ? "traces" : req.url === "/v1/metrics" ? "metrics" : null;
      if (req.method !== "POST" || !signal) {
        res.writeHead(404).end();
        return;
      }
      if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
        res.writeHead(415, { "Content-Type": "text/plain" }).end("only OTLP JSON is accepted here");
        return;
      }
      try {
        requests[signal].push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        res.writeHead(400).end();
        return;
      }
      // OTLP/HTTP: a full success is 200 with an empty Export*ServiceResponse.
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const spans = (): ReceivedSpan[] =>
    (requests.traces as TracesBody[]).flatMap((body) =>
      (body.resourceSpans ?? []).flatMap((rs) => {
        const resource = plainAttributes(rs.resource?.attributes);
        return (rs.scopeSpans ?? []).flatMap((ss) =>
          (ss.spans ?? []).map((span) => ({
            ...span,
            parentSpanId: span.parentSpanId || undefined,
            attributes: plainAttributes(span.attributes),
            resource,
          })),
        );
      }),
    );

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans,
    async waitForSpans(predicate, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const current = spans();
        if (predicate(current)) return current;
        if (Date.now() > until) throw new Error(`OTLP receiver: condition not met; ${current.length} spans received`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One data point of a received OTLP metric (sum, gauge or histogram), flattened. */
export interface ReceivedMetricPoint {
  name: string;
  kind: "sum" | "gauge" | "histogram";
  unit?: string;
  /** Sums: whether the sum only goes up (a counter). */
  isMonotonic?: boolean;
  /** 1 delta, 2 cumulative (OTLP AggregationTemporality). */
  temporality?: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  /** Sums and gauges. */
  value?: number;
  /** Histograms. */
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

type Attributes = { key: string; value: AnyValue }[];
type NumberPoint = {
  attributes?: Attributes;
  asInt?: string | number;
  asDouble?: number;
  startTimeUnixNano?: string;
  timeUnixNano?: string;
};
type HistogramPoint = {
  attributes?: Attributes;
  count?: string | number;
  sum?: number;
  bucketCounts?: (string | number)[];
  explicitBounds?: number[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
};
interface MetricsBody {
  resourceMetrics?: {
    resource?: { attributes?: Attributes };
    scopeMetrics?: {
      metrics?: {
        name: string;
        unit?: string;
        sum?: { dataPoints?: NumberPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
        gauge?: { dataPoints?: NumberPoint[] };
        histogram?: { dataPoints?: HistogramPoint[]; aggregationTemporality?: number };
      }[];
    }[];
  }[];
}

/** The data points of OTLP JSON metrics export bodies (e.g. `receiver.requests.metrics`), in arrival order. */
export function metricPoints(bodies: unknown[]): ReceivedMetricPoint[] {
  return (bodies as MetricsBody[]).flatMap((body) =>
    (body.resourceMetrics ?? []).flatMap((rm) => {
      const resource = plainAttributes(rm.resource?.attributes);
      return (rm.scopeMetrics ?? []).flatMap((sm) =>
        (sm.metrics ?? []).flatMap((metric): ReceivedMetricPoint[] => {
          const base = { name: metric.name, unit: metric.unit || undefined, resource };
          const times = (p: { startTimeUnixNano?: string; timeUnixNano?: string }) => ({
            startTimeUnixNano: p.startTimeUnixNano,
            timeUnixNano: p.timeUnixNano,
          });
          const number = (p: NumberPoint) => Number(p.asDouble ?? p.asInt);
          if (metric.sum) {
            return (metric.sum.dataPoints ?? []).map((p) => ({
              ...base,
              kind: "sum",
              isMonotonic: metric.sum?.isMonotonic,
              temporality: metric.sum?.aggregationTemporality,
              attributes: plainAttributes(p.attributes),
              value: number(p),
              ...times(p),
            }));
          }
          if (metric.gauge) {
            return (metric.gauge.dataPoints ?? []).map((p) => ({
              ...base,
              kind: "gauge",
              attributes: plainAttributes(p.attributes),
              value: number(p),
              ...times(p),
            }));
          }
          return (metric.histogram?.dataPoints ?? []).map((p) => ({
            ...base,
            kind: "histogram",
            temporality: metric.histogram?.aggregationTemporality,
            attributes: plainAttributes(p.attributes),
            count: Number(p.count),
            sum: p.sum,
            bucketCounts: (p.bucketCounts ?? []).map(Number),
            explicitBounds: p.explicitBounds ?? [],
            ...times(p),
          }));
        }),
      );
    }),
  );
}

/** Resolves the received metric points once `predicate` holds for them (polls; rejects after `timeoutMs`). */
export async function waitForMetricPoints(
  receiver: OtlpReceiver,
  predicate: (points: ReceivedMetricPoint[]) => boolean,
  timeoutMs = 10_000,
): Promise<ReceivedMetricPoint[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const points = metricPoints(receiver.requests.metrics);
    if (predicate(points)) return points;
    if (Date.now() > until) {
      throw new Error(`OTLP receiver: condition not met; ${receiver.requests.metrics.length} metric exports received`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
