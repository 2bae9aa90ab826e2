import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { createTestDatabase } from "../support/postgres.js";
import { repositoryContract } from "./repositories.contract.js";

repositoryContract("pg (real Postgres over TCP)", async () => {
  const database = await createTestDatabase();
  const db = createPgDatabase(database.url, { max: 4 });
  return {
    db,
    close: async () => {
      await db.close();
      await database.drop();
    },
  };
});
