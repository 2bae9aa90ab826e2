import { createRoute, z } from "@hono/zod-openapi";
import { errors } from "../../core/errors.js";
import type { Services } from "../context.js";
import { createRouter, problems } from "../openapi.js";

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["Operations"],
  summary: "Liveness: the process serves requests",
  responses: {
    200: {
      description: "Serving",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

const ReadySchema = z.object({
  status: z.literal("ok"),
  checks: z.object({ postgres: z.literal("ok"), redis: z.literal("ok") }),
});

const readyz = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["Operations"],
  summary: "Readiness: Postgres and Redis answer, and the process is not shutting down",
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: ReadySchema } } },
    ...problems(503),
  },
});

/** Resolves "ok", or a short reason when the check fails or does not answer in time. */
async function probe(check: () => Promise<void>, timeoutMs: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => "ok"), timeout]);
  } catch {
    return "unreachable";
  } finally {
    clearTimeout(timer);
  }
}

async function readiness(services: Services) {
  const timeoutMs = services.config.READINESS_TIMEOUT;
  const [postgres, redis] = await Promise.all([
    probe(() => services.db.ping(), timeoutMs),
    probe(() => services.kv.ping(), timeoutMs),
  ]);
  return { postgres, redis };
}

export const healthRoutes = createRouter()
  .openapi(healthz, (c) => c.json({ status: "ok" as const }, 200))
  .openapi(readyz, async (c) => {
    // Shutting down: out of the load balancer first, while in-flight requests finish.
    if (c.get("services").lifecycle?.draining) throw errors.notReady({ shutdown: "draining" });
    const checks = await readiness(c.get("services"));
    const failing = Object.fromEntries(Object.entries(checks).filter(([, state]) => state !== "ok"));
    if (Object.keys(failing).length > 0) {
      c.get("services").logger.warn("not_ready", { request_id: c.get("requestId"), ...failing });
      throw errors.notReady(failing);
    }
    return c.json({ status: "ok" as const, checks: { postgres: "ok" as const, redis: "ok" as const } }, 200);
  });
