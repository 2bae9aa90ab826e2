import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import { DEFAULT_TENANT } from "../../core/tenants.js";
import type { AppEnv } from "../context.js";
import { createRouter } from "../openapi.js";
import { type HomeLinks, HomePage } from "../pages/home-page.js";
import { pageContext, sendPage } from "../pages/page.js";

const DISCOVERY_PATTERN = "/t/{tenant}/.well-known/openid-configuration";

const HomeSchema = z
  .object({
    docs: z.string().url().nullable(),
    openapi: z.string().url(),
    discovery: z.string().url().nullable(),
    discovery_pattern: z.string(),
    health: z.string().url(),
    readiness: z.string().url(),
  })
  .openapi("Home");

const home = createRoute({
  method: "get",
  path: "/",
  tags: ["Operations"],
  summary: "Where to start: the reference, discovery and health (HTML, or JSON for Accept: application/json)",
  responses: {
    200: {
      description: "Links to /docs, /openapi.json, the default tenant's discovery document and the health checks",
      content: {
        "text/html": { schema: z.string() },
        "application/json": { schema: HomeSchema },
      },
    },
  },
});

/** The seeded `default` tenant's discovery path, or null when there is no such tenant. */
async function defaultDiscovery(c: Context<AppEnv>): Promise<string | null> {
  // The page answers even while Postgres does not (/readyz reports that): no link then.
  const tenant = await c
    .get("services")
    .tenants.require(DEFAULT_TENANT)
    .catch(() => null);
  return tenant ? DISCOVERY_PATTERN.replace("{tenant}", tenant.slug) : null;
}

/**
 * `GET /`: a newcomer's first request. A browser gets a page in the hosted
 * pages' frame, a client asking for JSON the same links as absolute URLs.
 */
export function homeRoutes(docsServed: boolean) {
  return createRouter().openapi(home, async (c) => {
    const links: HomeLinks = {
      docs: docsServed ? "/docs" : null,
      openapi: "/openapi.json",
      discovery: await defaultDiscovery(c),
      discoveryPattern: DISCOVERY_PATTERN,
      health: "/healthz",
      readiness: "/readyz",
    };
    c.header("Vary", "Accept");
    const type = accepts(c, { header: "Accept", supports: ["text/html", "application/json"], default: "text/html" });
    if (type === "application/json") {
      const base = c.get("services").config.PUBLIC_URL;
      const absolute = (path: string | null) => (path === null ? null : `${base}${path}`);
      return c.json(
        {
          docs: absolute(links.docs),
          openapi: `${base}${links.openapi}`,
          discovery: absolute(links.discovery),
          discovery_pattern: `${base}${links.discoveryPattern}`,
          health: `${base}${links.health}`,
          readiness: `${base}${links.readiness}`,
        },
        200,
      );
    }
    // Outside any tenant: the service's own name in the brand line, the default look.
    const page = { ...(await pageContext(c)), tenantName: "Authority" };
    return sendPage(c, page, HomePage({ page, links }));
  });
}
