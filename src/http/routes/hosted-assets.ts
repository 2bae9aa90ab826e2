import { Hono } from "hono";
import type { AppEnv } from "../context.js";
import { notModified } from "../etag.js";
import { HOSTED_CSS_PATH, HOSTED_CSS_VERSION } from "../pages/assets.js";
import { HOSTED_CSS } from "../pages/stylesheet.js";

const ETAG = `"${HOSTED_CSS_VERSION}"`;

/** The hosted pages' stylesheet, from the app itself (pages name it with its version in the query). */
export const hostedAssetRoutes = new Hono<AppEnv>().get(HOSTED_CSS_PATH, (c) => {
  c.header("Cache-Control", "public, max-age=31536000, immutable");
  c.header("ETag", ETAG);
  if (notModified(c, ETAG)) return c.body(null, 304);
  c.header("Content-Type", "text/css; charset=utf-8");
  return c.body(HOSTED_CSS);
});
