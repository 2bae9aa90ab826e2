import { startNeonHttpBridge } from "../../scripts/dev/neon-http-bridge.js";
import { createNeonHttpDatabase } from "../../src/adapters/postgres/neon-http.js";
import { createTestDatabase, rowReader } from "../support/postgres.js";
import { POSTGRES_ADMIN_URL } from "../support/services.js";
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
  const bridge = await startNeonHttpBridge({ postgresUrl: POSTGRES_ADMIN_URL });
  // Neon's driver sends the connection string; the bridge routes by its database name.
  const db = createNeonHttpDatabase(`postgresql://postgres:unused@neon.test/${database.name}`, bridge.endpoint);
  const reader = await rowReader(database.url);
  return {
    db,
    rows: reader.rows,
    close: async () => {
      await reader.close();
      await db.close();
      await bridge.close();
      await database.drop();
    },
  };
}

repositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
sessionRepositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
apiKeyRepositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
accountTokenRepositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
federationRepositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
clientRepositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
passkeyRepositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
mfaRepositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
revokedAccessTokenRepositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
reencryptionRepositoryContract("neon-http (Neon /sql bridge onto real Postgres)", open);
userErasureContract("neon-http (Neon /sql bridge onto real Postgres)", open);
