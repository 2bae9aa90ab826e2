import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { toBase64Url } from "../../core/crypto/encoding.js";
import type { Random } from "../../core/ports/clock.js";
import type { AppEnv, DocsUiAssets } from "../context.js";
import { notModified } from "../etag.js";
import { docsPolicy, ownPolicy } from "../middleware/security-headers.js";
import { HTML_PAGE, problems } from "../openapi.js";

/**
 * The rendered reference at /docs: Swagger UI's pinned files served by the
 * app itself under content-addressed URLs, so the page makes no third-party
 * request. Its scripts and stylesheet run by a per-response CSP nonce and
 * carry Subresource Integrity hashes.
 */

interface Asset {
  /** The path segment after /docs/assets/: name, content hash, extension. */
  file: string;
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
  /** Subresource Integrity of the bytes as served. */
  integrity: string;
}

const ASSETS_PATH = "/docs/assets";
/** Versioned by content hash: a new swagger-ui-dist gets new URLs, so browsers may keep these a year. */
const IMMUTABLE = "public, max-age=31536000, immutable";
const NONCE_BYTES = 16;

async function asset(name: string, extension: string, text: string, contentType: string): Promise<Asset> {
  const bytes = new TextEncoder().encode(text);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hash = toBase64Url(digest);
  const integrity = `sha256-${btoa(String.fromCharCode(...digest))}`;
  return { file: `${name}.${hash.slice(0, 16)}.${extension}`, bytes, contentType, etag: `"${hash}"`, integrity };
}

async function prepare(assets: DocsUiAssets) {
  const [script, stylesheet] = await Promise.all([
    asset("swagger-ui-bundle", "js", assets.script, "text/javascript; charset=utf-8"),
    asset("swagger-ui", "css", assets.stylesheet, "text/css; charset=utf-8"),
  ]);
  return { script, stylesheet, byFile: new Map([script, stylesheet].map((a) => [a.file, a])) };
}

function page(nonce: string, script: Asset, stylesheet: Asset): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authentication authority API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSETS_PATH}/${stylesheet.file}" integrity="${stylesheet.integrity}" nonce="${nonce}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${ASSETS_PATH}/${script.file}" integrity="${script.integrity}" nonce="${nonce}"></script>
<script nonce="${nonce}">
SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null, deepLinking: true });
</script>
</body>
</html>
`;
}

/** Mounts GET /docs and its assets; the assets are hashed once, at the first request. */
export function mountDocsUi(app: OpenAPIHono<AppEnv>, load: () => DocsUiAssets, random: Random): void {
  let prepared: ReturnType<typeof prepare> | undefined;
  const ready = () => {
    prepared ??= prepare(load());
    return prepared;
  };

  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs",
    tags: ["Operations"],
    summary: "This reference, rendered (Swagger UI)",
    responses: { 200: { description: "An HTML page", content: HTML_PAGE } },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: `${ASSETS_PATH}/{file}`,
    tags: ["Operations"],
    summary: "Swagger UI's script and stylesheet, under content-hashed names (the /docs page names them)",
    request: {
      params: z.object({ file: z.string().openapi({ param: { name: "file", in: "path" } }) }),
    },
    responses: {
      200: {
        description: "The file; ETag, cached for a year (immutable)",
        content: { "text/javascript": { schema: z.string() }, "text/css": { schema: z.string() } },
      },
      304: { description: "Not modified (If-None-Match)" },
      ...problems(404),
    },
  });
  app.get("/docs", async (c) => {
    const { script, stylesheet } = await ready();
    const nonce = toBase64Url(random.bytes(NONCE_BYTES));
    ownPolicy(c, docsPolicy(nonce));
    c.header("Cache-Control", "no-store");
    return c.html(page(nonce, script, stylesheet));
  });

  app.get(`${ASSETS_PATH}/:file`, async (c) => {
    const found = (await ready()).byFile.get(c.req.param("file"));
    if (!found) return c.notFound();
    c.header("Cache-Control", IMMUTABLE);
    c.header("ETag", found.etag);
    if (notModified(c, found.etag)) return c.body(null, 304);
    c.header("Content-Type", found.contentType);
    return c.body(found.bytes);
  });
}
