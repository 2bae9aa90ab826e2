import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { DocsUiAssets } from "../../http/context.js";

const require = createRequire(import.meta.url);
const read = (file: string) => readFileSync(require.resolve(`swagger-ui-dist/${file}`), "utf8");

/** Swagger UI's script and stylesheet from the installed, pinned swagger-ui-dist (a production dependency). */
export function loadSwaggerUiAssets(): DocsUiAssets {
  return { script: read("swagger-ui-bundle.js"), stylesheet: read("swagger-ui.css") };
}
