/**
 * docs/reference/http.md cannot drift from the routes: its generated part must
 * be what `npm run docs:reference` writes from today's OpenAPI document, and
 * its hand-written table must list exactly the routes the app mounts outside
 * that document (hosted pages, assets, /docs).
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { type AppDescription, describeApp } from "../../scripts/docs/described-app.js";
import { withGeneratedPart } from "../../scripts/docs/http-reference.js";
import { headingsOf } from "../../scripts/docs/markdown.js";

const FILE = new URL("../../docs/reference/http.md", import.meta.url);
const OUTSIDE_SECTION = "## Browser pages and other routes outside the OpenAPI document";

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

  it("lists by hand exactly the routes the app mounts outside the OpenAPI document", () => {
    const described = new Set(operationsOf(app.document));
    const outside = new Set(app.routes.map((r) => `${r.method} ${r.path}`).filter((r) => !described.has(r)));
    const start = committed.indexOf(OUTSIDE_SECTION);
    expect(start, `the section "${OUTSIDE_SECTION}" is missing`).toBeGreaterThan(0);
    const next = committed.indexOf("\n## ", start + OUTSIDE_SECTION.length);
    const section = committed.slice(start, next < 0 ? undefined : next);
    const listed = [...section.matchAll(/^\|\s*`((?:GET|POST|PUT|PATCH|DELETE) \/[^`]*)`/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...outside].sort());
  });
});
