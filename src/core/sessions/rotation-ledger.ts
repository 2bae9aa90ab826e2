import type { Database, SessionRotation } from "../ports/database.js";

/** Rotations per statement at most (six arrays of this many parameters). */
const MAX_BATCH = 500;

/** What the ledger said of a rotation: written, or refused because it holds the session as ended. */
export type LedgerAnswer = "recorded" | "ended";

interface Waiting {
  rotation: SessionRotation;
  done: (answer: LedgerAnswer | { error: unknown }) => void;
}

/**
 * Writes refresh rotations to the Postgres ledger, and resolves each once it
 * is committed: a refresh answers only then, so a crash loses no rotation a
 * client was told about. With `groupCommit` (one process serving many
 * requests: Node), rotations arriving while a write is in flight wait and go
 * together in the next one, a single statement: under load the ledger costs
 * a fraction of a round trip per refresh, and the first rotation after a
 * quiet spell is written at once. Without it (Workers, where I/O belongs to
 * the request that started it) each rotation is its own write.
 * A session the ledger holds as ended (revoked while Redis missed it), or
 * does not hold (a restore of an older backup), is answered `ended`, so
 * the refresh is refused whatever Redis said.
 */
export class RotationLedger {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly db: Database,
    private readonly groupCommit: boolean,
  ) {}

  async record(rotation: SessionRotation): Promise<LedgerAnswer> {
    if (!this.groupCommit)
      return (await this.db.sessions.recordRotations([rotation])).length > 0 ? "ended" : "recorded";
    return new Promise((resolve, reject) => {
      this.queue.push({
        rotation,
        done: (answer) => (typeof answer === "string" ? resolve(answer) : reject(answer.error)),
      });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      let ended: Set<string> | undefined;
      let failure: unknown;
      try {
        ended = new Set(await this.db.sessions.recordRotations(newestPerSession(batch)));
      } catch (error) {
        failure = error ?? new Error("The ledger write failed.");
      }
      for (const waiting of batch) {
        waiting.done(ended ? (ended.has(waiting.rotation.id) ? "ended" : "recorded") : { error: failure });
      }
    }
    this.writing = false;
  }
}

/** One rotation per session, its newest: the ledger holds a session's newest state, and one statement updates a row once. */
function newestPerSession(batch: Waiting[]): SessionRotation[] {
  const newest = new Map<string, SessionRotation>();
  for (const { rotation } of batch) {
    const key = `${rotation.tenantId}/${rotation.id}`;
    const held = newest.get(key);
    if (!held || held.generation < rotation.generation) newest.set(key, rotation);
  }
  return [...newest.values()];
}
