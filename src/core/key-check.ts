import { emailContext } from "./accounts/user-rows.js";
import { type Sealer, sealedKeyId } from "./crypto/sealing.js";
import { providerSecretContext } from "./federation/federation.js";
import { totpSecretContext } from "./mfa/mfa.js";
import type { Database, SampledTable, SealedSample } from "./ports/database.js";
import type { Logger } from "./ports/logger.js";
import { spKeyContext } from "./saml/saml.js";
import { privateKeyContext } from "./signing/keys.js";

/** A key id, and the tables whose sampled values it fails. */
interface KeyTrouble {
  keyId: string;
  tables: SampledTable[];
}

/** What the sample says of ENCRYPTION_KEYS. */
interface KeyCheck {
  /** Key ids values are sealed under that ENCRYPTION_KEYS does not list. */
  missing: KeyTrouble[];
  /** Listed key ids under which no sampled value opens: another key was given that id. */
  mismatched: KeyTrouble[];
}

const contextOf: Record<SampledTable, (sample: SealedSample) => string> = {
  users: (s) => emailContext(s.tenantId, s.id),
  signing_keys: (s) => privateKeyContext(s.tenantId, s.id),
  mfa_totp: (s) => totpSecretContext(s.tenantId, s.id),
  oauth_providers: (s) => providerSecretContext(s.tenantId, s.name ?? ""),
  saml_connections: (s) => spKeyContext(s.tenantId, s.name ?? ""),
};

function add(troubles: Map<string, Set<SampledTable>>, keyId: string, table: SampledTable): void {
  const tables = troubles.get(keyId) ?? new Set();
  tables.add(table);
  troubles.set(keyId, tables);
}

const listed = (troubles: Map<string, Set<SampledTable>>): KeyTrouble[] =>
  [...troubles].map(([keyId, tables]) => ({ keyId, tables: [...tables].sort() }));

/**
 * Opens the database's sample of sealed values (SealedValueRepository) with
 * the configured keys. A key dropped before the re-encryption pass, or a key
 * given the id of another, leaves the service up but blind: no address is
 * found (logins fail, a sign-up makes a second account of an address) and
 * nothing sealed opens. One value that does not open under a key that opens
 * others is damage, not a wrong key: logged, not counted.
 */
async function checkKeys(db: Database, sealer: Sealer, logger: Logger): Promise<KeyCheck> {
  const missing = new Map<string, Set<SampledTable>>();
  const failed = new Map<string, Set<SampledTable>>();
  const opened = new Set<string>();
  for (const sample of await db.sealedValues.sample()) {
    const keyId = sealedKeyId(sample.sealed);
    if (keyId === undefined) continue; // erased, or not sealed
    if (!sealer.hasKey(keyId)) {
      add(missing, keyId, sample.table);
      continue;
    }
    try {
      await sealer.open(sample.sealed, contextOf[sample.table](sample));
      opened.add(keyId);
    } catch {
      add(failed, keyId, sample.table);
      logger.warn("sealed_value_unreadable", { table: sample.table, tenant_id: sample.tenantId, id: sample.id });
    }
  }
  for (const keyId of opened) failed.delete(keyId);
  return { missing: listed(missing), mismatched: listed(failed) };
}

const quoted = (troubles: KeyTrouble[]) => troubles.map((t) => `"${t.keyId}"`).join(", ");
const tablesOf = (troubles: KeyTrouble[]) => [...new Set(troubles.flatMap((t) => t.tables))].sort().join(", ");

/**
 * Checks that ENCRYPTION_KEYS opens this database's sealed data (a few
 * indexed reads: see SealedValueRepository). Resolves undefined when it
 * does; otherwise logs `encryption_keys_unusable` at error level, naming the
 * key ids and tables, and resolves the message the operator must read.
 */
export async function encryptionKeysProblem(db: Database, sealer: Sealer, logger: Logger): Promise<string | undefined> {
  const { missing, mismatched } = await checkKeys(db, sealer, logger);
  if (missing.length === 0 && mismatched.length === 0) return undefined;
  logger.error("encryption_keys_unusable", {
    missing_key_ids: missing.map((t) => t.keyId),
    mismatched_key_ids: mismatched.map((t) => t.keyId),
    tables: tablesOf([...missing, ...mismatched]),
  });
  const lines = ["ENCRYPTION_KEYS cannot open this database's data."];
  if (missing.length > 0) {
    lines.push(
      `Values in ${tablesOf(missing)} are sealed under the key id(s) ${quoted(missing)}, which ENCRYPTION_KEYS does not list.`,
      "Put each of those keys back in ENCRYPTION_KEYS (after the first), run `cli.js reencrypt` until it reports",
      "0 skipped and 0 unreadable, and only then drop them (docs/operations.md, Encryption keys).",
    );
  }
  if (mismatched.length > 0) {
    lines.push(
      `The key(s) listed as ${quoted(mismatched)} do not open the values sealed under those ids in ${tablesOf(mismatched)}:`,
      "another key was given that id. List the key those values were sealed with under its id.",
    );
  }
  return lines.join("\n");
}
