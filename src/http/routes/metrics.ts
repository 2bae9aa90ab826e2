import { createRoute, z } from "@hono/zod-openapi";
import { constantTimeEqual } from "../../core/crypto/compare.js";
import { errors } from "../../core/errors.js";
import type { Services } from "../context.js";
import { bearerToken, triedBearer } from "../middleware/admin-auth.js";
import { createRouter, problems } from "../openapi.js";
import { notFoundHandler } from "../problem.js";

const scrape = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["Operations"],
  summary: "Prometheus metrics of this process (Node runtime)",
  description:
    "The Prometheus text exposition format: requests, errors and durations per route pattern, logins, refreshes, " +
    "reuse detections, rate-limit rejections, signing-key rotations, session revocations, Postgres and Redis " +
    "latency, and the process's own metrics, all prefixed `authority_`. Served by the Node runtime only; Workers " +
    "answer 404 and push the same metrics over OTLP instead. When `METRICS_TOKEN` is configured the scraper sends " +
    "it as a Bearer token.",
  // Either no credential (no METRICS_TOKEN configured) or the metrics token.
  security: [{}, { bearer: [] }],
  responses: {
    200: {
      description: "The metrics (`text/plain; version=0.0.4`)",
      content: { "text/plain": { schema: z.string() } },
    },
    ...problems(401, 404),
  },
});

/** With METRICS_TOKEN set, only a scraper presenting it reads the metrics (route counts can reveal traffic). */
async function requireMetricsToken(services: Services, header: string | undefined): Promise<void> {
  const expected = services.config.METRICS_TOKEN;
  if (!expected) return;
  const realm = services.config.PUBLIC_URL;
  const token = bearerToken(header);
  if (!token) {
    throw errors.unauthorized(realm, "This route needs the metrics token as a Bearer token.", triedBearer(header));
  }
  if (!(await constantTimeEqual(token, expected)))
    throw errors.unauthorized(realm, "The credential is not valid.", true);
}

/**
 * `GET /metrics` (API.md, Node runtime). The route is always declared, so the
 * OpenAPI document is the same on both runtimes; without a metrics source
 * that renders text (Workers) it answers the normal not-found problem.
 */
export const metricsRoutes = createRouter().openapi(scrape, async (c) => {
  const services = c.get("services");
  const source = services.metricsExposition;
  if (!source) return notFoundHandler();
  await requireMetricsToken(services, c.req.header("authorization"));
  c.header("Cache-Control", "no-store");
  return c.body(await source.render(), 200, { "Content-Type": source.contentType });
});
