/** The OpenTelemetry settings: OTLP endpoint, service name, export headers. */
import { describe, expect, it } from "vitest";
import { otlpTracesUrl } from "../../src/adapters/telemetry/otlp-url.js";
import { ConfigError, parseConfig } from "../../src/config.js";

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const valid = { BOOTSTRAP_ADMIN_KEY: "admin-key-that-is-long-enough-0123456789", ENCRYPTION_KEYS: `v1:${KEY}` };

describe("OpenTelemetry configuration", () => {
  it("is off by default, with the service named authority", () => {
    const config = parseConfig(valid, "node");
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(config.OTEL_SERVICE_NAME).toBe("authority");
    expect(config.OTEL_EXPORTER_OTLP_HEADERS).toEqual({});
  });

  it("sends traces to {endpoint}/v1/traces, with or without a trailing slash or a path", () => {
    const endpoint = parseConfig({ ...valid, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, "node")
      .OTEL_EXPORTER_OTLP_ENDPOINT as string;
    expect(otlpTracesUrl(endpoint)).toBe("http://collector:4318/v1/traces");
    expect(otlpTracesUrl("https://otlp.example/api/")).toBe("https://otlp.example/api/v1/traces");
  });

  it("parses OTEL_EXPORTER_OTLP_HEADERS as name=value pairs with percent-encoded values", () => {
    const config = parseConfig(
      { ...valid, OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20abc%3D, x-tenant = blue ," },
      "node",
    );
    expect(config.OTEL_EXPORTER_OTLP_HEADERS).toEqual({ authorization: "Bearer abc=", "x-tenant": "blue" });
  });

  it.each(["no-equals-sign", "=s3cr3t", "bad name=s3cr3t", "a=%zz"])("refuses %j without echoing it", (headers) => {
    let error: unknown;
    try {
      parseConfig({ ...valid, OTEL_EXPORTER_OTLP_HEADERS: headers }, "node");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems.map((p) => p.variable)).toEqual(["OTEL_EXPORTER_OTLP_HEADERS"]);
    expect(message).not.toContain(headers);
  });

  it("refuses an endpoint that is not an http(s) URL", () => {
    expect(() => parseConfig({ ...valid, OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://collector:4317" }, "node")).toThrow(
      ConfigError,
    );
  });
});
