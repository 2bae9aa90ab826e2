/**
 * Refresh-token chains: one per session a login started (a virtual user's
 * device). A chain is refreshed by one client at a time: a client takes it
 * from the pool, spends its current token, keeps the successor and puts it
 * back, so each refresh presents the token the previous one returned and no
 * spent token is ever presented again. Every answer is checked: same
 * session, generation one higher (the generation is inside the token).
 * After a run, `checkChains` proves each chain intact: its last token still
 * refreshes. A session revoked by a race (reuse detected where there was
 * none) or any other loss shows up there.
 */

export interface Chain {
  id: number;
  /** Index of the user that logged in. */
  user: number;
  sessionId: string;
  /** The current refresh token (the last one the service returned). */
  token: string;
  generation: number;
  /** The access token of the last answer. */
  access: string;
  refreshes: number;
  /** Highest generation presented so far (-1: none). */
  presented: number;
  /** A refresh was sent and never answered (socket error or timeout): the successor is unknown. */
  inFlight: boolean;
  /** Why the chain ended, when an answer ended it. */
  broken?: string;
}

export interface TokenAnswer {
  access_token: string;
  refresh_token: string;
  session_id: string;
}

/** Session id and generation carried in a refresh token (`rt1.{base64url body}.{tag}`). */
function decodeRefreshToken(token: string): { sessionId: string; generation: number } | undefined {
  const [prefix, body] = token.split(".");
  if (prefix !== "rt1" || !body) return undefined;
  const bytes = Buffer.from(body, "base64url");
  if (bytes.length < 20) return undefined;
  const hex = bytes.subarray(0, 16).toString("hex");
  const sessionId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { sessionId, generation: bytes.readUInt32BE(16) };
}

/** The tokens of a token response, or a description of what is wrong with it. */
export function parseTokenAnswer(body: string): TokenAnswer | string {
  try {
    const parsed = JSON.parse(body) as Partial<TokenAnswer>;
    if (
      typeof parsed.access_token === "string" &&
      typeof parsed.refresh_token === "string" &&
      typeof parsed.session_id === "string"
    )
      return parsed as TokenAnswer;
  } catch {
    // fall through
  }
  return `no tokens in the answer: ${body.slice(0, 120)}`;
}

/** How many recent access tokens `recentAccess` hands out. */
const RECENT_ACCESS = 256;

export class Chains {
  private readonly held = new Map<number, Chain>();
  private nextId = 0;
  private queue: Chain[] = [];
  private head = 0;
  private readonly recent: string[] = [];
  private recentAt = 0;
  /** Chains let go after a successful refresh once the pool was full, and their refreshes. */
  retired = 0;
  retiredRefreshes = 0;

  /**
   * `limit` bounds the chains held (a soak's logins never stop): past it, a
   * chain whose refresh just succeeded leaves the pool instead of going back.
   */
  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  /** The chains held, in the order they started. */
  get all(): Chain[] {
    return [...this.held.values()];
  }

  get size(): number {
    return this.held.size;
  }

  /** A new chain from a login's answer; undefined with the reason when the answer is not a fresh session. */
  start(user: number, answer: TokenAnswer): Chain | string {
    const decoded = decodeRefreshToken(answer.refresh_token);
    if (!decoded || decoded.sessionId !== answer.session_id) return "the refresh token does not name the session";
    if (decoded.generation !== 0) return `a new session's token has generation ${decoded.generation}`;
    const chain: Chain = {
      id: this.nextId++,
      user,
      sessionId: answer.session_id,
      token: answer.refresh_token,
      generation: 0,
      access: answer.access_token,
      refreshes: 0,
      presented: -1,
      inFlight: false,
    };
    this.held.set(chain.id, chain);
    this.remember(chain.access);
    this.queue.push(chain);
    return chain;
  }

  get free(): number {
    return this.queue.length - this.head;
  }

  /** The chain idle longest, out of the pool until given back. */
  take(): Chain | undefined {
    if (this.head >= this.queue.length) return undefined;
    const chain = this.queue[this.head++] as Chain;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return chain;
  }

  /** Puts a chain back after a successful refresh (or retires it when the pool is over its limit). */
  give(chain: Chain): void {
    if (this.held.size > this.limit) {
      this.held.delete(chain.id);
      this.retired++;
      this.retiredRefreshes += chain.refreshes;
      return;
    }
    this.queue.push(chain);
  }

  /** Marks the chain's token as presented; a reason when it was presented before (the generator's own bug). */
  present(chain: Chain): string | undefined {
    if (chain.generation <= chain.presented) {
      chain.broken = `generation ${chain.generation} presented twice`;
      return chain.broken;
    }
    chain.presented = chain.generation;
    chain.inFlight = true;
    return undefined;
  }

  /** Takes in a refresh's answer: a reason when it is not the chain's next token (the chain is then broken). */
  advance(chain: Chain, status: number, body: string): string | undefined {
    chain.inFlight = false;
    const reason = nextOf(chain, status, body);
    if (reason) {
      chain.broken = reason;
      return reason;
    }
    this.remember(chain.access);
    return undefined;
  }

  /** Chains that are neither broken nor waiting for an answer (they can be refreshed again). */
  live(): Chain[] {
    return this.all.filter((c) => !c.broken && !c.inFlight);
  }

  /** The last access tokens issued (at most 256), for flows that run while the chains move on. */
  recentAccess(): string[] {
    return this.recent;
  }

  private remember(access: string): void {
    this.recent[this.recentAt] = access;
    this.recentAt = (this.recentAt + 1) % RECENT_ACCESS;
  }
}

/** Applies a refresh answer to the chain; a reason when it is wrong. */
function nextOf(chain: Chain, status: number, body: string): string | undefined {
  if (status !== 200) return `refresh answered ${status}: ${body.slice(0, 160)}`;
  const answer = parseTokenAnswer(body);
  if (typeof answer === "string") return answer;
  const decoded = decodeRefreshToken(answer.refresh_token);
  if (answer.session_id !== chain.sessionId || decoded?.sessionId !== chain.sessionId)
    return `refresh moved to session ${answer.session_id}`;
  if (decoded.generation !== chain.generation + 1)
    return `refresh returned generation ${decoded.generation} after ${chain.generation}`;
  chain.token = answer.refresh_token;
  chain.access = answer.access_token;
  chain.generation = decoded.generation;
  chain.refreshes++;
  return undefined;
}

export interface ChainCheck {
  chains: number;
  intact: number;
  refreshes: number;
  /** Chains retired during the run right after a successful refresh (a bounded pool), counted as intact. */
  retired?: number;
  broken: { id: number; sessionId: string; reason: string }[];
  /**
   * Chains whose last request of the run got no answer (a timeout or socket
   * error, itself counted as a failed request) and whose token was then
   * refused: the request may have spent it. Not counted as broken.
   */
  inDoubt: { id: number; sessionId: string; reason: string }[];
}

/**
 * After a run: every chain's last token must still refresh (and to the next
 * generation of the same session). `refresh` posts one refresh token and
 * resolves the status and body. Broken chains are reported, not thrown.
 */
export async function checkChains(
  chains: Chains,
  refresh: (token: string) => Promise<{ status: number; body: string }>,
  concurrency = 8,
): Promise<ChainCheck> {
  const broken: ChainCheck["broken"] = [];
  const inDoubt: ChainCheck["inDoubt"] = [];
  let next = 0;
  const all = chains.all;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, all.length) }, async () => {
      while (next < all.length) {
        const chain = all[next++] as Chain;
        if (chain.broken) {
          broken.push({ id: chain.id, sessionId: chain.sessionId, reason: `during the run: ${chain.broken}` });
          continue;
        }
        const wasInFlight = chain.inFlight;
        // A chain whose request got no answer presents its last known token again, knowingly.
        const presented = wasInFlight ? undefined : chains.present(chain);
        const answer = presented ? undefined : await refresh(chain.token);
        const refused = presented ?? (answer ? chains.advance(chain, answer.status, answer.body) : undefined);
        if (refused) {
          const entry = { id: chain.id, sessionId: chain.sessionId, reason: `last token: ${refused}` };
          (wasInFlight ? inDoubt : broken).push(entry);
        }
      }
    }),
  );
  const chainCount = all.length + chains.retired;
  return {
    chains: chainCount,
    intact: chainCount - broken.length - inDoubt.length,
    refreshes: all.reduce((n, c) => n + c.refreshes, chains.retiredRefreshes),
    ...(chains.retired ? { retired: chains.retired } : {}),
    broken,
    inDoubt,
  };
}
