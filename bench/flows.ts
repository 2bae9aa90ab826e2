/**
 * The request flows the load generator runs (bench/load.ts): each builds the
 * next request and checks its answer, so a wrong answer counts as an error
 * even with a 2xx status.
 *   - login: users in turn; each answer starts a refresh chain;
 *   - refresh: the chains (bench/chains.ts), each presenting its own last token;
 *   - introspect: live access or refresh tokens, with an API key holding tokens:introspect;
 *   - API-key verification: one key again and again (cache hit) or distinct keys once each (miss);
 *   - GET routes (JWKS, health, readiness, an unknown route) with their expected status.
 */
import { type Chains, parseTokenAnswer } from "./chains.js";
import type { Call, Flow } from "./load.js";

export interface User {
  email: string;
  password: string;
}

const JSON_HEADERS = { "Content-Type": "application/json" };
const bearer = (token: string) => ({ ...JSON_HEADERS, Authorization: `Bearer ${token}` });
const parseJson = (body: string): Record<string, unknown> => {
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};
const expectStatus = (status: number, expected: number, body: string) =>
  status === expected ? undefined : `answered ${status} (expected ${expected}): ${body.slice(0, 160)}`;

/** Logs the users in, in turn (user i % users.length); every answer starts a chain. */
export function loginFlow(tenant: string, users: User[], chains: Chains, headers: Record<string, string> = {}): Flow {
  let next = 0;
  return {
    next(ctx) {
      const user = next++ % users.length;
      ctx.user = user;
      return {
        method: "POST",
        path: `/t/${tenant}/v1/login`,
        headers: { ...JSON_HEADERS, ...headers },
        body: JSON.stringify(users[user]),
      };
    },
    check(status, body, ctx) {
      if (status !== 200) return `login ${expectStatus(status, 200, body)}`;
      const answer = parseTokenAnswer(body);
      if (typeof answer === "string") return `login: ${answer}`;
      const chain = chains.start(ctx.user as number, answer);
      return typeof chain === "string" ? `login: ${chain}` : undefined;
    },
  };
}

/**
 * Refreshes the chains: a client takes the chain idle longest, presents its
 * token, and gives it back with the successor. A chain whose answer was
 * wrong is not given back (presenting its token again could be reuse).
 */
export function refreshFlow(tenant: string, chains: Chains, headers: Record<string, string> = {}): Flow {
  return {
    next(ctx): Call {
      const chain = chains.take();
      if (!chain) {
        // More clients than chains: the run is mis-sized. Ask for something harmless and count an error.
        ctx.starved = true;
        return { method: "GET", path: "/healthz", headers };
      }
      ctx.chain = chain;
      const reused = chains.present(chain);
      if (reused) throw new Error(`bench bug: ${reused}`);
      return {
        method: "POST",
        path: `/t/${tenant}/v1/token/refresh`,
        headers: { ...JSON_HEADERS, ...headers },
        body: JSON.stringify({ refresh_token: chain.token }),
      };
    },
    check(status, body, ctx) {
      if (ctx.starved) return "refresh: no free chain (more clients than sessions)";
      const chain = ctx.chain as Parameters<Chains["give"]>[0];
      const problem = chains.advance(chain, status, body);
      if (problem) return `refresh: ${problem}`;
      chains.give(chain);
      return undefined;
    },
  };
}

/** Introspects `tokens()` in turn; each must be active with `tokenType`. */
export function introspectFlow(
  tenant: string,
  callerKey: string,
  tokens: () => string[],
  tokenType: "Bearer" | "refresh_token",
): Flow {
  let next = 0;
  const hint = tokenType === "refresh_token" ? { token_type_hint: "refresh_token" } : {};
  return {
    next() {
      const list = tokens();
      const token = list[next++ % list.length] as string;
      return {
        method: "POST",
        path: `/t/${tenant}/v1/introspect`,
        headers: bearer(callerKey),
        body: JSON.stringify({ token, ...hint }),
      };
    },
    check(status, body) {
      const wrong = expectStatus(status, 200, body);
      if (wrong) return `introspect ${wrong}`;
      const parsed = parseJson(body);
      if (parsed.active !== true || parsed.token_type !== tokenType)
        return `introspect: a live ${tokenType} token was not active: ${body.slice(0, 160)}`;
      return undefined;
    },
  };
}

/** Verifies `keys` in turn (one key: cache hits; distinct keys each once: misses); each must be valid. */
export function apiKeyVerifyFlow(tenant: string, callerKey: string, keys: string[]): Flow {
  let next = 0;
  return {
    next() {
      const key = keys[next++ % keys.length] as string;
      return {
        method: "POST",
        path: `/t/${tenant}/v1/api-keys/verify`,
        headers: bearer(callerKey),
        body: JSON.stringify({ key }),
      };
    },
    check(status, body) {
      const wrong = expectStatus(status, 200, body);
      if (wrong) return `api-keys/verify ${wrong}`;
      if (parseJson(body).valid !== true) return `api-keys/verify: a valid key did not verify: ${body.slice(0, 160)}`;
      return undefined;
    },
  };
}

/** A GET route with its expected status (and, for JWKS, at least one key). */
export function getFlow(path: string, expected = 200, headers: Record<string, string> = {}): Flow {
  return {
    next: () => ({ method: "GET", path, headers }),
    check(status, body) {
      const wrong = expectStatus(status, expected, body);
      if (wrong) return `GET ${path} ${wrong}`;
      const keys = parseJson(body).keys;
      if (path.endsWith("/jwks.json") && !(Array.isArray(keys) && keys.length > 0)) return "JWKS without keys";
      return undefined;
    },
  };
}
