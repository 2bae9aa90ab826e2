import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import type { Cursors } from "../../core/pagination/cursor.js";
import type { AuditCursor, AuditEventRecord } from "../../core/ports/database.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, problems } from "../openapi.js";
import { nextCursorField, PageQuerySchema } from "../pagination.js";
import { TenantParamSchema, UUID_PATTERN } from "../schemas.js";

const AuditEventSchema = z
  .object({
    id: z.string().uuid(),
    at: z.string().datetime(),
    action: z.string().openapi({ example: "login.failed" }),
    actor: z.object({
      type: z.enum(["user", "api_key", "bootstrap", "client", "system", "anonymous"]),
      id: z.string().nullable(),
    }),
    target: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
    ip: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).openapi({ description: "Never a secret, token or password" }),
  })
  .openapi("AuditEvent");

const filter = z.string().min(1).max(200).optional();

const listEvents = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/admin/audit-events",
  tags: ["Administration"],
  summary: "The tenant's audit trail, newest first",
  description:
    "Every admin write and the security events (logins, lockouts, refresh-token reuse, revocations, API keys, " +
    "key rotations). Filters combine; `next_cursor` continues the list.",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: {
    params: TenantParamSchema,
    query: PageQuerySchema.extend({
      action: filter,
      actor_id: filter,
      target_id: filter,
    }),
  },
  responses: {
    200: {
      description: "A page of events",
      content: {
        "application/json": {
          schema: z.object({ events: z.array(AuditEventSchema), next_cursor: nextCursorField }),
        },
      },
    },
    ...problems(400, 401, 403, 404),
  },
});

/** The position after the last event of a page: its time (ms) and id. */
const LAST_MS_OF_9999 = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const listing = (tenantId: string) => `audit-events:${tenantId}`;

async function decodeAuditCursor(cursors: Cursors, tenantId: string, text: string): Promise<AuditCursor> {
  const [ms = "", id = "", ...rest] = (await cursors.decode(listing(tenantId), text)) ?? [];
  // Past year 9999 a Date still exists, but Postgres refuses its ISO form.
  if (rest.length > 0 || !/^\d{1,15}$/.test(ms) || Number(ms) > LAST_MS_OF_9999 || !UUID_PATTERN.test(id)) {
    throw errors.validation([{ path: "cursor", message: "is not a cursor of this listing" }]);
  }
  return { at: new Date(Number(ms)), id };
}

const view = (e: AuditEventRecord) => ({
  id: e.id,
  at: e.at.toISOString(),
  action: e.action,
  actor: { type: e.actorType, id: e.actorId },
  target: { type: e.targetType, id: e.targetId },
  ip: e.ip,
  request_id: e.requestId,
  details: e.details,
});

export const auditEventRoutes = createRouter().openapi(listEvents, async (c) => {
  const query = c.req.valid("query");
  const limit = query.limit ?? 50;
  const { cursors, db } = c.get("services");
  const tenantId = c.get("tenant").id;
  // An empty `cursor=` is a cursor this listing never handed out (400), as at every other listing.
  const cursor = query.cursor === undefined ? null : await decodeAuditCursor(cursors, tenantId, query.cursor);
  const filters = { action: query.action, actorId: query.actor_id, targetId: query.target_id };
  // One more than asked tells whether a next page exists.
  const rows = await db.auditEvents.list(tenantId, filters, cursor, limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return c.json(
    {
      events: page.map(view),
      next_cursor:
        rows.length > limit && last
          ? await cursors.encode(listing(tenantId), String(last.at.getTime()), last.id)
          : null,
    },
    200,
  );
});
