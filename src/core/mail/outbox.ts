import { type Clock, systemClock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import { type Mailer, type MailMessage, PermanentMailError } from "../ports/mail.js";
import type { Metrics } from "../ports/telemetry.js";
import { attemptErrorFields } from "./attempt-error-fields.js";
import { TenantRoundRobin, type TenantTurn } from "./tenant-round-robin.js";

export type MailOutcome = "sent" | "failed" | "dropped";

/**
 * Four attempts with 1 + 5 + 15 = 21 s of waiting between them. On Workers
 * a mail is sent within its request's waitUntil, which the runtime cancels
 * 30 s after the response: the waits leave about 9 s for the attempts.
 */
const RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 15_000];
/** Mails waiting or in flight; beyond it a mail is dropped rather than held in memory. */
const CAPACITY = 1_000;
/** Sends at once, so a burst of mail does not open a connection per mail. */
const CONCURRENCY = 4;
/** No attempt starts later than this after the mail was queued: a link mail that late is given up ("expired"). */
const MAX_AGE_MS = 60_000;
/**
 * When a Workers request's waitUntil is cancelled, so are the continuations
 * of its mail, which would then never leave the queue. An entry still there
 * this long after MAX_AGE_MS is such a one, and counts no more against
 * capacity or concurrency (on Node an attempt never lasts that long: the
 * SMTP adapter's timeouts end it).
 */
const FORGET_AFTER_MS = 2 * MAX_AGE_MS;
/** How often a send waiting for a slot looks again by itself (see nap). */
const WAIT_CHECK_MS = 1_000;
/**
 * A send waiting or granted a slot that has not looked again for this long
 * is taken for gone (on Workers, its request's waitUntil was cancelled) and
 * leaves its place; one still alive takes a place again when it next looks.
 */
const SILENT_AFTER_MS = 2 * WAIT_CHECK_MS;

/** idle: before its first attempt or between attempts; granted: a slot is its own, not yet taken up. */
type EntryState = "idle" | "waiting" | "granted" | "sending" | "dropped";

interface Entry extends TenantTurn {
  readonly kind: string;
  state: EntryState;
  /** When its send last showed it is alive (queued, looked again, or was granted a slot). */
  seenAt: number;
  attempts: number;
  /** Resumes the send while it waits for a slot. */
  wake?: () => void;
  done?: Promise<MailOutcome>;
}

/**
 * Why a mail was given up: retries exhausted, refused for good, an address
 * the SMTP server cannot take (non-ASCII local part, no SMTPUTF8), not sent
 * in time, or dropped.
 */
export const MAIL_FAILURE_REASONS = ["error", "rejected", "smtputf8_unsupported", "expired", "queue_full"] as const;
type FailureReason = (typeof MAIL_FAILURE_REASONS)[number];

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Mail sent after the response, from an in-process queue shared by the
 * tenants of the process: bounded, a few sends at once, the tenants served in
 * turn (TenantRoundRobin), transient failures retried after a delay,
 * permanent ones (a PermanentMailError: SMTP 5xx, a provider's rejection, an
 * unsafe header) given up at once, and any mail not sent within a minute.
 * When full, the tenant holding the most mails gives up its newest, so one
 * tenant's flood cannot push out the others' mail. Each mail runs in its
 * caller's own promise chain, never from another mail's continuation: on
 * Workers its I/O then belongs to the request that queued it (whose
 * waitUntil keeps it alive), and its log lines carry that request's id.
 * Log lines name the kind and the tenant, never the recipient or the text
 * (which holds the link's token).
 */
export class MailOutbox {
  private readonly entries = new Set<Entry>();
  /** Sends waiting for a free slot. */
  private readonly waiting = new TenantRoundRobin<Entry>();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: Clock;
  private readonly capacity: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly concurrency: number;

  constructor(
    private readonly deps: {
      mailer: Mailer;
      logger: Logger;
      metrics: Metrics;
      clock?: Clock;
      sleep?: (ms: number) => Promise<void>;
    },
    options: { capacity?: number; retryDelaysMs?: readonly number[]; concurrency?: number } = {},
  ) {
    this.sleep = deps.sleep ?? wait;
    this.clock = deps.clock ?? systemClock;
    this.capacity = options.capacity ?? CAPACITY;
    this.retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.concurrency = options.concurrency ?? CONCURRENCY;
  }

  /**
   * Queues a tenant's mail; resolves "sent" | "failed" | "dropped" once it is
   * sent or given up. Never rejects. "dropped" at once when the queue is full
   * and its tenant holds the most; later when a tenant holding fewer needs
   * its place.
   */
  send(tenantId: string, message: MailMessage): Promise<MailOutcome> {
    this.forgetStale();
    const now = this.now();
    const entry: Entry = { tenantId, kind: message.kind, queuedAt: now, seenAt: now, state: "idle", attempts: 0 };
    if (this.entries.size >= this.capacity) {
      const victim = this.victimFor(tenantId);
      if (!victim) {
        this.giveUp(entry, "queue_full");
        return Promise.resolve("dropped");
      }
      this.drop(victim);
    }
    this.entries.add(entry);
    entry.done = this.deliver(message, entry).finally(() => this.entries.delete(entry));
    return entry.done;
  }

  /** Resolves once everything queued so far is sent or given up (Node's shutdown; nothing there is cancelled). */
  async drain(): Promise<void> {
    while (this.entries.size > 0) await Promise.allSettled([...this.entries].map((entry) => entry.done));
  }

  private async deliver(message: MailMessage, entry: Entry): Promise<MailOutcome> {
    const { kind } = message;
    for (;;) {
      await this.takeSlot(entry);
      if (entry.state === "dropped") return "dropped"; // logged and counted by drop
      if (this.now() - entry.queuedAt > MAX_AGE_MS) {
        this.freeSlot(entry);
        this.giveUp(entry, "expired");
        return "failed";
      }
      const attempt = ++entry.attempts;
      let failure: unknown;
      try {
        await this.deps.mailer.send(message);
      } catch (error) {
        failure = error ?? new Error("mail send failed");
      } finally {
        this.freeSlot(entry);
      }
      if (failure === undefined) {
        this.deps.metrics.increment("mail_sent_total", { kind });
        return "sent";
      }
      // Refused for good, and why (a PermanentMailError's reason); undefined when worth retrying.
      const refusal = failure instanceof PermanentMailError ? failure.reason : undefined;
      this.deps.logger.warn("mail_send_failed", {
        kind,
        attempt,
        permanent: refusal !== undefined,
        ...(refusal ? { reason: refusal } : {}),
        ...attemptErrorFields(failure, message.to),
      });
      const delay = this.retryDelaysMs[attempt - 1];
      if (refusal || delay === undefined) {
        this.giveUp(entry, refusal ?? "error");
        return "failed";
      }
      await this.sleep(delay);
    }
  }

  private giveUp(entry: Entry, reason: FailureReason): void {
    const { kind, tenantId, attempts } = entry;
    this.deps.logger.error("mail_undelivered", { kind, reason, attempts, tenant_id: tenantId });
    this.deps.metrics.increment("mail_failed_total", { kind, reason });
  }

  /**
   * The mail to drop for a newcomer of `tenantId` when full: the newest not
   * in flight of the tenant holding the most, if that is more than the
   * newcomer's tenant holds (a newcomer of the largest holder is dropped itself).
   */
  private victimFor(tenantId: string): Entry | undefined {
    const held = new Map<string, number>();
    for (const entry of this.entries) held.set(entry.tenantId, (held.get(entry.tenantId) ?? 0) + 1);
    let victim: Entry | undefined;
    let most = held.get(tenantId) ?? 0;
    for (const entry of this.entries) {
      if (entry.state !== "idle" && entry.state !== "waiting") continue;
      const count = held.get(entry.tenantId) ?? 0;
      if (
        count > most ||
        (count === most && victim?.tenantId === entry.tenantId && entry.queuedAt >= victim.queuedAt)
      ) {
        victim = entry;
        most = count;
      }
    }
    return victim;
  }

  /**
   * Gives up a queued mail for another's place. Logged here, from the
   * newcomer's request: the dropped mail's own request may be gone. Its send
   * resolves "dropped" when it next looks (waiting) or wakes (between attempts).
   */
  private drop(entry: Entry): void {
    if (entry.state === "waiting") this.waiting.remove(entry);
    entry.state = "dropped";
    this.entries.delete(entry);
    this.giveUp(entry, "queue_full");
    entry.wake?.();
  }

  /**
   * Waits for a slot granted in the tenants' turn (grant). A send woken by
   * the one that freed a slot takes it at once; on Workers, a request whose
   * waitUntil awaits only a promise another request settles has nothing
   * pending of its own and is cancelled as hung, so each waiting send also
   * looks again by its own timer.
   */
  private async takeSlot(entry: Entry): Promise<void> {
    while (entry.state !== "granted" && entry.state !== "dropped") {
      entry.seenAt = this.now();
      if (entry.state === "idle") {
        entry.state = "waiting";
        this.waiting.add(entry);
      }
      this.grant();
      if (entry.state === "waiting") await this.nap(entry);
    }
    if (entry.state === "granted") entry.state = "sending";
  }

  private nap(entry: Entry): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        entry.wake = undefined;
        resolve();
      }, WAIT_CHECK_MS);
      entry.wake = () => {
        clearTimeout(timer);
        entry.wake = undefined;
        resolve();
      };
    });
  }

  private freeSlot(entry: Entry): void {
    entry.state = "idle";
    this.grant();
  }

  /**
   * Hands the free slots to waiting sends in the tenants' turn. A send
   * silent too long (its request cancelled) loses its grant or its place
   * rather than hold a slot until forgotten.
   */
  private grant(): void {
    const now = this.now();
    let inFlight = 0;
    for (const entry of this.entries) {
      if (entry.state === "granted" && now - entry.seenAt > SILENT_AFTER_MS) entry.state = "idle";
      else if (entry.state === "granted" || entry.state === "sending") inFlight++;
    }
    while (inFlight < this.concurrency) {
      const next = this.waiting.take();
      if (!next) return;
      if (now - next.seenAt > SILENT_AFTER_MS) {
        next.state = "idle";
        continue;
      }
      next.state = "granted";
      next.seenAt = now;
      inFlight++;
      next.wake?.();
    }
  }

  private forgetStale(): void {
    const oldest = this.now() - FORGET_AFTER_MS;
    let forgotten = false;
    for (const entry of this.entries) {
      if (entry.queuedAt >= oldest) continue;
      // One still alive takes a place again when it next looks, and is then given up as expired.
      if (entry.state === "waiting") this.waiting.remove(entry);
      if (entry.state !== "sending") entry.state = "idle";
      forgotten = this.entries.delete(entry);
    }
    if (forgotten) this.grant();
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
