import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { describe, expect, it } from "vitest";
import { openPgliteDatabase } from "../../src/adapters/postgres/pglite.js";
import { createPostgresDatabase, type DrizzleDb } from "../../src/adapters/postgres/repositories.js";
import { schema } from "../../src/adapters/postgres/schema.js";
import { MIGRATIONS_FOLDER } from "../../src/entry/node-deps.js";
import { accountTokenRepositoryContract } from "./account-token-repository.contract.js";
import { apiKeyRepositoryContract } from "./api-key-repository.contract.js";
import { clientRepositoryContract } from "./client-repository.contract.js";
import { federationRepositoryContract } from "./federation-repository.contract.js";
import { mfaRepositoryContract } from "./mfa-repository.contract.js";
import { passkeyRepositoryContract } from "./passkey-repository.contract.js";
import { reencryptionRepositoryContract } from "./reencryption-repository.contract.js";
import { type DatabaseHarness, repositoryContract } from "./repositories.contract.js";
import { revokedAccessTokenRepositoryContract } from "./revoked-access-token-repository.contract.js";
import { sessionRepositoryContract } from "./session-repository.contract.js";
import { userErasureContract } from "./user-erasure.contract.js";

/** What openPgliteDatabase does in memory, keeping hold of the client to read rows with. */
async function open(): Promise<DatabaseHarness> {
  const client = new PGlite();
  const orm = drizzle({ client, schema });
  await migrate(orm, { migrationsFolder: MIGRATIONS_FOLDER });
  const db = createPostgresDatabase(orm as unknown as DrizzleDb, "pglite", () => client.close());
  return {
    db,
    rows: async (query, params) => (await client.query<Record<string, unknown>>(query, params)).rows,
    close: () => db.close(),
  };
}

repositoryContract("PGlite (embedded)", open);
sessionRepositoryContract("PGlite (embedded)", open);
apiKeyRepositoryContract("PGlite (embedded)", open);
accountTokenRepositoryContract("PGlite (embedded)", open);
federationRepositoryContract("PGlite (embedded)", open);
clientRepositoryContract("PGlite (embedded)", open);
passkeyRepositoryContract("PGlite (embedded)", open);
mfaRepositoryContract("PGlite (embedded)", open);
revokedAccessTokenRepositoryContract("PGlite (embedded)", open);
reencryptionRepositoryContract("PGlite (embedded)", open);
userErasureContract("PGlite (embedded)", open);

describe("PGlite on disk", () => {
  it("keeps data across a restart and migrates an existing directory without loss", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pglite-"));
    try {
      const first = await openPgliteDatabase(join(dir, "db"), MIGRATIONS_FOLDER);
      const id = crypto.randomUUID();
      await first.tenants.createIfAbsent({ id, slug: "kept", name: "Kept", now: new Date() });
      await first.close();

      const second = await openPgliteDatabase(join(dir, "db"), MIGRATIONS_FOLDER);
      expect((await second.tenants.findBySlug("kept"))?.id).toBe(id);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
