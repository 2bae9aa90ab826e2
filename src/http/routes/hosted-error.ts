import { Hono } from "hono";
import { AppError } from "../../core/errors.js";
import type { AppEnv } from "../context.js";
import { ErrorPage } from "../pages/message-page.js";
import { pageContext, sendPage } from "../pages/page.js";

/** Errors a link to the error page may name; any other value shows the generic message (no text from the URL is shown). */
const NAMED = new Set(["expired_request", "invalid_client", "invalid_redirect_uri", "invalid_token"]);

/** `/t/{tenant}/error?error=`: the hosted error page, for links that end a flow elsewhere. */
export const hostedErrorRoutes = new Hono<AppEnv>().get("/t/:tenant/error", async (c) => {
  const named = c.req.query("error") ?? "";
  const error = new AppError(400, NAMED.has(named) ? named : "request_failed", "Request failed", "");
  const page = await pageContext(c);
  return sendPage(c, page, ErrorPage({ page, error }), { status: 400 });
});
