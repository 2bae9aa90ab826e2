import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { SIGNING_KEY_ROTATION_LIMIT } from "../../core/rate-limit/limits.js";
import { rateLimitedError } from "../../core/rate-limit/rate-limit-errors.js";
import { acceptNoBody } from "../middleware/body.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, problems } from "../openapi.js";
import { NO_QUERY, TenantParamSchema } from "../schemas.js";

const RotatedSchema = z.object({ next_kid: z.string(), active_kid: z.string() }).openapi("RotatedSigningKeys");

const rotate = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/admin/signing-keys/rotate",
  tags: ["Administration"],
  summary: "Rotate the signing keys now: the published next key signs from now on",
  description:
    "The active key retires (still published until every token it signed has expired), the next key becomes " +
    "active, and a new next key is published. An explicit rotation takes effect at once on the process that " +
    "answers it, and on the others within SIGNING_KEY_CACHE_TTL (30 s by default); the scheduled job " +
    "only rotates once the next key has been published for a whole JWKS cache lifetime. At most 10 rotations " +
    "a day per tenant (429 rate_limited with Retry-After beyond that); the JWKS keeps the 24 newest retired keys. " +
    "Concurrent rotations of one tenant may answer 409 rotation_conflict with Retry-After (nothing rotated, " +
    "not counted against the daily limit).",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE), acceptNoBody()] as const,
  request: { params: TenantParamSchema, query: NO_QUERY },
  responses: {
    200: { description: "Rotated", content: { "application/json": { schema: RotatedSchema } } },
    ...problems(400, 401, 403, 404, 409, 429),
  },
});

export const signingKeyRoutes = createRouter().openapi(rotate, async (c) => {
  const { limiter, metrics } = c.get("services");
  // Per tenant, not per network: it bounds the key generations and the
  // retired keys a ring holds. Without Redis it is not enforced (the JWKS
  // stays bounded regardless), so an emergency rotation still goes through.
  const key = `rl:${c.get("tenant").id}:signing_key_rotation`;
  const decision = await limiter.decide("signing_key_rotation", key, SIGNING_KEY_ROTATION_LIMIT);
  if (decision && !decision.allowed) {
    metrics.increment("rate_limit_rejections_total", { limit: "signing_key_rotation", scope: "tenant" });
    throw rateLimitedError(decision.retryAfterMs, "Too many rotations of this tenant's signing keys; try again later.");
  }
  let rotated: { activeKid: string; nextKid: string };
  try {
    rotated = await c.get("services").keyRing.rotate(c.get("tenant"), "admin");
  } catch (error) {
    // A rotation that failed (lost to concurrent ones, or a store failed) does not use up the day's quota.
    if (decision) await limiter.refund("signing_key_rotation", key, SIGNING_KEY_ROTATION_LIMIT);
    throw error;
  }
  const { activeKid, nextKid } = rotated;
  c.get("services").logger.info("signing_keys_rotated_by_admin", {
    tenant_id: c.get("tenant").id,
    active_kid: activeKid,
  });
  return c.json({ next_kid: nextKid, active_kid: activeKid }, 200);
});
