import type { Config } from "../config.js";
import { adminAction, adminDetails } from "../core/audit/admin-actions.js";
import { errors } from "../core/errors.js";
import { encryptionKeysProblem } from "../core/key-check.js";
import type { Tenant } from "../core/ports/database.js";
import type { Logger } from "../core/ports/logger.js";
import { apiKeyView, newKeyInput } from "../http/routes/api-keys.js";
import { UUID_PATTERN } from "../http/schemas.js";
import { buildServices } from "../http/services.js";
import { openNodeDeps } from "./node-deps.js";
import type { Operator } from "./operator.js";

/**
 * The operator commands on the core services, against the configured
 * database and Redis: what the admin routes do, without a server. Only for
 * state no running server holds in its own process (see server-record.ts).
 */
export async function openDirectOperator(config: Config, logger: Logger): Promise<Operator> {
  const deps = await openNodeDeps(config, logger);
  // As at the server's start: keys that cannot open the data would find no address (a second account for it).
  const keysProblem = await encryptionKeysProblem(deps.db, deps.sealer, logger);
  if (keysProblem) {
    await Promise.allSettled([deps.db.close(), deps.kv.close()]);
    throw new Error(keysProblem);
  }
  const { tenants, accounts, userAdmin, apiKeys, background, mailOutbox } = buildServices(deps);
  /** The entry the admin route's write leaves (see middleware/audit.ts), acted by the system: the operator at the database. */
  const recordAdminWrite = async (
    tenant: Tenant,
    write: { method: "PATCH" | "POST"; pattern: string; params?: Record<string, string>; body: unknown },
    createdId: string | null = null,
  ) => {
    const action = adminAction(write.method, write.pattern, write.params ?? {});
    if (!action) return;
    await deps.db.auditEvents.append([
      {
        id: deps.random.uuid(),
        tenantId: tenant.id,
        at: deps.clock.now(),
        action: action.action,
        actorType: "system",
        actorId: "cli",
        targetType: action.targetType,
        targetId: action.targetId ?? createdId,
        ip: null,
        requestId: null,
        details: adminDetails(write.body),
      },
    ]);
  };
  const live = async (tenant: Tenant, id: string) => {
    const user = UUID_PATTERN.test(id) ? await accounts.findUser(tenant, id.toLowerCase()) : null;
    if (!user) throw errors.notFound("No such user.");
    return user;
  };
  return {
    via: `the database (${deps.db.driver})`,
    async listUsers(slug, query) {
      const page = await userAdmin.list(await tenants.require(slug), query);
      const users = await Promise.all(page.users.map((user) => userAdmin.view(user)));
      return { users, next_cursor: page.nextCursor };
    },
    async getUser(slug, id) {
      return userAdmin.view(await live(await tenants.require(slug), id));
    },
    async createUser(slug, email, password) {
      return userAdmin.view(await accounts.signup(await tenants.require(slug), { email, password }));
    },
    async updateUser(slug, id, changes) {
      const tenant = await tenants.require(slug);
      const user = await userAdmin.update(tenant, (await live(tenant, id)).id, changes);
      if (!user) throw errors.notFound("No such user.");
      const params = { id: user.id };
      await recordAdminWrite(tenant, {
        method: "PATCH",
        pattern: "/t/:tenant/v1/admin/users/:id",
        params,
        body: changes,
      });
      return userAdmin.view(user);
    },
    async createServiceKey(slug, request) {
      const tenant = await tenants.require(slug);
      const { record, key } = await apiKeys.createForTenant(tenant, newKeyInput(request));
      await recordAdminWrite(
        tenant,
        { method: "POST", pattern: "/t/:tenant/v1/admin/api-keys", body: request },
        record.id,
      );
      const { last_used_at: _never, ...created } = apiKeyView(record);
      return { ...created, key };
    },
    async close() {
      // Audit entries and mail are sent in the background; they leave before the pools close.
      await Promise.all([background.drain(), mailOutbox?.drain()]);
      deps.mailer?.close?.();
      await Promise.allSettled([deps.db.close(), deps.kv.close()]);
    },
  };
}
