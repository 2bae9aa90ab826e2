import { lookupKeysOf } from "./accounts/email.js";
import { EMAIL_INDEX_PURPOSE, emailContext, nameContext } from "./accounts/user-rows.js";
import { type Sealer, SealingError } from "./crypto/sealing.js";
import { identityProfileContext } from "./federation/federated-logins.js";
import { providerSecretContext } from "./federation/federation.js";
import { totpSecretContext } from "./mfa/mfa.js";
import type { AccountTokenRecord, Database } from "./ports/database.js";
import type { Logger } from "./ports/logger.js";
import { spKeyContext } from "./saml/saml.js";
import { resealPrivateKey } from "./signing/keys.js";

const PAGE = 200;

/** What one pass rewrote under the current key, per table, and what it could not. */
export interface ReencryptionCounts {
  users: number;
  signingKeys: number;
  totpSecrets: number;
  oauthProviders: number;
  samlConnections: number;
  identityProfiles: number;
  accountTokens: number;
  /** Rows that changed while the pass read them: run it again. */
  skipped: number;
  /** Values no configured key opens (sealed under a key dropped already, or damaged); logged one by one. */
  unreadable: number;
  /** Users whose address another live user of the tenant has (two accounts of one address); logged one by one. */
  duplicates: number;
}

type Table = Exclude<keyof ReencryptionCounts, "skipped" | "unreadable" | "duplicates">;

/** What ends a pass: not a value but the database; says where, the database's error as its cause. */
class ReencryptionStopped extends Error {
  constructor(table: Table, id: string, cause: unknown) {
    super(`re-encryption stopped at ${table} ${id}`, { cause });
    this.name = "ReencryptionStopped";
  }
}

/** One sealed column of a table the pass walks: where a row's value is sealed, and how it is swapped. */
interface SealedColumn<Row> {
  table: Table;
  page(after: string | null, limit: number): Promise<Row[]>;
  id(row: Row): string;
  sealed(row: Row): string;
  /** The associated data the code seals and opens this value with. */
  context(row: Row): string;
  /** Stores `to` only while the row still holds `from`. */
  swap(id: string, from: string, to: string): Promise<boolean>;
}

/** Pages through rows in key order, visiting each. */
async function eachRow<Row>(
  page: (after: string | null) => Promise<Row[]>,
  key: (row: Row) => string,
  visit: (row: Row) => Promise<void>,
): Promise<void> {
  for (let after: string | null = null; ; ) {
    const rows = await page(after);
    for (const row of rows) await visit(row);
    if (rows.length < PAGE) return;
    after = key(rows[rows.length - 1] as Row);
  }
}

/** The blind index an address is stored and found under (the current key). */
function addressIndex(sealer: Sealer, address: string): Promise<string> {
  return sealer.blindIndex(lookupKeysOf(address).key, EMAIL_INDEX_PURPOSE);
}

/**
 * `stored`'s lookup key (the first of the address's search keys it was made
 * from, under its own key version) under the current key version; undefined
 * when none made it. A row indexed under an earlier rule keeps that rule's
 * key: lookups search it, and two such rows that today's rule makes one
 * address (`ος@`, `οσ@`) would otherwise meet in the unique index.
 */
async function sameKeyIndex(sealer: Sealer, address: string, stored: string): Promise<string | undefined> {
  const keyId = stored.slice(0, stored.indexOf(":"));
  for (const key of lookupKeysOf(address).searchKeys) {
    if ((await sealer.blindIndexUnder(keyId, key, EMAIL_INDEX_PURPOSE)) === stored) {
      return sealer.blindIndex(key, EMAIL_INDEX_PURPOSE);
    }
  }
  return undefined;
}

/**
 * Re-encryption after a new key-encryption key is put first in
 * ENCRYPTION_KEYS: reseals every sealed column (users' email and name,
 * signing keys, TOTP secrets, upstream providers' client secrets, SAML SP
 * keys, identity profiles, the addresses of usable mailed tokens) and
 * recomputes email indexes under the current key, row by row, while the
 * service keeps running (old keys keep opening rows not yet done). Rows
 * changed meanwhile are skipped and counted; run it again until it reports
 * none. A value no configured key opens, and a user whose address another
 * user of the tenant has, are logged and counted, and the pass goes on.
 */
export async function reencryptAll(
  db: Database,
  sealer: Sealer,
  logger: Logger,
  now: Date,
): Promise<ReencryptionCounts> {
  const done: ReencryptionCounts = {
    users: 0,
    signingKeys: 0,
    totpSecrets: 0,
    oauthProviders: 0,
    samlConnections: 0,
    identityProfiles: 0,
    accountTokens: 0,
    skipped: 0,
    unreadable: 0,
    duplicates: 0,
  };
  /**
   * One row's work: resolves whether it stored the row (false: changed
   * meanwhile) or undefined (nothing to store). A SealingError (no configured
   * key opens the value) is counted; anything else ends the pass, naming the row.
   */
  const attempt = async (table: Table, id: string, work: () => Promise<boolean | undefined>) => {
    try {
      const changed = await work();
      if (changed === undefined) return;
      if (changed) done[table]++;
      else done.skipped++;
    } catch (error) {
      if (!(error instanceof SealingError)) throw new ReencryptionStopped(table, id, error);
      done.unreadable++;
      logger.error("reencryption_unreadable", { table, id, reason: error.message });
    }
  };
  const column = <Row>(c: SealedColumn<Row>) =>
    eachRow(
      (after) => c.page(after, PAGE),
      c.id,
      async (row) => {
        const sealed = c.sealed(row);
        if (!sealer.needsReseal(sealed)) return;
        await attempt(c.table, c.id(row), async () => {
          const context = c.context(row);
          return c.swap(c.id(row), sealed, await sealer.seal(await sealer.open(sealed, context), context));
        });
      },
    );

  await eachRow(
    (after) => db.users.page(after, PAGE),
    (user) => user.id,
    async (user) => {
      const stale =
        sealer.needsReseal(user.emailSealed) ||
        (user.nameSealed !== null && sealer.needsReseal(user.nameSealed)) ||
        sealer.needsReindex(user.emailIndex);
      if (!stale) return;
      await attempt("users", user.id, async () => {
        const email = emailContext(user.tenantId, user.id);
        const name = nameContext(user.tenantId, user.id);
        const address = await sealer.open(user.emailSealed, email);
        const shown = user.nameSealed ? await sealer.open(user.nameSealed, name) : null;
        const emailIndex =
          (await sameKeyIndex(sealer, address, user.emailIndex)) ?? (await addressIndex(sealer, address));
        const stored = await db.users.reseal(user, {
          emailIndex,
          emailSealed: await sealer.seal(address, email),
          nameSealed: shown === null ? null : await sealer.seal(shown, name),
        });
        if (stored !== "taken") return stored;
        // Made while replicas sealed under different first keys (or before addresses were compared as now):
        // which account stays is the operator's call; the pass goes on.
        const other = await db.users.findByEmailIndex(user.tenantId, [emailIndex]);
        done.duplicates++;
        logger.error("reencryption_duplicate", {
          table: "users",
          tenant_id: user.tenantId,
          user_id: user.id,
          other_user_id: other?.id ?? null,
        });
        return undefined;
      });
    },
  );
  await eachRow(
    (after) => db.signingKeys.page(after, PAGE),
    (key) => key.id,
    async (key) => {
      if (!sealer.needsReseal(key.privateKeySealed)) return;
      // A private key never changes once stored: nothing to lose to a concurrent writer.
      await attempt("signingKeys", key.id, async () => {
        await db.signingKeys.reseal(key.id, await resealPrivateKey(key, sealer));
        return true;
      });
    },
  );
  await column({
    table: "totpSecrets",
    page: (after, limit) => db.totp.page(after, limit),
    id: (totp) => totp.id,
    sealed: (totp) => totp.secretSealed,
    context: (totp) => totpSecretContext(totp.tenantId, totp.id),
    swap: (id, from, to) => db.totp.reseal(id, from, to),
  });
  await column({
    table: "oauthProviders",
    page: (after, limit) => db.oauthProviders.page(after, limit),
    id: (provider) => provider.id,
    sealed: (provider) => provider.clientSecretSealed,
    context: (provider) => providerSecretContext(provider.tenantId, provider.name),
    swap: (id, from, to) => db.oauthProviders.reseal(id, from, to),
  });
  await column({
    table: "samlConnections",
    page: (after, limit) => db.samlConnections.page(after, limit),
    id: (connection) => connection.id,
    sealed: (connection) => connection.spPrivateKeySealed,
    context: (connection) => spKeyContext(connection.tenantId, connection.name),
    swap: (id, from, to) => db.samlConnections.reseal(id, from, to),
  });
  await column({
    table: "identityProfiles",
    page: (after, limit) => db.identities.pageProfiles(after, limit),
    id: (identity) => identity.id,
    sealed: (identity) => identity.profileSealed,
    context: (identity) => identityProfileContext(identity.tenantId, identity.provider, identity.subject),
    swap: (id, from, to) => db.identities.resealProfile(id, from, to),
  });
  // After the users: a verification or reset link is bound to its user's index as the users pass left it.
  await eachRow(
    (after) => db.accountTokens.pageUsable(after, PAGE, now),
    (token) => token.tokenHash,
    async (token) => {
      const stale =
        sealer.needsReindex(token.emailIndex) || (token.emailSealed !== null && sealer.needsReseal(token.emailSealed));
      if (!stale) return;
      await attempt("accountTokens", token.tokenHash, async () => {
        const next = await resealedToken(db, sealer, token);
        return next ? db.accountTokens.reseal(token.tokenHash, token, next) : undefined;
      });
    },
  );
  logger.info("reencryption_done", { ...done });
  return done;
}

/**
 * A mailed token's address under the current key. An email change carries
 * the new address sealed; a verification or reset names the user's address
 * at the time, re-indexed only while it still is the user's (otherwise the
 * link is refused anyway, and is left to expire: undefined).
 */
async function resealedToken(
  db: Database,
  sealer: Sealer,
  token: AccountTokenRecord,
): Promise<Pick<AccountTokenRecord, "emailIndex" | "emailSealed"> | undefined> {
  const context = emailContext(token.tenantId, token.userId);
  if (token.emailSealed !== null) {
    const address = await sealer.open(token.emailSealed, context);
    return { emailIndex: await addressIndex(sealer, address), emailSealed: await sealer.seal(address, context) };
  }
  const user = await db.users.findById(token.tenantId, token.userId);
  if (!user) return undefined;
  const emailIndex = await sameKeyIndex(sealer, await sealer.open(user.emailSealed, context), token.emailIndex);
  return emailIndex === undefined ? undefined : { emailIndex, emailSealed: null };
}
