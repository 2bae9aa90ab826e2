/** The strict exposition-format parser the metrics tests rely on: it accepts the format and refuses what is off. */
import { describe, expect, it } from "vitest";
import { parseExposition } from "../support/prometheus-text.js";

const HISTOGRAM = [
  "# HELP req_seconds Request duration.",
  "# TYPE req_seconds histogram",
  'req_seconds_bucket{route="/a",le="0.1"} 1',
  'req_seconds_bucket{route="/a",le="1"} 3',
  'req_seconds_bucket{route="/a",le="+Inf"} 4',
  'req_seconds_sum{route="/a"} 2.5',
  'req_seconds_count{route="/a"} 4',
].join("\n");

describe("parseExposition", () => {
  it("reads families, types, help, escaped labels, special values and timestamps", () => {
    const text = [
      "# HELP hits_total Hits, with a \\\\ and a\\nnewline.",
      "# TYPE hits_total counter",
      'hits_total{path="/x\\"y\\\\z\\n",code="200"} 3 1700000000000',
      'hits_total{path="/b",code="500",} 1e3',
      "# a comment",
      "",
      "# TYPE temp gauge",
      "temp -Inf",
      "nan_metric NaN",
      "nan_cased Nan",
      "inf_word +Infinity",
      HISTOGRAM,
      "",
    ].join("\n");
    const parsed = parseExposition(text);
    const hits = parsed.families.get("hits_total");
    expect(hits?.type).toBe("counter");
    expect(hits?.help).toBe("Hits, with a \\ and a\nnewline.");
    expect(parsed.find("hits_total", { code: "200" })).toEqual({
      name: "hits_total",
      labels: { path: '/x"y\\z\n', code: "200" },
      value: 3,
      timestamp: 1700000000000,
    });
    expect(parsed.value("hits_total", { path: "/b" })).toBe(1000);
    expect(parsed.value("temp")).toBe(Number.NEGATIVE_INFINITY);
    expect(parsed.value("nan_metric")).toBeNaN();
    expect(parsed.value("nan_cased")).toBeNaN(); // Go's ParseFloat ignores case; prom-client writes "Nan"
    expect(parsed.value("inf_word")).toBe(Number.POSITIVE_INFINITY);
    expect(parsed.families.get("nan_metric")?.type).toBe("untyped");
    expect(parsed.families.get("req_seconds")?.samples).toHaveLength(5);
    expect(parsed.value("req_seconds_count", { route: "/a" })).toBe(4);
    expect(parsed.value("absent_total")).toBe(0);
    expect(() => parsed.find("hits_total")).toThrow(/2 samples/);
  });

  it.each([
    ["a bad metric name", "1abc 1", /bad metric name/],
    ["a value that is no number", "x 1,5", /bad value/],
    ["two spaces", "x  1", /one space/],
    ["an unquoted label", "x{a=1} 1", /not quoted/],
    ["an unknown label escape", 'x{a="\\t"} 1', /unknown escape/],
    ["an unterminated label value", 'x{a="b} 1', /unterminated/],
    ["a repeated label", 'x{a="1",a="2"} 1', /repeated/],
    ["a bad label name", 'x{1a="1"} 1', /bad label name/],
    ["an unknown HELP escape", "# HELP x bad \\t\nx 1", /unknown escape/],
    ["an unknown type", "# TYPE x thing\nx 1", /unknown type/],
    ["a second TYPE", "# TYPE x gauge\n# TYPE x gauge\nx 1", /second TYPE/],
    ["a TYPE after the samples", "x 1\n# TYPE x gauge", /after its samples/],
    ["a duplicate series", 'x{a="1"} 1\nx{a="1"} 2', /duplicate series/],
    ["a family in two places", '# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# TYPE x gauge\nx{b="2"} 1', /two places/],
    ["a negative counter", "# TYPE x_total counter\nx_total -1", /negative counter/],
    ["a bad timestamp", "x 1 12.5", /bad timestamp/],
    ["a histogram without +Inf", HISTOGRAM.replace('le="+Inf"} 4', 'le="10"} 4'), /no \+Inf bucket/],
    [
      "a histogram whose +Inf differs from _count",
      HISTOGRAM.replace('_count{route="/a"} 4', '_count{route="/a"} 5'),
      /differs from _count/,
    ],
    ["non-cumulative buckets", HISTOGRAM.replace('le="1"} 3', 'le="1"} 0'), /not cumulative/],
    ["buckets out of order", HISTOGRAM.replace('le="1"} 3', 'le="0.01"} 3'), /increasing le/],
    ["a histogram without _sum", HISTOGRAM.replace('req_seconds_sum{route="/a"} 2.5\n', ""), /_sum or _count missing/],
    ["a bucket without le", HISTOGRAM.replace(',le="0.1"', ""), /numeric le/],
  ])("refuses %s", (_, text, reason) => {
    expect(() => parseExposition(text)).toThrow(reason);
  });
});
