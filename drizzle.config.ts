import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations from the schema into migrations/.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/adapters/postgres/schema.ts",
  out: "./migrations",
});
