/**
 * `npm run docs:reference`: rewrites the generated part of
 * docs/reference/http.md from the app's OpenAPI document.
 * test/unit/http-reference.test.ts fails when the committed file differs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describeApp } from "./described-app.js";
import { withGeneratedPart } from "./http-reference.js";

// npm runs scripts from the package root.
const file = "docs/reference/http.md";
const { document } = await describeApp();
const before = readFileSync(file, "utf8");
const after = withGeneratedPart(before, document);
writeFileSync(file, after);
console.log(`docs/reference/http.md: ${before === after ? "unchanged" : "rewritten"} (${after.length} bytes)`);
