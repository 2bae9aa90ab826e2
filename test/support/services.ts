/** Where the test suites find the real servers (scripts/test.mjs starts them). */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** The migrated database each test file copies its own from. */
export const TEMPLATE_DATABASE = "authority_test_template";
/** Every database a test run creates starts with this, so leftovers can be found. */
export const TEST_DATABASE_PREFIX = "authority_t_";
