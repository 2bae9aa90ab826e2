import type { AdminUserView } from "../core/accounts/user-admin.js";
import { AppError } from "../core/errors.js";
import type { CreatedServiceKey, Operator } from "./operator.js";
import type { ServerRecord } from "./server-record.js";

/** A server recorded in DATA_DIR may still be opening its database: how long to wait for it to answer. */
const CONNECT_PATIENCE_MS = 15_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The operator commands through a running server's admin API, as the
 * bootstrap admin key (API.md, "Administration of users and service
 * credentials"): the way when that server owns PGlite's files and the
 * sessions in its in-process store.
 */
export function httpOperator(server: ServerRecord, adminKey: string): Operator {
  const tenantPath = (slug: string, path: string) => `/t/${encodeURIComponent(slug)}/v1/${path}`;

  async function call<T>(method: string, path: string, body?: unknown, bearer = adminKey): Promise<T> {
    const response = await send(`${server.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: described by its status below
    }
    if (response.ok) return json as T;
    throw problemError(response.status, json, server);
  }

  async function send(url: string, init: RequestInit): Promise<Response> {
    const giveUpAt = Date.now() + CONNECT_PATIENCE_MS;
    for (;;) {
      try {
        return await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      } catch (error) {
        if (Date.now() > giveUpAt) {
          throw new Error(
            `the server recorded in DATA_DIR/server.json (pid ${server.pid}) does not answer at ${server.url} ` +
              `(${(error as Error).message}); if no server runs on this DATA_DIR, delete that file`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  const getUser = (slug: string, id: string) =>
    call<AdminUserView>("GET", tenantPath(slug, `admin/users/${encodeURIComponent(id)}`));

  return {
    via: `the server at ${server.url} (pid ${server.pid})`,
    listUsers(slug, query) {
      const params = new URLSearchParams({ limit: String(query.limit) });
      if (query.email !== undefined) params.set("email", query.email);
      if (query.cursor !== undefined) params.set("cursor", query.cursor);
      return call("GET", tenantPath(slug, `admin/users?${params}`));
    },
    getUser,
    async createUser(slug, email, password) {
      const signedUp = await call<{ user: { id: string }; access_token: string }>("POST", tenantPath(slug, "signup"), {
        email,
        password,
      });
      // A sign-up logs in: that session is nobody's, so it ends here.
      await call("POST", tenantPath(slug, "logout"), undefined, signedUp.access_token);
      return getUser(slug, signedUp.user.id);
    },
    updateUser(slug, id, changes) {
      return call("PATCH", tenantPath(slug, `admin/users/${encodeURIComponent(id)}`), changes);
    },
    createServiceKey(slug, request) {
      return call<CreatedServiceKey>("POST", tenantPath(slug, "admin/api-keys"), request);
    },
    async close() {},
  };
}

/** A problem+json answer (RFC 9457) as the AppError the core would have thrown. */
function problemError(status: number, body: unknown, server: ServerRecord): AppError {
  const problem = (body ?? {}) as { code?: string; title?: string; detail?: string; errors?: unknown };
  if (status === 401) {
    return new AppError(
      401,
      "unauthorized",
      "Unauthorized",
      `the server at ${server.url} refused the bootstrap admin key: BOOTSTRAP_ADMIN_KEY must be the server's`,
    );
  }
  return new AppError(
    status,
    problem.code ?? "http_error",
    problem.title ?? `HTTP ${status}`,
    problem.detail ?? `the server answered HTTP ${status}`,
    Array.isArray(problem.errors) ? { errors: problem.errors } : {},
  );
}
