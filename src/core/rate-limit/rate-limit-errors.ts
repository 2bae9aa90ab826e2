import { AppError, errors } from "../errors.js";

/** 429 with Retry-After in whole seconds (API.md Conventions; RFC 9110 §10.2.3). */
export function rateLimitedError(
  retryAfterMs: number,
  detail = "Too many requests; try again later.",
  headers: Record<string, string> = {},
): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError(
    429,
    "rate_limited",
    "Too many requests",
    detail,
    { retry_after: seconds },
    { ...headers, "Retry-After": String(seconds) },
  );
}

/** 423: the account's lock (see LoginThrottle), with Retry-After. */
export const accountLockedError = (retryAfterMs: number) => {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError(
    423,
    "account_locked",
    "Account locked",
    "Too many failed logins for this account; try again later.",
    { retry_after: seconds },
    { "Retry-After": String(seconds) },
  );
};

/** 503 when a dependency the request cannot do without is unreachable. */
export function unavailableError(detail: string): AppError {
  return errors.unavailable(detail);
}
