/**
 * Revocation awareness: a signature says who issued a token, not whether its
 * session was since revoked (logout, session deletion, refresh-token reuse).
 * With `checkRevocation: "introspect"` a locally valid token is also checked
 * at the authority's introspection endpoint (RFC 7662 §2), with this
 * service's own API key (scope `tokens:introspect`).
 *
 * Verdicts are cached: `active` for `cacheTtlMs` (default 30 s, at most 5
 * minutes: the longest a revoked token may still pass here), `inactive` until
 * the token expires (a revoked token never becomes active again); never past
 * the token's `exp`. Concurrent checks of one token share one request.
 *
 * Fail-closed: when the endpoint cannot be reached or answers anything but a
 * 200 with a boolean `active`, the token is NOT accepted; the verdict is
 * `temporarily_unavailable` (the middleware answers 503), and nothing is
 * cached, so the next request asks again. A 401 or 403 (this service's key
 * refused) is `unauthorized` instead: a configuration error, logged once.
 */
import { BoundedCache } from "../util/bounded-cache.js";
import { type CredentialAlarm, isCredentialRefusal } from "../util/credential-alarm.js";
import { postWithBearer } from "../util/http.js";
import type { AccessTokenClaims, FetchLike } from "./types.js";

export type Revocation = "active" | "revoked" | "unavailable" | "unauthorized";

export interface IntrospectorOptions {
  url: string;
  apiKey: string;
  fetch: FetchLike;
  now: () => number;
  cacheTtlMs: number;
  maxEntries: number;
  timeoutMs: number;
  alarm: CredentialAlarm;
}

export class Introspector {
  private readonly verdicts: BoundedCache<Revocation>;
  /** Requests made to the endpoint, for tests and metrics. */
  requests = 0;

  constructor(private readonly o: IntrospectorOptions) {
    this.verdicts = new BoundedCache(o.maxEntries, o.now);
  }

  /** `claims` passed local verification: `jti` and `exp` are present and typed. */
  async check(token: string, claims: AccessTokenClaims): Promise<Revocation> {
    // The key is the verified (iss, jti) pair: unique per token (RFC 7519 §4.1.7), and no secret.
    const key = `${claims.iss} ${claims.jti}`;
    return this.verdicts.getOrLoad(key, async () => {
      const verdict = await this.ask(token);
      const expiresAt = claims.exp * 1000;
      if (verdict === "active") this.verdicts.set(key, verdict, Math.min(this.o.now() + this.o.cacheTtlMs, expiresAt));
      if (verdict === "revoked") this.verdicts.set(key, verdict, expiresAt);
      return verdict;
    });
  }

  private async ask(token: string): Promise<Revocation> {
    this.requests++;
    try {
      // RFC 7662 §2.1: form-encoded, with the hint that this is an access token.
      const answer = await postWithBearer(
        this.o.fetch,
        this.o.url,
        this.o.apiKey,
        { form: { token, token_type_hint: "access_token" } },
        this.o.timeoutMs,
      );
      if (isCredentialRefusal(answer.status)) {
        this.o.alarm.refused(answer.status, this.o.url);
        return "unauthorized";
      }
      const body = answer.body as { active?: unknown } | null;
      if (answer.status !== 200 || typeof body?.active !== "boolean") return "unavailable";
      this.o.alarm.accepted();
      return body.active ? "active" : "revoked";
    } catch {
      return "unavailable";
    }
  }
}
