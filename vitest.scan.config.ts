import { defineConfig } from "vitest/config";

/** The log-redaction scan: run by scripts/test.mjs after every other suite, over what they logged. */
export default defineConfig({
  test: {
    include: ["test/scan/**/*.scan.ts"],
    testTimeout: 60_000,
  },
});
