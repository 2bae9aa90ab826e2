/**
 * The shapes of the administration of users and service credentials (API.md v1,
 * "Administration of users and service credentials"), snake_case as they travel.
 */
import type { ApiKey } from "./key-types.js";
import type { PageQuery, Paginated, Session, Timestamp, User } from "./types.js";

/** A user as administration sees it. */
export interface AdminUser extends User {
  /** Scopes held beyond the defaults every token carries. */
  scopes: string[];
  disabled: boolean;
  updated_at: Timestamp;
  last_login_at: Timestamp | null;
}

export interface UserQuery extends PageQuery {
  /** Only the user with this address (as the service normalises it). */
  email?: string;
}

export interface UserPage extends Paginated {
  users: AdminUser[];
}

/** `PATCH` of a user: only the fields given change. */
export interface UserChanges {
  /** Replaces the user's scopes; they apply from the user's next token (a refresh included). */
  scopes?: string[];
  /** true revokes every session and API key of the user at once and refuses logins (403 `account_disabled`). */
  disabled?: boolean;
  email_verified?: boolean;
  name?: string | null;
}

export interface UserSessions extends Paginated {
  /** Most recently used first; `current` is always false. */
  sessions: Session[];
}

export interface RevokeSessionsInput {
  /** Also revoke every API key of the user (they stop at once). */
  include_api_keys?: boolean;
}

/** Any key of the tenant: a user's (`user_id`) or a service key (`user_id` null). */
export interface TenantApiKey extends ApiKey {
  user_id: string | null;
}

export interface TenantApiKeys extends Paginated {
  /** Newest first; never the keys themselves. */
  api_keys: TenantApiKey[];
}

export interface TenantApiKeyQuery extends PageQuery {
  /** Only this user's keys. */
  user_id?: string;
}

export interface AuditEvent {
  id: string;
  at: Timestamp;
  /** E.g. `login.failed`, `api_key.created`, `admin.users.update`. */
  action: string;
  actor: { type: "user" | "api_key" | "bootstrap" | "client" | "system" | "anonymous"; id: string | null };
  target: { type: string | null; id: string | null };
  ip: string | null;
  request_id: string | null;
  /** Never a secret, token or password. */
  details: Record<string, unknown>;
}

export interface AuditEventQuery {
  /** 1 to 100 (default 50). */
  limit?: number;
  cursor?: string;
  action?: string;
  actor_id?: string;
  target_id?: string;
}

export interface AuditEventPage extends Paginated {
  /** Newest first. */
  events: AuditEvent[];
}
