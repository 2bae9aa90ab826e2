import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");
const sources = readdirSync(SRC, { recursive: true, encoding: "utf8" })
  .filter((name) => name.endsWith(".ts"))
  .map((name) => join(SRC, name));

describe("request variables", () => {
  it("are read with c.get(): Hono's c.var copies every variable into a new object at each read", () => {
    const reads = sources.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/\b\w+\.var\b/g)].map((m) => `${relative(SRC, file)}: ${m[0]}`),
    );
    expect(sources.length).toBeGreaterThan(100);
    expect(reads).toEqual([]);
  });
});
