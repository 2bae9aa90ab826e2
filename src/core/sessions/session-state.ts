/**
 * The hot half of sessions, in Redis (Postgres keeps the ledger).
 *
 * - `sess:{sid}`: `{generation}|{token hash}|{idle expiry ms}|{absolute
 *   expiry ms}|{claims}`; expires with the idle timeout.
 * - `grace:{sid}`: `{hash of the token just spent}|{rotated at ms}|{successor
 *   sealed under that token}`; lives for the grace window after each rotation
 *   (the script also compares the time, so a pinned clock governs it).
 * - `revoked:{sid}`, `revoked-jti:{sid}:{jti}`: the blocklist of access
 *   tokens, kept as long as an access token of theirs may still be unexpired.
 * - `ledger-live:{sid}`: the ledger was asked about a session Redis held
 *   nothing for and found it live; kept while the token that asked is valid.
 * - `sess-children:{sid}`: the OAuth client sessions issued from provider
 *   session `sid`, which end with it (RP-initiated logout).
 *
 * The braces are Redis Cluster hash tags: a session's keys share a slot, so
 * one script may touch them all, and no key is shared by all sessions.
 */
export const sessionKeys = (sid: string) => [`sess:{${sid}}`, `grace:{${sid}}`, `revoked:{${sid}}`];
export const childrenKey = (sid: string) => `sess-children:{${sid}}`;
export const revokedJtiKey = (sid: string, jti: string) => `revoked-jti:{${sid}}:${jti}`;
export const ledgerLiveKey = (sid: string) => `ledger-live:{${sid}}`;
/**
 * The names of the previous version, which had one global marker and jtis
 * outside their session's slot; read and written while a Redis it used still
 * holds its marker (AccessTokenBlocklist), so a rolling upgrade loses no revocation.
 */
export const LEGACY_EPOCH_KEY = "blocklist-epoch";
export const legacyRevokedJtiKey = (jti: string) => `revoked-jti:${jti}`;

/** What an access token of the session carries; stored with the session so a refresh needs no database. */
export interface SessionClaims {
  userId: string;
  authTime: number;
  amr: string[];
  scope: string;
  clientId: string;
  /** The user's version these claims were computed at (UserVersions); absent in states written before it existed. */
  userVersion?: number;
  /** An OAuth client's session: the scope granted at authorization, which its tokens never exceed. */
  grant?: string;
  /** An OAuth client's session: the provider session it was issued from (the ID token's `sid`). */
  parentSessionId?: string;
}

export interface SessionState {
  generation: number;
  hash: string;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  claims: SessionClaims;
}

export function encodeClaims(claims: SessionClaims): string {
  return JSON.stringify({
    u: claims.userId,
    t: claims.authTime,
    a: claims.amr,
    s: claims.scope,
    c: claims.clientId,
    v: claims.userVersion,
    g: claims.grant,
    p: claims.parentSessionId,
  });
}

/** The client's member exactly as encodeClaims writes it (never first), for a script to find in the claims. */
export const clientMember = (clientId: string) => `,"c":${JSON.stringify(clientId)}`;

export function encodeState(state: SessionState): string {
  return `${state.generation}|${state.hash}|${state.idleExpiresAt}|${state.absoluteExpiresAt}|${encodeClaims(state.claims)}`;
}

export function decodeClaims(blob: string): SessionClaims {
  const raw = JSON.parse(blob) as {
    u: string;
    t: number;
    a: string[];
    s: string;
    c: string;
    v?: number;
    g?: string;
    p?: string;
  };
  return {
    userId: raw.u,
    authTime: raw.t,
    amr: raw.a,
    scope: raw.s,
    clientId: raw.c,
    userVersion: raw.v,
    ...(raw.g === undefined ? {} : { grant: raw.g }),
    ...(raw.p === undefined ? {} : { parentSessionId: raw.p }),
  };
}

/** The inverse of encodeState; undefined for anything else. */
export function decodeState(raw: string): SessionState | undefined {
  const match = /^(\d+)\|([^|]*)\|(\d+)\|(\d+)\|(.*)$/s.exec(raw);
  if (!match) return undefined;
  return {
    generation: Number(match[1]),
    hash: match[2] ?? "",
    idleExpiresAt: Number(match[3]),
    absoluteExpiresAt: Number(match[4]),
    claims: decodeClaims(match[5] ?? ""),
  };
}
