/** The shapes of API keys (API.md v1) and of the services' token checks (introspection, revocation), snake_case as they travel. */
import type { Paginated, Timestamp } from "./types.js";

export interface CreateApiKeyInput {
  name: string;
  scopes: string[];
  expires_at?: Timestamp;
}

export interface ApiKey {
  id: string;
  prefix: string;
  name: string;
  scopes: string[];
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
}

/** `GET /v1/api-keys`: a page of the caller's keys, newest first. */
export interface ApiKeyPage extends Paginated {
  api_keys: ApiKey[];
}

/** The answer to a creation: `key` (`sk_...`) appears here only. */
export interface CreatedApiKey extends Omit<ApiKey, "last_used_at"> {
  key: string;
}

export type ApiKeyVerification =
  | {
      valid: true;
      key_id: string;
      /** The owner; null for a service key of the tenant. */
      user_id: string | null;
      tenant_id: string;
      scopes: string[];
      expires_at: Timestamp | null;
    }
  | { valid: false };

export interface TokenInput {
  token: string;
  /** `access_token` or `refresh_token`. */
  token_type_hint?: string;
}

/** RFC 7662 introspection answer. */
export type Introspection =
  | {
      active: true;
      sub: string;
      sid: string;
      tid: string;
      scope: string;
      client_id: string;
      exp: number;
      iat: number;
      iss: string;
      token_type: string;
      [claim: string]: unknown;
    }
  | { active: false };
