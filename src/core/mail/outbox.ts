import { type Clock, systemClock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import { type Mailer, type MailMessage, PermanentMailError } from "../ports/mail.js";
import type { Metrics } from "../ports/telemetry.js";
import { attemptErrorFields } from "./attempt-error-fields.js";

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
/** How often a send waiting for a slot looks again by itself (see takeSlot). */
const WAIT_CHECK_MS = 1_000;

interface Entry {
  readonly queuedAt: number;
  sending: boolean;
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
 * Mail sent after the response, from an in-process queue: bounded, a few
 * sends at once, transient failures retried after a delay, permanent ones
 * (a PermanentMailError: SMTP 5xx, a provider's rejection, an unsafe header)
 * given up at once, and any mail not sent within a minute. Each mail runs
 * in its caller's own promise chain, never from another mail's
 * continuation: on Workers its I/O then belongs to the request that queued
 * it (whose waitUntil keeps it alive), and its log lines carry that
 * request's id. Log lines name the kind, never the recipient or the text
 * (which holds the link's token).
 */
export class MailOutbox {
  private readonly entries = new Set<Entry>();
  /** Sends waiting for a free slot, oldest first. */
  private readonly waiting: (() => void)[] = [];
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

  /** Queues a mail; resolves "sent" | "failed" | "dropped" once it is sent or given up. Never rejects. "dropped" at once when the queue is full. */
  send(message: MailMessage): Promise<MailOutcome> {
    this.forgetStale();
    if (this.entries.size >= this.capacity) {
      this.giveUp(message, "queue_full", 0);
      return Promise.resolve("dropped");
    }
    const entry: Entry = { queuedAt: this.now(), sending: false };
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
    for (let attempt = 1; ; attempt++) {
      await this.takeSlot(entry);
      if (this.now() - entry.queuedAt > MAX_AGE_MS) {
        this.freeSlot(entry);
        this.giveUp(message, "expired", attempt - 1);
        return "failed";
      }
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
        this.giveUp(message, refusal ?? "error", attempt);
        return "failed";
      }
      await this.sleep(delay);
    }
  }

  private giveUp(message: MailMessage, reason: FailureReason, attempts: number): void {
    this.deps.logger.error("mail_undelivered", { kind: message.kind, reason, attempts });
    this.deps.metrics.increment("mail_failed_total", { kind: message.kind, reason });
  }

  /**
   * Waits for a free slot, woken by the send that frees one or by its own
   * timer. On Workers a request whose waitUntil awaits only a promise another
   * request settles has nothing pending of its own and is cancelled as hung;
   * the timer is its own and keeps it alive. A send woken ahead of its turn
   * (another took the slot first) waits again at the front.
   */
  private async takeSlot(entry: Entry): Promise<void> {
    for (let woken = false; this.inFlight() >= this.concurrency; woken = true) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          const at = this.waiting.indexOf(wake);
          if (at !== -1) this.waiting.splice(at, 1);
          resolve();
        };
        timer = setTimeout(wake, WAIT_CHECK_MS);
        if (woken) this.waiting.unshift(wake);
        else this.waiting.push(wake);
      });
    }
    entry.sending = true;
  }

  private freeSlot(entry: Entry): void {
    entry.sending = false;
    this.wakeWaiting();
  }

  /** Wakes as many waiting sends as there are free slots (each checks again when it runs). */
  private wakeWaiting(): void {
    for (let free = this.concurrency - this.inFlight(); free > 0 && this.waiting.length > 0; free--) {
      this.waiting[0]?.();
    }
  }

  private inFlight(): number {
    let sending = 0;
    for (const entry of this.entries) if (entry.sending) sending++;
    return sending;
  }

  private forgetStale(): void {
    const oldest = this.now() - FORGET_AFTER_MS;
    let forgotten = false;
    for (const entry of this.entries) {
      if (entry.queuedAt < oldest) forgotten = this.entries.delete(entry);
    }
    if (forgotten) this.wakeWaiting();
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
