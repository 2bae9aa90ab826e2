import { defineConfig } from "vitest/config";

/**
 * Files that must run alone: they bound a wall-clock time (a drain, a timeout,
 * a refusal within 50 ms, a failover), or burst concurrent requests into
 * workerd, whose responses a loaded machine has cut off once. They run one at
 * a time after the rest, so another file loading the CPUs cannot fail them.
 */
const RUN_ALONE = [
  "test/contract/password-hasher.wasm.test.ts",
  "test/integration/failures.test.ts",
  "test/integration/rate-limiting.test.ts",
  "test/integration/saml-screen.test.ts",
  "test/integration/sessions-failover.test.ts",
  "test/integration/sessions-slot-migration.test.ts",
  "test/integration/store-outages.test.ts",
  "test/integration/store-timeouts.test.ts",
  "test/runtime/node-saml.test.ts",
  "test/runtime/node-shutdown.test.ts",
  "test/runtime/node-slow-clients.test.ts",
  "test/runtime/node.test.ts",
  "test/runtime/worker-sessions.test.ts",
  "test/sdk/client-transport.test.ts",
  "test/sdk/client-worker.test.ts",
  "test/sdk/jwks.test.ts",
];

/** The app in this process on its own database and Redis prefix: nothing a later file could inherit. */
const IN_PROCESS = ["test/unit/**/*.test.ts", "test/contract/**/*.test.ts", "test/integration/**/*.test.ts"];

export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        // Most files wait on servers and child processes: two at a time on two
        // CPUs (vitest's default would be CPUs - 1, one at a time here).
        test: {
          name: "parallel",
          include: ["test/**/*.test.ts"],
          exclude: [...IN_PROCESS, ...RUN_ALONE],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        // Files that change no process-wide state share their worker's modules
        // instead of importing the app afresh (about a second a file).
        test: {
          name: "in-process",
          include: IN_PROCESS,
          exclude: RUN_ALONE,
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: "alone", include: RUN_ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
