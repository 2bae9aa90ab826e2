/**
 * Administration of a tenant's users, service keys and audit trail (caller:
 * an API key with scope `admin` of the tenant, or the bootstrap admin key).
 */
import type {
  AdminUser,
  AuditEventPage,
  AuditEventQuery,
  RevokeSessionsInput,
  TenantApiKeyQuery,
  TenantApiKeys,
  UserChanges,
  UserPage,
  UserQuery,
  UserSessions,
} from "./admin-user-types.js";
import { adminSender, type Context, pageOf, queryOf, segment, tenantPath } from "./context.js";
import type { CreateApiKeyInput, CreatedApiKey } from "./key-types.js";
import type { Done, Result } from "./result.js";
import type { RequestOptions } from "./transport.js";
import type { PageQuery } from "./types.js";

export function adminUserMethods(ctx: Context) {
  const send = adminSender(ctx);
  const userPath = (id: string, rest = "") => tenantPath(ctx, `/v1/admin/users/${segment(id)}${rest}`);

  return {
    /** `GET /v1/admin/users` → a page of users, newest first; `email` finds one address. 400 for a foreign cursor. */
    listUsers(query: UserQuery = {}, options: RequestOptions = {}): Promise<Result<UserPage>> {
      return send<UserPage>(
        { method: "GET", path: tenantPath(ctx, "/v1/admin/users"), query: queryOf(query) },
        options,
      );
    },

    /** `GET /v1/admin/users/{id}` → the user with scopes and state; 404 `not_found`. */
    getUser(id: string, options: RequestOptions = {}): Promise<Result<AdminUser>> {
      return send<AdminUser>({ method: "GET", path: userPath(id) }, options);
    },

    /**
     * `PATCH /v1/admin/users/{id}` → the changed user. `disabled: true` ends every session and API key of
     * the user at once; enabling again does not bring the keys back. Never retried.
     */
    updateUser(id: string, changes: UserChanges, options: RequestOptions = {}): Promise<Result<AdminUser>> {
      return send<AdminUser>({ method: "PATCH", path: userPath(id), body: changes }, options);
    },

    /** `DELETE /v1/admin/users/{id}` → 204: the user's personal data is erased; sessions and API keys end at once. */
    deleteUser(id: string, options: RequestOptions = {}): Promise<Done> {
      return send<undefined>({ method: "DELETE", path: userPath(id) }, options);
    },

    /**
     * `GET /v1/admin/users/{id}/sessions[?limit=&cursor=]` → a page of the user's live sessions (100 unless
     * `limit` says otherwise), most recently used first, and `next_cursor`; 404 `not_found`.
     */
    listUserSessions(id: string, page: PageQuery & RequestOptions = {}): Promise<Result<UserSessions>> {
      const [query, options] = pageOf(page);
      return send<UserSessions>({ method: "GET", path: userPath(id, "/sessions"), query }, options);
    },

    /**
     * `POST /v1/admin/users/{id}/revoke-sessions[?include_api_keys=true]` → 204; 404 `not_found` for an
     * unknown user. Never retried.
     */
    revokeUserSessions(userId: string, input: RevokeSessionsInput = {}, options: RequestOptions = {}): Promise<Done> {
      return send<undefined>(
        // Only the known flag reaches the URL: request options passed here by mistake (an API key) never do.
        {
          method: "POST",
          path: userPath(userId, "/revoke-sessions"),
          query: queryOf({ include_api_keys: input.include_api_keys }),
        },
        options,
      );
    },

    /**
     * `POST /v1/admin/users/{id}/mfa/reset` → 204: every second factor and recovery code of the user is
     * gone; they log in with the password alone until they enroll again. 404 `not_found`. Never retried.
     */
    resetUserMfa(userId: string, options: RequestOptions = {}): Promise<Done> {
      return send<undefined>({ method: "POST", path: userPath(userId, "/mfa/reset") }, options);
    },

    /**
     * `POST /v1/admin/api-keys` → 201 with a service key of the tenant (`key` in this answer only): it acts
     * with exactly its scopes, for no user. Never retried.
     */
    createServiceKey(input: CreateApiKeyInput, options: RequestOptions = {}): Promise<Result<CreatedApiKey>> {
      return send<CreatedApiKey>({ method: "POST", path: tenantPath(ctx, "/v1/admin/api-keys"), body: input }, options);
    },

    /**
     * `GET /v1/admin/api-keys[?user_id=&limit=&cursor=]` → a page of the tenant's live keys (users' and
     * service keys; 100 unless `limit` says otherwise), newest first, and `next_cursor`.
     */
    listApiKeys(query: TenantApiKeyQuery = {}, options: RequestOptions = {}): Promise<Result<TenantApiKeys>> {
      return send<TenantApiKeys>(
        { method: "GET", path: tenantPath(ctx, "/v1/admin/api-keys"), query: queryOf(query) },
        options,
      );
    },

    /** `DELETE /v1/admin/api-keys/{id}` → 204 for any key of the tenant; it stops at once. 404 `not_found`. */
    revokeApiKey(id: string, options: RequestOptions = {}): Promise<Done> {
      return send<undefined>({ method: "DELETE", path: tenantPath(ctx, `/v1/admin/api-keys/${segment(id)}`) }, options);
    },

    /** `GET /v1/admin/audit-events` → a page of the audit trail, newest first; filters combine. */
    listAuditEvents(query: AuditEventQuery = {}, options: RequestOptions = {}): Promise<Result<AuditEventPage>> {
      return send<AuditEventPage>(
        { method: "GET", path: tenantPath(ctx, "/v1/admin/audit-events"), query: queryOf(query) },
        options,
      );
    },
  };
}
