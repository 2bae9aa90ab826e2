/** Where the test suites find the real servers (scripts/test.mjs starts them). */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/**
 * Every database a test run creates starts with this and the run's id
 * (`{base36 start time}{random}`), so leftovers can be found and concurrent
 * runs on one server leave each other's databases alone.
 */
export const TEST_DATABASE_PREFIX = "authority_t_";
/** The migrated database of a run, which its test files copy theirs from. */
export const templateDatabaseOf = (runId: string) => `${TEST_DATABASE_PREFIX}${runId}_template`;
