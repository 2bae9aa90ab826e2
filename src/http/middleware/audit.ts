import type { Context } from "hono";
import { adminAction, adminDetails } from "../../core/audit/admin-actions.js";
import { errorFields } from "../../core/logging/error-fields.js";
import { parseIp } from "../../core/net/ip.js";
import type { AuditEventRecord } from "../../core/ports/database.js";
import { inBackground } from "../background.js";
import type { AppEnv } from "../context.js";
import type { RequestScope } from "../request-scope.js";
import { routePattern } from "../route-pattern.js";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json/i;
const ADMIN_WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The audit trail's writer, called by the outermost layer once the inner
 * layers have answered (see app.ts; the scope's `audit` list was opened when
 * the request began). Security events raised while serving (see auditTap)
 * wait in the request's scope; a successful admin write adds its own entry.
 * An admin write's entries are stored before its response leaves (the
 * returned promise; a failed write is logged with the action, at error
 * level, so it is alerted on rather than silently missing); the rest
 * (logins) after the response, off its critical path. Nothing to write
 * returns no promise.
 */
export function closeAuditTrail(c: Context<AppEnv>, scope: RequestScope): Promise<void> | undefined {
  const entries = scope.audit ?? [];
  const services = c.get("services");
  const { db, clientIp } = services;
  // Events of the request's background work (a reset requested by mail) come after the answer:
  // each is written then, with the request's address, and kept alive as that work is (waitUntil).
  // The writer holds what it needs, never the request's context: it lives as long as that work,
  // and the context would keep the whole request (its body, its response) alive with it.
  scope.audit = undefined;
  const address = clientIp(c);
  const background = inBackground(c);
  scope.auditLater = (entry) =>
    background(
      db.auditEvents
        .append(withAddress(address, [entry]))
        .catch((error: unknown) =>
          services.logger.error("audit_write_failed", { action: entry.action, ...errorFields(error) }),
        ),
    );
  // Only admin routes go async here: a refresh (a POST too) returns at once.
  if (c.res.status < 400 && ADMIN_WRITES.has(c.req.method) && routePattern(c).includes("/v1/admin/"))
    return storeWithAdminEntry(c, entries, address, background);
  if (entries.length > 0) background(db.auditEvents.append(withAddress(address, entries)));
  return undefined;
}

/** An admin write's entry, with the request's others, stored before its answer leaves. */
async function storeWithAdminEntry(
  c: Context<AppEnv>,
  entries: AuditEventRecord[],
  address: string | null,
  background: ReturnType<typeof inBackground>,
): Promise<void> {
  const { db, logger } = c.get("services");
  const admin = await adminEntry(c);
  if (!admin) {
    if (entries.length > 0) background(db.auditEvents.append(withAddress(address, entries)));
    return;
  }
  try {
    await db.auditEvents.append(withAddress(address, [...entries, admin]));
  } catch (error) {
    logger.error("audit_write_failed", { action: admin.action, ...errorFields(error) });
  }
}

/** The entries with the request's address; only requests that leave entries pay for checking it. */
function withAddress(address: string | null, entries: AuditEventRecord[]): AuditEventRecord[] {
  // The column is inet, so only a well-formed address.
  const ip = parseIp(address) ? address : null;
  for (const entry of entries) entry.ip = ip;
  return entries;
}

/**
 * The body as the route took it: its validated fields (fields it does not
 * know are dropped there, and did not change anything), or the JSON as sent
 * when the route validates none.
 */
async function adminBody(c: Context<AppEnv>): Promise<unknown> {
  const validated = (c.req as unknown as { valid(target: "json"): unknown }).valid("json");
  if (validated !== undefined) return validated;
  // Hono keeps the body's text, so this parses it again but never reads the stream twice.
  return JSON_TYPE.test(c.req.header("content-type") ?? "") ? c.req.json().catch(() => null) : null;
}

async function adminEntry(c: Context<AppEnv>): Promise<AuditEventRecord | null> {
  const action = adminAction(c.req.method, routePattern(c), c.req.param() as Record<string, string>);
  if (!action) return null;
  const details = adminDetails(await adminBody(c));
  // A created resource is named by its response (a tenant, a key, a client).
  const created = action.targetId === null && c.req.method === "POST" ? await createdId(c.res) : null;
  const tenantId = c.get("tenant")?.id ?? (action.action === "admin.tenants.create" ? created : null);
  if (!tenantId) return null;
  const { random, clock } = c.get("services");
  const scope = c.get("scope");
  return {
    id: random.uuid(),
    tenantId,
    at: clock.now(),
    action: action.action,
    actorType: scope.actor?.type ?? "anonymous",
    actorId: scope.actor?.id ?? null,
    targetType: (action.targetId ?? created) ? action.targetType : null,
    targetId: action.targetId ?? created,
    ip: null,
    requestId: scope.requestId,
    details,
  };
}

async function createdId(response: Response): Promise<string | null> {
  if (!JSON_TYPE.test(response.headers.get("content-type") ?? "")) return null;
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as Record<string, unknown> | null;
  const id = body?.id ?? body?.client_id;
  return typeof id === "string" ? id : null;
}
