import type { Sealer } from "../crypto/sealing.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, Tenant, UserRecord } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { NormalizedEmail } from "./email.js";

// A user's row: its sealed address and name, and the address's blind indexes.

export const EMAIL_INDEX_PURPOSE = "users.email";
export const emailContext = (tenantId: string, id: string) => `users.email:${tenantId}:${id}`;
export const nameContext = (tenantId: string, id: string) => `users.name:${tenantId}:${id}`;

/**
 * The blind indexes rows found by these keys may carry, in the keys' order
 * (the order lookups prefer them), each under every configured key version.
 */
export async function emailIndexesOf(sealer: Sealer, keys: string[]): Promise<string[]> {
  const indexes = await Promise.all(keys.map((key) => sealer.blindIndexes(key, EMAIL_INDEX_PURPOSE)));
  return indexes.flat();
}

/**
 * A live user other than the caller holding the address under another
 * configured key's index than `own`. The unique index compares one key's
 * indexes: while replicas seal under different first keys (a rollout of
 * ENCRYPTION_KEYS), two writes of one address at once both pass it. So each
 * writer looks again once its row is committed: of two such, at least one
 * sees the other, and gives way.
 */
export async function twinOf(
  deps: { db: Database; sealer: Sealer },
  tenantId: string,
  email: NormalizedEmail,
  own: string,
): Promise<UserRecord | null> {
  const others = (await emailIndexesOf(deps.sealer, email.searchKeys)).filter((index) => index !== own);
  return others.length > 0 ? deps.db.users.findByEmailIndex(tenantId, others) : null;
}

type InsertDeps = { db: Database; sealer: Sealer; clock: Clock; random: Random; logger: Logger };

/** Inserts a user unless the tenant has a live one with the email, under any configured key (then null). */
export async function insertUser(
  deps: InsertDeps,
  tenant: Tenant,
  email: NormalizedEmail,
  input: { name?: string | null; emailVerified: boolean; passwordHash: string | null },
): Promise<UserRecord | null> {
  const { sealer, db } = deps;
  const [id, now] = [deps.random.uuid(), deps.clock.now()];
  const name = input.name?.trim().slice(0, 200) || null;
  const user = await db.users.createIfAbsent({
    id,
    tenantId: tenant.id,
    emailIndex: await sealer.blindIndex(email.lookupKey, EMAIL_INDEX_PURPOSE),
    emailSealed: await sealer.seal(email.address, emailContext(tenant.id, id)),
    nameSealed: name ? await sealer.seal(name, nameContext(tenant.id, id)) : null,
    emailVerified: input.emailVerified,
    passwordHash: input.passwordHash,
    scopes: [],
    now,
  });
  if (!user) return null;
  const twin = await twinOf(deps, tenant.id, email, user.emailIndex);
  if (!twin) return user;
  await db.users.softDelete(tenant.id, user.id, now);
  deps.logger.info("user_creation_withdrawn", {
    tenant_id: tenant.id,
    user_id: user.id,
    other_user_id: twin.id,
  });
  return null;
}
