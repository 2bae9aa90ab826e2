import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { createTestDatabase, rowReader } from "../support/postgres.js";
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

async function open(): Promise<DatabaseHarness> {
  const database = await createTestDatabase();
  const db = createPgDatabase(database.url, { max: 4 });
  const reader = await rowReader(database.url);
  return {
    db,
    rows: reader.rows,
    close: async () => {
      await reader.close();
      await db.close();
      await database.drop();
    },
  };
}

repositoryContract("pg (real Postgres over TCP)", open);
sessionRepositoryContract("pg (real Postgres over TCP)", open);
apiKeyRepositoryContract("pg (real Postgres over TCP)", open);
accountTokenRepositoryContract("pg (real Postgres over TCP)", open);
federationRepositoryContract("pg (real Postgres over TCP)", open);
clientRepositoryContract("pg (real Postgres over TCP)", open);
passkeyRepositoryContract("pg (real Postgres over TCP)", open);
mfaRepositoryContract("pg (real Postgres over TCP)", open);
revokedAccessTokenRepositoryContract("pg (real Postgres over TCP)", open);
reencryptionRepositoryContract("pg (real Postgres over TCP)", open);
userErasureContract("pg (real Postgres over TCP)", open);
