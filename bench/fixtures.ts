/**
 * What a run needs on a fresh tenant before the load: users with passwords
 * (signed up a few at a time: each signup hashes a password), and, for the
 * service routes, an admin user (made admin in the database, as an operator
 * would) whose API keys carry `tokens:introspect` and `api_keys:verify`.
 */
import pg from "pg";
import type { User } from "./flows.js";
import { inParallel } from "./support.js";
import type { Target } from "./target.js";

const PASSWORD = "correct horse battery staple";
const SIGNUP_CONCURRENCY = 4;
const KEYS_PER_USER = 100;
const KEY_CREATE_CONCURRENCY = 4;
const SERVICE_SCOPES = ["api_keys:verify", "tokens:introspect"];

/** `count` users signed up on the target (their signup sessions stay live but are not chained). */
export async function signUpUsers(target: Target, count: number, tag = "u"): Promise<User[]> {
  const users = Array.from({ length: count }, (_, i) => ({ email: `${tag}${i}@bench.test`, password: PASSWORD }));
  await inParallel(count, SIGNUP_CONCURRENCY, async (i) => {
    await target.post(`/t/${target.tenant}/v1/signup`, users[i], 201, target.headers);
  });
  return users;
}

export interface ServiceKeys {
  /** The caller's key (Authorization of every introspection and verification). */
  caller: string;
  /** A key verified again and again (cache hits). */
  hit: string;
  /** Distinct keys, each verified once (cache misses). */
  miss: string[];
}

/** An admin user (scopes set in the database) and `missCount` + 2 API keys of theirs with the service scopes. */
export async function serviceKeys(target: Target, databaseUrl: string, missCount: number): Promise<ServiceKeys> {
  const count = missCount + 2;
  const keys: string[] = [];
  // The service holds at most KEYS_PER_USER usable keys an account: one admin account per that many keys.
  for (let first = 0; first < count; first += KEYS_PER_USER) {
    const token = await adminAccessToken(target, databaseUrl, `service-admin-${first}@bench.test`);
    const last = Math.min(count, first + KEYS_PER_USER);
    await inParallel(last - first, KEY_CREATE_CONCURRENCY, async (offset) => {
      const i = first + offset;
      const body = await target.post<{ key?: string }>(
        `/t/${target.tenant}/v1/api-keys`,
        { name: `key-${i}`, scopes: SERVICE_SCOPES },
        201,
        { Authorization: `Bearer ${token}` },
      );
      if (typeof body.key !== "string" || !body.key.startsWith("sk_"))
        throw new Error(`POST /v1/api-keys answered without a key: ${JSON.stringify(body)}`);
      keys[i] = body.key;
    });
  }
  const [caller = "", hit = "", ...miss] = keys;
  return { caller, hit, miss };
}

/** A new account made admin in the database (no API grants the first admin); its access token. */
async function adminAccessToken(target: Target, databaseUrl: string, email: string): Promise<string> {
  const credentials = { email, password: PASSWORD };
  const signup = await target.post<{ user?: { id?: string } }>(
    `/t/${target.tenant}/v1/signup`,
    credentials,
    201,
    target.headers,
  );
  const userId = signup.user?.id;
  if (typeof userId !== "string") throw new Error(`signup answered without user.id: ${JSON.stringify(signup)}`);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const updated = await db.query(`UPDATE users SET scopes = '["admin"]'::jsonb WHERE id = $1`, [userId]);
    if (updated.rowCount !== 1) throw new Error(`making user ${userId} admin updated ${updated.rowCount} rows`);
  } finally {
    await db.end();
  }
  return (await target.post<{ access_token: string }>(`/t/${target.tenant}/v1/login`, credentials)).access_token;
}
