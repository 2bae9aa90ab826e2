import { availableParallelism } from "node:os";
import { errors } from "../../core/errors.js";
import type { HashWork } from "../../core/ports/password-hasher.js";
import { type Metrics, noopMetrics } from "../../core/ports/telemetry.js";

/** Why a hash was shed rather than run (the `reason` of `password_hashes_shed_total`). */
type ShedReason = "full" | "waited_too_long" | "abandoned";

interface Waiter {
  since: number;
  wanted: (() => boolean) | undefined;
  start: () => void;
  shed: (error: unknown) => void;
}

/** Hashes that may wait for each slot, counted: the time bound (`maxWaitMs`) is the one that usually sheds first. */
const WAITING_PER_SLOT = 256;
/** A waiting hash is shed past this: a login's user gives up within a few seconds, and a 503 with Retry-After is kinder than a stall. */
const DEFAULT_MAX_WAIT_MS = 2_000;
/** The lane of hashes nobody named one for (jobs, the CLI, tests): one lane like any tenant's. */
const NO_LANE = "";

export interface HashQueueOptions {
  /** Hashes run at once; default one fewer than the CPUs (at least one). */
  limit?: number;
  /** Hashes that may wait in all; default 256 per slot. */
  maxWaiting?: number;
  /** The longest a hash may wait for a slot before it is shed instead of run. */
  maxWaitMs?: number;
  /** Milliseconds on a monotonic clock (default performance.now). */
  now?: () => number;
  /** Counts the shed hashes (`password_hashes_shed_total`, by reason). */
  metrics?: Metrics;
}

/**
 * Runs at most `limit` hashes at once. Hashes beyond the cores only contend
 * for them and hold libuv's pool, which file and DNS work share; and argon2id
 * is memory-bound, so two hashes at once on two cores already cost each other
 * about 20-40% more CPU apiece.
 *
 * The capacity is shared by every tenant of the process, so the waiting
 * hashes are kept in one lane per tenant and the lanes are served in turn: a
 * tenant's flood delays another tenant's hash by at most one hash per other
 * busy lane. When the queue is full, the newcomer is shed only if its lane
 * already holds its fair share; otherwise the newest hash of the fullest lane
 * is. A hash that waited past `maxWaitMs`, or whose client has gone
 * (`work.wanted`), is shed when its turn comes instead of run. Shed hashes
 * answer 503 with Retry-After: each waiting one holds its request and client.
 */
export class HashQueue {
  readonly #limit: number;
  readonly #maxWaiting: number;
  readonly #maxWaitMs: number;
  readonly #now: () => number;
  readonly #metrics: Metrics;
  #running = 0;
  #waiting = 0;
  /** The lanes with hashes waiting, in turn order: Map keeps insertion order, so the first is served next. */
  readonly #lanes = new Map<string, Waiter[]>();

  constructor(options: HashQueueOptions = {}) {
    this.#limit = options.limit ?? Math.max(1, availableParallelism() - 1);
    this.#maxWaiting = options.maxWaiting ?? this.#limit * WAITING_PER_SLOT;
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#metrics = options.metrics ?? noopMetrics;
  }

  /** Hashes waiting for a slot (the `password_hash_queue_depth` gauge). */
  get waiting(): number {
    return this.#waiting;
  }

  async run<T>(task: () => Promise<T>, work?: HashWork): Promise<T> {
    if (this.#running < this.#limit) this.#running++;
    else await this.#enqueue(work); // handed a running slot
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #enqueue(work: HashWork | undefined): Promise<void> {
    const lane = work?.lane ?? NO_LANE;
    if (this.#waiting >= this.#maxWaiting) {
      this.#dropStale(this.#now());
      if (this.#waiting >= this.#maxWaiting) this.#makeRoom(lane);
    }
    return new Promise<void>((start, shed) => {
      const waiter = { since: this.#now(), wanted: work?.wanted, start, shed };
      const queue = this.#lanes.get(lane);
      if (queue) queue.push(waiter);
      else this.#lanes.set(lane, [waiter]); // at the back of the turn
      this.#waiting++;
    });
  }

  /** Sheds the newcomer if its lane holds its fair share already (throws), else the newest of the fullest lane. */
  #makeRoom(lane: string): void {
    const own = this.#lanes.get(lane);
    const busy = this.#lanes.size + (own ? 0 : 1);
    if ((own?.length ?? 0) * busy >= this.#maxWaiting) {
      this.#count("full");
      throw errors.unavailable("Too many password checks are waiting.");
    }
    let fullest: [string, Waiter[]] | undefined;
    for (const entry of this.#lanes) if (entry[1].length > (fullest?.[1].length ?? 0)) fullest = entry;
    if (!fullest) return;
    const [fullestLane, queue] = fullest;
    this.#shed(queue.pop() as Waiter, "full");
    if (queue.length === 0) this.#lanes.delete(fullestLane);
  }

  /** Hands the slot to the next lane's oldest hash still worth running, else frees it. */
  #release(): void {
    const now = this.#now();
    while (this.#waiting > 0) {
      const [lane, queue] = this.#lanes.entries().next().value as [string, Waiter[]];
      this.#dropStaleHeads(queue, now);
      const next = queue.shift();
      this.#lanes.delete(lane);
      if (queue.length > 0) this.#lanes.set(lane, queue); // to the back of the turn
      if (next) {
        this.#waiting--;
        next.start();
        return;
      }
    }
    this.#running--;
  }

  /** Frees the places of hashes that would be shed at their turn anyway, before a newcomer is refused for want of one. */
  #dropStale(now: number): void {
    for (const [lane, queue] of this.#lanes) {
      this.#dropStaleHeads(queue, now);
      if (queue.length === 0) this.#lanes.delete(lane);
    }
  }

  /** A lane waits in arrival order, so its expired hashes are at its head. */
  #dropStaleHeads(queue: Waiter[], now: number): void {
    for (let head = queue[0]; head; head = queue[0]) {
      const reason =
        now - head.since > this.#maxWaitMs ? "waited_too_long" : head.wanted?.() === false ? "abandoned" : null;
      if (!reason) return;
      queue.shift();
      this.#shed(head, reason);
    }
  }

  #shed(waiter: Waiter, reason: ShedReason): void {
    this.#waiting--;
    this.#count(reason);
    waiter.shed(
      errors.unavailable(
        reason === "full" ? "Too many password checks are waiting." : "Password checks are waiting too long.",
      ),
    );
  }

  #count(reason: ShedReason): void {
    this.#metrics.increment("password_hashes_shed_total", { reason });
  }
}
