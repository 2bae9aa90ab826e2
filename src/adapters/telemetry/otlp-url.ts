/** `{endpoint}/v1/traces`: OTLP/HTTP appends the signal's path to the base endpoint (OTLP exporter spec). */
export function otlpTracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
}
