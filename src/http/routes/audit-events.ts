import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/api-keys.js";
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../../core/crypto/encoding.js";
import { errors } from "../../core/errors.js";
import type { AuditCursor, AuditEventRecord } from "../../core/ports/database.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

const AuditEventSchema = z
  .object({
    id: z.string().uuid(),
    at: z.string().datetime(),
    action: z.string().openapi({ example: "login.failed" }),
    actor: z.object({
      type: z.enum(["user", "api_key", "bootstrap", "system", "anonymous"]),
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
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).optional(),
      cursor: z.string().max(200).optional(),
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
          schema: z.object({ events: z.array(AuditEventSchema), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...problems(400, 401, 403, 404),
  },
});

/** An opaque cursor: the last event's time and id. */
const encodeCursor = (event: AuditEventRecord) => toBase64Url(utf8.encode(`${event.at.getTime()}.${event.id}`));

function decodeCursor(text: string): AuditCursor {
  const bytes = fromBase64Url(text);
  let match: RegExpExecArray | null = null;
  try {
    match = bytes ? /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(fromUtf8.decode(bytes)) : null;
  } catch {
    // not UTF-8: refused below
  }
  if (!match) throw errors.validation([{ path: "cursor", message: "is not a cursor this list gave out" }]);
  return { at: new Date(Number(match[1])), id: match[2] ?? "" };
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
  const cursor = query.cursor ? decodeCursor(query.cursor) : null;
  const filters = { action: query.action, actorId: query.actor_id, targetId: query.target_id };
  // One more than asked tells whether a next page exists.
  const rows = await c.var.services.db.auditEvents.list(c.var.tenant.id, filters, cursor, limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return c.json({ events: page.map(view), next_cursor: rows.length > limit && last ? encodeCursor(last) : null }, 200);
});
