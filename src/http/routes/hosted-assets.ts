import { Hono } from "hono";
import type { AppEnv } from "../context.js";
import { notModified } from "../etag.js";
import { FORMS_JS_ASSET, HOSTED_CSS_ASSET, type HostedAsset, PASSKEY_JS_ASSET } from "../pages/assets.js";

/** The hosted pages' stylesheet and scripts, from the app itself (pages name them with their version in the query). */
function serve(app: Hono<AppEnv>, asset: HostedAsset): Hono<AppEnv> {
  const etag = `"${asset.version}"`;
  return app.get(asset.path, (c) => {
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    c.header("ETag", etag);
    if (notModified(c, etag)) return c.body(null, 304);
    c.header("Content-Type", asset.contentType);
    return c.body(asset.body);
  });
}

export const hostedAssetRoutes = serve(
  serve(serve(new Hono<AppEnv>(), HOSTED_CSS_ASSET), PASSKEY_JS_ASSET),
  FORMS_JS_ASSET,
);
