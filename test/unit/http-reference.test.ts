/**
 * docs/reference/http.md cannot drift from the routes: its generated part must
 * be what `npm run docs:reference` writes from today's OpenAPI document, and
 * that document must describe every route the app mounts.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { type AppDescription, describeApp } from "../../scripts/docs/described-app.js";
import { withGeneratedPart } from "../../scripts/docs/http-reference.js";
import { headingsOf } from "../../scripts/docs/markdown.js";

const FILE = new URL("../../docs/reference/http.md", import.meta.url);

let app: AppDescription;
let committed: string;

beforeAll(async () => {
  app = await describeApp();
  committed = readFileSync(FILE, "utf8");
});

const operationsOf = (document: AppDescription["document"]) =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((method) => ["get", "post", "put", "patch", "delete"].includes(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );

describe("docs/reference/http.md", () => {
  it("has the generated part npm run docs:reference writes from the OpenAPI document", () => {
    const fresh = withGeneratedPart(committed, app.document);
    // Not toEqual: a diff of the whole file would bury the one thing to do.
    expect(committed === fresh, "docs/reference/http.md is stale: run `npm run docs:reference` and commit it").toBe(
      true,
    );
  });

  it("has a section for every operation of the OpenAPI document, and none for an operation it lacks", () => {
    const operations = operationsOf(app.document);
    expect(operations.length).toBeGreaterThan(80);
    const sections = headingsOf(committed)
      .map((h) => /^`((?:GET|POST|PUT|PATCH|DELETE) \/\S*)`$/.exec(h)?.[1])
      .filter((h) => h !== undefined);
    expect(sections.sort()).toEqual(operations.sort());
  });

  it("is generated from a document that describes every route the app mounts (the hosted pages included)", () => {
    const described = new Set(operationsOf(app.document));
    const outside = app.routes.map((r) => `${r.method} ${r.path}`).filter((r) => !described.has(r));
    expect(outside).toEqual([]);
  });
});
