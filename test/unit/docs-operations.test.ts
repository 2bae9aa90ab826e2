/**
 * docs/operations.md's metrics table names every metric the service exports
 * and, where a label has a fixed set of values, every value the code uses,
 * so a reason or scope added to the code cannot go undocumented.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COUNTERS, GAUGES, HISTOGRAMS, METRIC_PREFIX } from "../../src/adapters/telemetry/metric-catalogue.js";
import { REVOCATION_REASONS } from "../../src/core/sessions/session-types.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** The labels cell of the metric's row in the metrics table. */
function labelsCell(metric: string): string {
  const row = read("docs/operations.md")
    .split("\n")
    .find((line) => line.startsWith(`| \`${METRIC_PREFIX}${metric}\` `));
  expect(row, `docs/operations.md has no row for ${METRIC_PREFIX}${metric}`).toBeDefined();
  return (row as string).split("|")[3] ?? "";
}

/** The backquoted values of a metric's labels cell, but for the names of its labels. */
const valuesIn = (metric: keyof typeof COUNTERS) =>
  [...labelsCell(metric).matchAll(/`([a-z_]+)`/g)]
    .map((m) => m[1] as string)
    .filter((value) => !COUNTERS[metric].labelNames.includes(value));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

describe("docs/operations.md metrics", () => {
  it("has a row for every metric the service exports", () => {
    for (const metric of [...Object.keys(COUNTERS), ...Object.keys(HISTOGRAMS), ...Object.keys(GAUGES)]) {
      labelsCell(metric);
    }
  });

  it("lists every reason a session is revoked for, and no other", () => {
    expect(valuesIn("sessions_revoked_total").sort()).toEqual([...REVOCATION_REASONS].sort());
  });

  it("lists every scope of a rate-limit rejection the code counts, as its help text does", () => {
    const counted = new Set<string>();
    for (const file of sourceFiles(join(ROOT, "src"))) {
      const source = readFileSync(file, "utf8");
      for (const m of source.matchAll(/"rate_limit_rejections_total",\s*\{[^}]*scope:\s*"([a-z_]+)"/g)) {
        counted.add(m[1] as string);
      }
    }
    const scopes = [...counted].sort();
    expect(scopes.length).toBeGreaterThan(1);
    expect(valuesIn("rate_limit_rejections_total").sort()).toEqual(scopes);
    const help = /\(([a-z_, ]+)\)/.exec(COUNTERS.rate_limit_rejections_total.help)?.[1] ?? "";
    expect(help.split(/,\s*/).sort()).toEqual(scopes);
  });
});
