/**
 * Domain failures. The core throws these; the HTTP layer turns them into
 * RFC 9457 problem+json responses in exactly one place (src/http/problem.ts).
 */
export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = "AppError";
  }
}

/** Seconds a client waits before trying again a request a dependency could not take. */
const RETRY_AFTER_SECONDS = "5";

/**
 * Postgres or Redis could not take the request (refused, reset or closed
 * connection, a timeout, a server shutting down or full). The adapters raise
 * it for their driver's errors of that kind, keeping the driver's error as
 * `cause`; the HTTP layer answers 503 with Retry-After and logs the cause.
 */
export class StoreUnavailableError extends AppError {
  override readonly cause: unknown;

  constructor(
    readonly store: "postgres" | "redis",
    cause: unknown,
  ) {
    super(
      503,
      "service_unavailable",
      "Service unavailable",
      "A store this request needs is not answering; try again shortly.",
      {},
      { "Retry-After": RETRY_AFTER_SECONDS },
    );
    this.name = "StoreUnavailableError";
    this.cause = cause;
  }
}

export const errors = {
  validation: (fieldErrors: FieldError[], detail = "The request is not valid.") =>
    new AppError(400, "validation_failed", "Validation failed", detail, { errors: fieldErrors }),
  malformedBody: (detail: string) => new AppError(400, "malformed_body", "Malformed request body", detail),
  unsupportedMediaType: (expected: string) =>
    new AppError(415, "unsupported_media_type", "Unsupported media type", `The body must be ${expected}.`),
  payloadTooLarge: (limit: number) =>
    new AppError(413, "payload_too_large", "Payload too large", `The body must not exceed ${limit} bytes.`),
  notFound: (detail = "No such resource.") => new AppError(404, "not_found", "Not found", detail),
  methodNotAllowed: (allowed: string[]) =>
    new AppError(
      405,
      "method_not_allowed",
      "Method not allowed",
      `Allowed: ${allowed.join(", ")}.`,
      {},
      {
        Allow: allowed.join(", "),
      },
    ),
  tenantNotFound: (slug: string) =>
    new AppError(404, "tenant_not_found", "Tenant not found", `There is no tenant "${slug}".`),
  tenantExists: (slug: string) =>
    new AppError(409, "tenant_exists", "Tenant exists", `A tenant "${slug}" already exists.`),
  unauthorized: (realm: string, detail: string, invalidToken: boolean) =>
    new AppError(
      401,
      invalidToken ? "invalid_token" : "unauthorized",
      "Unauthorized",
      detail,
      {},
      {
        // RFC 6750 §3.1: no error code when no credentials were sent.
        "WWW-Authenticate": invalidToken ? `Bearer realm="${realm}", error="invalid_token"` : `Bearer realm="${realm}"`,
      },
    ),
  /** RFC 6750 §3.1: a valid token without the scope the resource needs. */
  /** `scope` names the scope that would do (RFC 6750 §3); null when none would. */
  insufficientScope: (realm: string, detail: string, scope: string | null = "openid") =>
    new AppError(
      403,
      "insufficient_scope",
      "Insufficient scope",
      detail,
      {},
      {
        "WWW-Authenticate": `Bearer realm="${realm}", error="insufficient_scope"${scope === null ? "" : `, scope="${scope}"`}`,
      },
    ),
  /** Another rotation of the tenant's signing keys changed the ring while this one was under way. */
  rotationConflict: () =>
    new AppError(
      409,
      "rotation_conflict",
      "Rotation conflict",
      "Another rotation of this tenant's signing keys changed them at the same time; try again.",
      {},
      { "Retry-After": "1" },
    ),
  /** Another change of the same resource kept landing first (a client's type changed under a PATCH of it). */
  concurrentChange: () =>
    new AppError(
      409,
      "concurrent_change",
      "Concurrent change",
      "Another change of this resource landed at the same time; try again.",
      {},
      { "Retry-After": "1" },
    ),
  /** RFC 9110 §13.1.1: an If-Match that no current representation of the target matches. */
  preconditionFailed: () =>
    new AppError(
      412,
      "precondition_failed",
      "Precondition failed",
      "If-Match names no current version of this resource: read it again for its ETag, then retry the change.",
    ),
  emailTaken: () => new AppError(409, "email_taken", "Email taken", "An account with this email address exists."),
  invalidCredentials: () =>
    new AppError(401, "invalid_credentials", "Invalid credentials", "The email address or password is wrong."),
  /** API.md: every unusable refresh token (missing, malformed, foreign, expired, spent, revoked) is 401 `invalid_grant`. */
  invalidGrant: (detail = "The refresh token is invalid, expired or revoked.") =>
    new AppError(401, "invalid_grant", "Invalid grant", detail),
  /** RFC 9700 §2.1: redirect URIs match the allowlist exactly, or nothing is redirected. */
  invalidRedirectUri: () =>
    new AppError(
      400,
      "invalid_redirect_uri",
      "Invalid redirect URI",
      "redirect_uri is not on the tenant's redirect allowlist (exact match).",
    ),
  /** A 400 of its own code (e.g. `invalid_saml_response`). */
  validationCode: (code: string, detail: string) => new AppError(400, code, "Invalid request", detail),
  /** A hosted page's authorization request that is gone; `return_to` (the client's origin) is the page's way back. */
  expiredRequest: (detail: string, returnTo: string | null = null) =>
    new AppError(400, "expired_request", "Invalid request", detail, returnTo ? { return_to: returnTo } : {}),
  /** A second submit (or Back) for an authorization request this browser has already had answered. */
  requestCompleted: (returnTo: string | null) =>
    new AppError(
      409,
      "request_completed",
      "Request completed",
      "The authorization request was already answered.",
      returnTo ? { return_to: returnTo } : {},
    ),
  invalidState: () =>
    new AppError(400, "invalid_state", "Invalid state", "The login's state is unknown, already used or expired."),
  /** A one-time code that cannot be redeemed (API.md: 400 `invalid_grant`). */
  invalidCode: (detail: string) => new AppError(400, "invalid_grant", "Invalid grant", detail),
  /** API.md: a mailed token that is unknown, spent, expired, or for another tenant or purpose. */
  invalidAccountToken: () =>
    new AppError(400, "invalid_token", "Invalid token", "The link is unknown, already used or expired."),
  /** Mail-sending routes when no mailer is configured (production without SMTP_URL or Postmark). */
  mailUnavailable: () =>
    new AppError(503, "mail_unavailable", "Mail unavailable", "This service has no mail delivery configured."),
  /** A TOTP or recovery code that is wrong, outside its window, or already used. */
  invalidMfaCode: () =>
    new AppError(400, "invalid_mfa_code", "Invalid code", "The code is wrong, expired or already used."),
  totpAlreadyEnrolled: () =>
    new AppError(409, "totp_enrolled", "Authenticator exists", "Remove the current authenticator app first."),
  /** A user or tenant holds as many of something (API keys, passkeys) as the service allows. */
  limitReached: (detail: string) => new AppError(409, "limit_reached", "Limit reached", detail),
  noSecondFactor: () =>
    new AppError(409, "no_second_factor", "No second factor", "Enroll an authenticator or a passkey first."),
  /** An enrollment step with the challenge of a login that has a factor to verify: factors are added after login. */
  mfaEnrollmentNotAllowed: () =>
    new AppError(
      403,
      "mfa_enrollment_not_allowed",
      "Enrollment not allowed",
      "This login verifies a factor the user has; factors are added after login.",
    ),
  forbidden: (detail: string) => new AppError(403, "forbidden", "Forbidden", detail),
  /** A valid API key without the route's scope: API.md's `forbidden`, with RFC 6750 §3's challenge naming the scope. */
  keyLacksScope: (realm: string, scope: string) =>
    new AppError(
      403,
      "forbidden",
      "Forbidden",
      `The API key lacks the scope "${scope}".`,
      {},
      { "WWW-Authenticate": `Bearer realm="${realm}", error="insufficient_scope", scope="${scope}"` },
    ),
  /** A hosted page's form without this browser's CSRF token (from another site, or a stale page). */
  csrfFailed: (returnTo: string | null = null) =>
    new AppError(
      403,
      "csrf_failed",
      "Forbidden",
      "The form's CSRF token does not match this browser.",
      returnTo ? { return_to: returnTo } : {},
    ),
  /** A powerful action needs a recent login, so a stolen long-lived session alone cannot do it. */
  reauthenticationRequired: (detail: string) =>
    new AppError(403, "reauthentication_required", "Reauthentication required", detail),
  /** A login's second step whose `mfa_token` is unknown, spent, expired or out of attempts. */
  invalidMfaToken: () =>
    new AppError(
      401,
      "invalid_mfa_token",
      "Invalid MFA token",
      "The MFA token is unknown, already used or expired; log in again.",
    ),
  /** A sensitive change by a user with a second factor needs a login that completed it recently. */
  stepUpRequired: (detail: string) => new AppError(403, "step_up_required", "Step-up required", detail),
  /** 503 with Retry-After: a dependency or a bounded resource cannot take the request now. */
  unavailable: (detail: string) =>
    new AppError(503, "service_unavailable", "Service unavailable", detail, {}, { "Retry-After": RETRY_AFTER_SECONDS }),
  /** A passkey ceremony that did not verify (unknown, used or expired challenge; wrong origin, RP ID, signature or credential). */
  passkeyRefused: (detail: string) => new AppError(401, "passkey_refused", "Passkey refused", detail),
  /** A passkey registration that did not verify. */
  invalidPasskey: (detail: string) => new AppError(400, "invalid_passkey", "Invalid passkey", detail),
  /** The tenant's MFA policy binds the user, and this login or session completed no second factor. */
  secondFactorRequired: (detail: string) => new AppError(403, "mfa_required", "Second factor required", detail),
  accountDisabled: () =>
    new AppError(403, "account_disabled", "Account disabled", "This account is disabled; ask an administrator."),
  notReady: (failing: Record<string, string>) =>
    new AppError(503, "not_ready", "Service not ready", `Not answering: ${Object.keys(failing).join(", ")}.`, {
      checks: failing,
    }),
};
