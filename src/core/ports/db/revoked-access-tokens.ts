/**
 * One access token revoked by itself (RFC 7009), kept until it expires: the
 * ledger behind its Redis blocklist mark, so a Redis loss does not bring it
 * back. `sessionId` is the token's `sid` (a client's own tokens share one).
 */
export interface RevokedAccessToken {
  tenantId: string;
  sessionId: string;
  jti: string;
  expiresAt: Date;
}

export interface RevokedAccessTokenRepository {
  /** Records a revocation; recording the same token again changes nothing. */
  record(token: RevokedAccessToken): Promise<void>;
  /** The session's revoked tokens that have not expired at `now`. */
  listLive(tenantId: string, sessionId: string, now: Date): Promise<RevokedAccessToken[]>;
  /** Deletes every record (any tenant) that expired before `before`; resolves how many. */
  purgeExpired(before: Date): Promise<number>;
}
