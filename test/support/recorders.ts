import type { LogFields, Logger } from "../../src/core/ports/logger.js";
import type { MetricLabels, Metrics } from "../../src/core/ports/telemetry.js";

export interface LogLine {
  level: "info" | "warn" | "error";
  event: string;
  fields: LogFields;
}

/** The Logger port, keeping every line (before any adapter's redaction) for a test to inspect. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (event: string, fields: LogFields = {}) => {
      lines.push({ level, event, fields });
    };
  return { logger: { info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

/** The Metrics port, keeping what it is told (the Prometheus and OTLP adapters have their own suites). */
export function recordingMetrics(): {
  metrics: Metrics;
  counts: { name: string; labels: MetricLabels }[];
  observed: { name: string; labels: MetricLabels }[];
} {
  const counts: { name: string; labels: MetricLabels }[] = [];
  const observed: { name: string; labels: MetricLabels }[] = [];
  const metrics: Metrics = {
    increment: (name, labels = {}) => {
      counts.push({ name, labels });
    },
    observe: (name, _seconds, labels = {}) => {
      observed.push({ name, labels });
    },
  };
  return { metrics, counts, observed };
}
