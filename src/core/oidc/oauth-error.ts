/** Error codes of RFC 6749 §5.2 (token endpoint), RFC 7009 §2.2.1 and OIDC Core §3.1.2.6. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "unsupported_token_type";

const DESCRIPTION_MAX = 300;

/**
 * RFC 6749 §4.1.2.1, §5.2 and RFC 6750 §3: error_description "MUST NOT
 * include characters outside the set %x20-21 / %x23-5B / %x5D-7E". What
 * a description quotes (a parameter's name, an upstream's status) may hold
 * others: those become `?`, `"` and `\` become `'` and `/`, `§` is spelled
 * out; and it is bounded.
 */
export function errorDescription(text: string): string {
  const safe = text
    .replace(/§/g, "section ")
    .replace(/"/g, "'")
    .replace(/\\/g, "/")
    .replace(/[^\x20-\x7e]/g, "?");
  return safe.length > DESCRIPTION_MAX ? `${safe.slice(0, DESCRIPTION_MAX - 3)}...` : safe;
}

/** The RFC 6749 §4.1.2.1 parameters of an error sent to a client's redirect URI. */
export const errorParams = (error: string, description: string) => ({
  error,
  error_description: errorDescription(description),
});

/**
 * A failure at an OAuth endpoint (token, introspection, revocation). Unlike
 * AppError it is answered as RFC 6749 §5.2 JSON, `{error, error_description}`,
 * which standard client libraries parse; src/http/problem.ts renders it.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** RFC 6749 §5.2: 400, except 401 for a failed client authentication. */
    readonly status: 400 | 401 = error === "invalid_client" ? 401 : 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.description = errorDescription(description);
    this.name = "OAuthError";
  }
}

/**
 * RFC 6749 §5.2 `invalid_client`. When the client tried HTTP Basic, the 401
 * carries a challenge for that scheme (`basicRealm`: the issuer).
 */
export function invalidClient(description: string, basicRealm?: string): OAuthError {
  const challenge: Record<string, string> =
    basicRealm === undefined ? {} : { "WWW-Authenticate": `Basic realm="${basicRealm}"` };
  return new OAuthError("invalid_client", description, 401, challenge);
}
