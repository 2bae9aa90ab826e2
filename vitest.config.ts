import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest runs one worker fewer than there are CPUs: one file at a time on 2. Most files wait on
    // servers and child processes (Postgres, Redis, workerd, chromium), so two overlap well (689 -> 395 s on 2 vCPUs).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
