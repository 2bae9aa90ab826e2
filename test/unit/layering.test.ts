import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

const sourcesUnder = (folder: string): string[] =>
  readdirSync(join(SRC, folder), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(SRC, folder, name));

/** Every module a file imports (static, type-only and dynamic); the project's own as `src/…` paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map(([, spec]) =>
    (spec as string).startsWith(".")
      ? `src/${relative(SRC, resolve(dirname(file), spec as string))}`
      : (spec as string),
  );
}

const offending = (folder: string, refused: (spec: string) => boolean) =>
  sourcesUnder(folder).flatMap((file) =>
    importsOf(file)
      .filter(refused)
      .map((spec) => `${relative(SRC, file)} imports ${spec}`),
  );

describe("layering", () => {
  it("finds the imports it checks (the scan is not empty)", () => {
    const imports = sourcesUnder("core").flatMap(importsOf);
    expect(imports).toContain("src/core/ports/clock.js");
    expect(imports).toContain("jose");
  });

  it("keeps src/core to itself and packages: no node: module, and no config, HTTP, adapter or entry", () => {
    const outside = (spec: string) =>
      spec.startsWith("node:") || (spec.startsWith("src/") && !spec.startsWith("src/core/"));
    expect(offending("core", outside)).toEqual([]);
  });

  it("keeps src/http off the adapters and the entries, which hand it what they chose", () => {
    const runtimeSpecific = (spec: string) => spec.startsWith("src/adapters/") || spec.startsWith("src/entry/");
    expect(offending("http", runtimeSpecific)).toEqual([]);
  });
});
