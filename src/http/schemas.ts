import { z } from "@hono/zod-openapi";
import { PASSWORD_MAX_LENGTH } from "../core/accounts/password-policy.js";
import { redirectUriProblem } from "../core/net/redirect-uri.js";
import type { SessionRecord } from "../core/ports/database.js";
import { INVISIBLE_IN_NAMES, LINE_BREAKING } from "../core/text-rules.js";

// Bounds on raw input before any work is spent on it; the policy's own,
// clearer messages come from the account service.
export const email = z.string().max(320, "must be at most 320 characters").openapi({ example: "ann@example.com" });
export const password = z
  .string()
  .max(PASSWORD_MAX_LENGTH * 4, `must be at most ${PASSWORD_MAX_LENGTH} characters long`)
  .openapi({
    format: "password",
    description: `At most ${PASSWORD_MAX_LENGTH} Unicode characters (code points; a new password has at least 8)`,
  });

/** The token of a mailed link (`token=`); anything longer cannot be one and is refused unread. */
export const mailedToken = z
  .string()
  .max(256, "must be at most 256 characters")
  .openapi({ description: "The `token` of the mailed link" });

/** The answer of a request that sends mail after the response. */
export const AcceptedSchema = z.object({ status: z.literal("accepted") }).openapi("Accepted");

/** Shapes API.md names, shared by the routes that return them. */
export const UserSchema = z
  .object({
    id: z.string().uuid(),
    sub: z.string().uuid().openapi({ description: "The subject of the user's tokens (equals id)" }),
    email: z.string(),
    name: z.string().nullable(),
    email_verified: z.boolean(),
    tenant_id: z.string().uuid(),
    created_at: z.string().datetime(),
  })
  .openapi("User");

export const TokenResponseSchema = z
  .object({
    access_token: z.string().openapi({ description: "RFC 9068 JWT access token" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    refresh_token: z.string().optional().openapi({
      description: "Opaque refresh token; absent in cookie mode (it is then in the `__Host-refresh-{tenant}` cookie)",
    }),
    refresh_expires_in: z.number().int().openapi({ description: "Seconds until the session's idle timeout" }),
    session_id: z.string().uuid(),
  })
  .openapi("TokenResponse");

export const SessionSchema = z
  .object({
    id: z.string().uuid(),
    created_at: z.string().datetime(),
    last_used_at: z.string().datetime(),
    expires_at: z.string().datetime().openapi({ description: "Idle expiry; moves forward at each refresh" }),
    user_agent: z.string().nullable(),
    ip: z.string().nullable(),
    auth_method: z.string(),
    current: z.boolean().openapi({ description: "The session of the access token making the request" }),
  })
  .openapi("Session");

/** A session as SessionSchema shows it; `current` when it is the session of the caller's token (`currentSid`). */
export const sessionView = (session: SessionRecord, currentSid: string | null) => ({
  id: session.id,
  created_at: session.createdAt.toISOString(),
  last_used_at: session.lastUsedAt.toISOString(),
  expires_at: session.expiresAt.toISOString(),
  user_agent: session.userAgent,
  ip: session.ip,
  auth_method: session.authMethod,
  current: session.id === currentSid,
});

/** `"cookie": true` asks for the refresh token in the `__Host-refresh-{tenant}` cookie instead of the body. */
export const cookieFlag = z.boolean().optional().openapi({
  description: "Cookie mode: the refresh token goes in an HttpOnly `__Host-refresh-{tenant}` cookie (one per tenant)",
});

/**
 * Names and identifiers are one line of text: control characters (C0, DEL
 * and C1, whose NEL U+0085 ends a line too) and Unicode's line and paragraph
 * separators would split log lines and headers, or hide in a display. NUL
 * and lone surrogates are refused for every field (see unsafe-text.ts).
 * Ranges, not \p{Cc}: the pattern is published in the OpenAPI document,
 * whose readers need not know Unicode property escapes.
 */
export const NO_CONTROLS = new RegExp(`^[^${LINE_BREAKING}]*$`);
/** A scope token (RFC 6749 §3.3: NQCHAR, no space or quote or backslash). */
export const ScopeSchema = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/, "must be a scope token");

export const singleLine = () => z.string().regex(NO_CONTROLS, "must not contain control characters or line separators");

/** A name an admin sets that users are shown (a tenant's, a client's): one line, and it reads as it is written. */
export const shownName = () =>
  singleLine()
    .refine(
      (name) => !INVISIBLE_IN_NAMES.test(name),
      "must not contain text-direction controls (U+202A to U+202E, U+2066 to U+2069) or invisible characters",
    )
    .openapi({
      description:
        "Shown to users: no text-direction controls and no invisible characters (Unicode's default-ignorable " +
        "ones but ZWNJ, ZWJ, LRM, RLM and variation selectors)",
    });

/** Ids are UUIDs (API.md); anything else in an id path segment is simply not found. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path parameters of a tenant resource addressed by id. */
export const TenantResourceParamSchema = z.object({
  tenant: z.string().openapi({ param: { name: "tenant", in: "path" }, example: "default" }),
  id: z.string().openapi({ param: { name: "id", in: "path" }, format: "uuid" }),
});

/** A route that takes no query parameters: any is 400 rather than silently ignored. */
export const NO_QUERY = z.object({}).strict();

export const TenantParamSchema = z.object({
  tenant: z.string().openapi({ param: { name: "tenant", in: "path" }, example: "default" }),
});

/** A URI the tenant or an OAuth client may be redirected to (see redirectUriProblem). */
export const redirectUri = singleLine().superRefine((uri, ctx) => {
  const problem = redirectUriProblem(uri);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
