import { forEachTenant } from "../core/jobs.js";
import type { Tenant } from "../core/ports/database.js";
import { revokeAllOfTenant } from "../core/recovery.js";
import type { AppDeps, Services } from "../http/context.js";
import { parseOptions, UsageError } from "./cli-commands.js";

/**
 * The jobs of cli.js that run on the database and Redis directly (never
 * through a server), each with the options it takes.
 */
export const JOB_USAGE = {
  "rotate-keys": "rotate-keys [--force [--tenant T]]",
  reencrypt: "reencrypt",
  cleanup: "cleanup",
  "revoke-all-sessions": "revoke-all-sessions [--tenant T] [--include-api-keys]",
} as const;

export type Job = keyof typeof JOB_USAGE;

export const isJob = (command: string | undefined): command is Job =>
  command !== undefined && Object.hasOwn(JOB_USAGE, command);

export interface JobOptions {
  /** One tenant's slug; every live tenant when absent. */
  tenant?: string;
  /** rotate-keys: rotate now, due or not. */
  force: boolean;
  /** revoke-all-sessions: every API key of the tenant(s) too. */
  includeApiKeys: boolean;
}

const FLAGS: Record<Job, Record<string, { type: "string" | "boolean" }>> = {
  "rotate-keys": { force: { type: "boolean" }, tenant: { type: "string" } },
  reencrypt: {},
  cleanup: {},
  "revoke-all-sessions": { tenant: { type: "string" }, "include-api-keys": { type: "boolean" } },
};

/** The job's options from its arguments; a UsageError for anything else. */
export function jobOptions(job: Job, args: string[]): JobOptions {
  const { tenant, force, "include-api-keys": includeApiKeys } = parseOptions(args, FLAGS[job]);
  if (tenant === "") throw new UsageError("--tenant needs a tenant's slug");
  // Without --force, rotate-keys is the scheduled job: every due tenant, never one chosen.
  if (job === "rotate-keys" && tenant !== undefined && force !== true) {
    throw new UsageError("--tenant goes with --force");
  }
  return {
    tenant: tenant as string | undefined,
    force: force === true,
    includeApiKeys: includeApiKeys === true,
  };
}

/** The tenant named, or every live tenant, one after the other. */
async function eachTenant(
  deps: AppDeps,
  services: Services,
  slug: string | undefined,
  visit: (tenant: Tenant) => Promise<void>,
): Promise<void> {
  if (slug === undefined) await forEachTenant(deps.db, visit);
  else await visit(await services.tenants.require(slug));
}

/**
 * `revoke-all-sessions`: ends every session of the tenant(s) in Redis and the
 * ledger (and with --include-api-keys revokes every API key), printing each
 * tenant's counts; each ending is logged and audited as the admin routes' are.
 * Stops at the first failure: running it again ends what is left.
 */
export async function revokeAllSessions(deps: AppDeps, services: Services, options: JobOptions): Promise<void> {
  const total = { tenants: 0, sessions: 0, apiKeys: 0 };
  const keys = (count: number) => (options.includeApiKeys ? ` and revoked ${count} API key(s)` : "");
  await eachTenant(deps, services, options.tenant, async (tenant) => {
    const ended = await revokeAllOfTenant(services, tenant, options.includeApiKeys);
    total.tenants++;
    total.sessions += ended.sessions;
    total.apiKeys += ended.apiKeys;
    console.log(`tenant "${tenant.slug}": ended ${ended.sessions} session(s)${keys(ended.apiKeys)}`);
  });
  console.log(`ended ${total.sessions} session(s)${keys(total.apiKeys)} of ${total.tenants} tenant(s)`);
}

/**
 * `rotate-keys --force`: rotates the signing keys of the tenant(s) now, due
 * or not, as POST /v1/admin/signing-keys/rotate does (without its daily
 * limit: an operator's emergency). Run twice, it retires both keys the ring
 * held: the active one and the published next one.
 */
export async function rotateKeysNow(deps: AppDeps, services: Services, options: JobOptions): Promise<void> {
  let tenants = 0;
  await eachTenant(deps, services, options.tenant, async (tenant) => {
    const { activeKid, nextKid } = await services.keyRing.rotate(tenant, "admin");
    services.logger.info("signing_keys_rotated_by_admin", {
      tenant_id: tenant.id,
      active_kid: activeKid,
      via: "cli",
    });
    tenants++;
    console.log(`tenant "${tenant.slug}": active key ${activeKid}, next key ${nextKid}`);
  });
  console.log(`rotated the keys of ${tenants} tenant(s)`);
}
