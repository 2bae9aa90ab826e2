import stylesheet from "swagger-ui-dist/swagger-ui.css";
// wrangler.toml [[rules]] bundles both files into the Worker as Text modules (pinned swagger-ui-dist).
import script from "swagger-ui-dist/swagger-ui-bundle.js";
import type { DocsUiAssets } from "../../http/context.js";

/** Swagger UI's script and stylesheet, bundled into the Worker. */
export const swaggerUiAssets: DocsUiAssets = { script, stylesheet };
