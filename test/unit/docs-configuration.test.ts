/**
 * docs/configuration.md names every variable of the configuration schema
 * (src/config.ts), so a setting added to the service cannot go undocumented.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DURATION_MAX, DURATION_MIN } from "../../src/config-values.js";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

/** The keys of `const schema = z.object({ ... })`, read from the source: the schema itself is not exported. */
function schemaVariables(): string[] {
  const source = read("src/config.ts");
  const start = source.indexOf("const schema = z.object({");
  const end = source.indexOf("\n});", start);
  expect(start, "src/config.ts no longer has `const schema = z.object({`").toBeGreaterThan(0);
  return [...source.slice(start, end).matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1] as string);
}

describe("docs/configuration.md", () => {
  it("has a table row for every variable of the configuration schema", () => {
    const variables = schemaVariables();
    expect(variables.length).toBeGreaterThan(40);
    const documented = new Set(
      [...read("docs/configuration.md").matchAll(/^\| `([A-Z][A-Z0-9_]+)` /gm)].map((m) => m[1] as string),
    );
    expect(variables.filter((v) => !documented.has(v))).toEqual([]);
  });

  it("states the maximum of every duration in its row, and the minimum of those that have one, as the schema enforces them", () => {
    const rows = new Map(
      [...read("docs/configuration.md").matchAll(/^\| `([A-Z][A-Z0-9_]+)` .*$/gm)].map((m) => [m[1], m[0]]),
    );
    const wrong = Object.entries(DURATION_MAX).filter(
      ([name, max]) => !rows.get(name)?.includes(`At most \`${max}\`.`),
    );
    expect(wrong).toEqual([]);
    const tooShort = Object.entries(DURATION_MIN).filter(
      ([name, min]) => !rows.get(name)?.includes(`At least \`${min}\`. At most`),
    );
    expect(tooShort).toEqual([]);
    // Every duration of the schema has a maximum.
    const durations = [...read("src/config.ts").matchAll(/^ {2}([A-Z][A-Z0-9_]+): duration\(/gm)].map((m) => m[1]);
    expect(durations.sort()).toEqual(Object.keys(DURATION_MAX).sort());
  });
});
