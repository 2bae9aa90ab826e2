import { describe, expect, it } from "vitest";
import { PrometheusMetrics } from "../../src/adapters/telemetry/prometheus.js";
import { UnsafeMailHeaderError } from "../../src/core/mail/header-safety.js";
import { MAIL_FAILURE_REASONS, MailOutbox } from "../../src/core/mail/outbox.js";
import { MAIL_KINDS } from "../../src/core/mail/templates.js";
import type { Clock } from "../../src/core/ports/clock.js";
import { type Mailer, type MailMessage, PermanentMailError } from "../../src/core/ports/mail.js";
import { recordingLogger, recordingMetrics } from "../support/recorders.js";

const TENANT = "tenant-a";
const TOKEN = "0dMyvW1fQ2bSg4rP7x9KZ_a-3nLcEuTj5hYiVoBqXwA";
const mail = (overrides: Partial<MailMessage> = {}): MailMessage => ({
  to: "ada@example.com",
  subject: "Reset your Acme password",
  text: `Open https://auth.example/t/acme/reset?token=${TOKEN}\n`,
  html: `<a href="https://auth.example/t/acme/reset?token=${TOKEN}">Reset</a>`,
  kind: "password_reset",
  ...overrides,
});

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A clock the fake sleep moves forward: retry delays pass at once, yet count as time passed. */
function fakeTime() {
  let now = Date.UTC(2026, 0, 1);
  const clock: Clock = { now: () => new Date(now) };
  const slept: number[] = [];
  return {
    clock,
    slept,
    advance: (ms: number) => {
      now += ms;
    },
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
}

/** A Mailer that fails its first `failures` sends with `error`, then accepts; it keeps what it accepted. */
function flakyMailer(failures: number, error: () => unknown = () => new Error("connect ECONNREFUSED 10.0.0.5:587")) {
  const accepted: MailMessage[] = [];
  let calls = 0;
  const mailer: Mailer = {
    async send(message) {
      calls++;
      if (calls <= failures) throw error();
      accepted.push(message);
    },
  };
  return { mailer, accepted, calls: () => calls };
}

function outboxWith(mailer: Mailer, options?: ConstructorParameters<typeof MailOutbox>[1]) {
  const { logger, lines } = recordingLogger();
  const { metrics, counts } = recordingMetrics();
  const time = fakeTime();
  const outbox = new MailOutbox({ mailer, logger, metrics, clock: time.clock, sleep: time.sleep }, options);
  return { outbox, lines, counts, time };
}

describe("MailOutbox", () => {
  it("sends a mail and counts it by kind", async () => {
    const { mailer, accepted } = flakyMailer(0);
    const { outbox, lines, counts } = outboxWith(mailer);
    expect(await outbox.send(TENANT, mail())).toBe("sent");
    expect(accepted).toEqual([mail()]);
    expect(counts).toEqual([{ name: "mail_sent_total", labels: { kind: "password_reset" } }]);
    expect(lines).toEqual([]);
  });

  it("retries a failed send after the delays, then sends it", async () => {
    const flaky = flakyMailer(2);
    const { outbox, lines, counts, time } = outboxWith(flaky.mailer);
    expect(await outbox.send(TENANT, mail())).toBe("sent");
    expect(flaky.calls()).toBe(3);
    expect(time.slept).toEqual([1_000, 5_000]);
    expect(lines.map((l) => [l.level, l.event, l.fields.attempt])).toEqual([
      ["warn", "mail_send_failed", 1],
      ["warn", "mail_send_failed", 2],
    ]);
    expect(lines[0]?.fields).toMatchObject({ kind: "password_reset", permanent: false, error: "Error" });
    expect(counts).toEqual([{ name: "mail_sent_total", labels: { kind: "password_reset" } }]);
  });

  it("gives up after the last retry: failed, logged as undelivered and counted as an error", async () => {
    const flaky = flakyMailer(Number.POSITIVE_INFINITY);
    const { outbox, lines, counts, time } = outboxWith(flaky.mailer);
    expect(await outbox.send(TENANT, mail())).toBe("failed");
    expect(flaky.calls()).toBe(4);
    expect(time.slept).toEqual([1_000, 5_000, 15_000]);
    expect(lines.at(-1)).toEqual({
      level: "error",
      event: "mail_undelivered",
      fields: { kind: "password_reset", reason: "error", attempts: 4, tenant_id: TENANT },
    });
    expect(counts).toEqual([{ name: "mail_failed_total", labels: { kind: "password_reset", reason: "error" } }]);
  });

  it.each([
    ["a PermanentMailError (SMTP 5xx, provider rejection)", () => new PermanentMailError("refused")],
    ["an unsafe header", () => new UnsafeMailHeaderError("subject")],
  ])("does not retry %s: failed at once, counted as rejected", async (_what, error) => {
    const flaky = flakyMailer(Number.POSITIVE_INFINITY, error);
    const { outbox, lines, counts, time } = outboxWith(flaky.mailer);
    expect(await outbox.send(TENANT, mail())).toBe("failed");
    expect(flaky.calls()).toBe(1);
    expect(time.slept).toEqual([]);
    expect(lines.map((l) => l.event)).toEqual(["mail_send_failed", "mail_undelivered"]);
    expect(lines[0]?.fields).toMatchObject({ permanent: true });
    expect(lines[1]?.fields).toEqual({ kind: "password_reset", reason: "rejected", attempts: 1, tenant_id: TENANT });
    expect(counts).toEqual([{ name: "mail_failed_total", labels: { kind: "password_reset", reason: "rejected" } }]);
  });

  it("drops a mail at once when the queue is full, logged and counted", async () => {
    const gate = deferred();
    const mailer: Mailer = { send: () => gate.promise };
    const { outbox, lines, counts } = outboxWith(mailer, { capacity: 2 });
    const first = outbox.send(TENANT, mail());
    const second = outbox.send(TENANT, mail());
    expect(await outbox.send(TENANT, mail({ kind: "verify_email" }))).toBe("dropped");
    expect(lines).toEqual([
      {
        level: "error",
        event: "mail_undelivered",
        fields: { kind: "verify_email", reason: "queue_full", attempts: 0, tenant_id: TENANT },
      },
    ]);
    expect(counts).toEqual([{ name: "mail_failed_total", labels: { kind: "verify_email", reason: "queue_full" } }]);
    gate.resolve();
    expect(await Promise.all([first, second])).toEqual(["sent", "sent"]);
    // Room again once they are sent.
    expect(await outbox.send(TENANT, mail())).toBe("sent");
  });

  it("serves the tenants in turn, one mail each, oldest first within a tenant", async () => {
    const sent: string[] = [];
    const mailer: Mailer = {
      async send(message) {
        sent.push(message.to);
      },
    };
    const { outbox } = outboxWith(mailer, { concurrency: 1 });
    // Tenant a's backlog is queued first; b's and c's mails wait one turn of a's, not all of them.
    const queued = [
      ["a", "a1"],
      ["a", "a2"],
      ["a", "a3"],
      ["a", "a4"],
      ["b", "b1"],
      ["b", "b2"],
      ["c", "c1"],
    ].map(([tenant, to]) => outbox.send(tenant as string, mail({ to })));
    expect(await Promise.all(queued)).toEqual(Array(7).fill("sent"));
    expect(sent).toEqual(["a1", "a2", "b1", "c1", "a3", "b2", "a4"]);
  });

  it("when full, drops the newest mail of the tenant holding the most for another tenant's, and a newcomer of that tenant itself", async () => {
    const gate = deferred();
    const sent: string[] = [];
    const mailer: Mailer = {
      async send(message) {
        await gate.promise;
        sent.push(message.to);
      },
    };
    const { outbox, lines, counts } = outboxWith(mailer, { capacity: 4, concurrency: 1 });
    const flood = ["a1", "a2", "a3", "a4"].map((to) => outbox.send("a", mail({ to })));
    const other = outbox.send("b", mail({ to: "b1", kind: "verify_email" }));
    // a holds 3 of the 4 places, b 1: a's newcomer is the one dropped.
    expect(await outbox.send("a", mail({ to: "a5" }))).toBe("dropped");
    expect(lines).toEqual([
      {
        level: "error",
        event: "mail_undelivered",
        fields: { kind: "password_reset", reason: "queue_full", attempts: 0, tenant_id: "a" },
      },
      {
        level: "error",
        event: "mail_undelivered",
        fields: { kind: "password_reset", reason: "queue_full", attempts: 0, tenant_id: "a" },
      },
    ]);
    expect(counts).toEqual(
      Array(2).fill({ name: "mail_failed_total", labels: { kind: "password_reset", reason: "queue_full" } }),
    );
    expect(await flood[3]).toBe("dropped");
    gate.resolve();
    expect(await Promise.all([...flood.slice(0, 3), other])).toEqual(Array(4).fill("sent"));
    expect(sent).toEqual(["a1", "a2", "b1", "a3"]);
  });

  it("drops a newcomer of a tenant holding as many as the largest holder", async () => {
    const gate = deferred();
    const { outbox } = outboxWith({ send: () => gate.promise }, { capacity: 4, concurrency: 1 });
    const queued = ["a", "a", "b", "b"].map((tenant) => outbox.send(tenant, mail()));
    expect(await outbox.send("a", mail())).toBe("dropped");
    expect(await outbox.send("b", mail())).toBe("dropped");
    gate.resolve();
    expect(await Promise.all(queued)).toEqual(Array(4).fill("sent"));
  });

  it("drops a mail waiting for its retry when its tenant holds the most: it resolves dropped, and is not sent again", async () => {
    const flaky = flakyMailer(1);
    const { logger, lines } = recordingLogger();
    const { metrics } = recordingMetrics();
    const retry = deferred();
    const outbox = new MailOutbox(
      { mailer: flaky.mailer, logger, metrics, sleep: () => retry.promise },
      { capacity: 1, concurrency: 1 },
    );
    const first = outbox.send("a", mail());
    for (let i = 0; i < 10; i++) await Promise.resolve(); // its first attempt fails; it waits for the retry
    expect(flaky.calls()).toBe(1);
    expect(await outbox.send("b", mail())).toBe("sent");
    retry.resolve();
    expect(await first).toBe("dropped");
    expect(flaky.calls()).toBe(2); // its one attempt and b's
    expect(lines.at(-1)?.fields).toEqual({ kind: "password_reset", reason: "queue_full", attempts: 1, tenant_id: "a" });
  });

  it("never has more sends in flight than its concurrency, and sends every mail", async () => {
    let inFlight = 0;
    let most = 0;
    const gates: ReturnType<typeof deferred>[] = [];
    const mailer: Mailer = {
      async send() {
        inFlight++;
        most = Math.max(most, inFlight);
        const gate = deferred();
        gates.push(gate);
        await gate.promise.finally(() => inFlight--);
      },
    };
    const { outbox } = outboxWith(mailer, { concurrency: 3 });
    const sends = Array.from({ length: 10 }, () => outbox.send(TENANT, mail()));
    const settle = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    await settle();
    expect(gates).toHaveLength(3);
    for (let opened = 0; opened < 10; opened++) {
      gates[opened]?.resolve();
      await settle();
      expect(inFlight).toBeLessThanOrEqual(3);
    }
    expect(await Promise.all(sends)).toEqual(Array(10).fill("sent"));
    expect(most).toBe(3);
  });

  it("frees the slot of a send waiting for its retry", async () => {
    // One slot: the second mail goes out while the first waits for its retry.
    const order: string[] = [];
    let failFirst = true;
    const mailer: Mailer = {
      async send(message) {
        if (message.kind === "verify_email" && failFirst) {
          failFirst = false;
          throw new Error("try again");
        }
        order.push(message.kind);
      },
    };
    const { logger } = recordingLogger();
    const { metrics } = recordingMetrics();
    const retry = deferred();
    const outbox = new MailOutbox({ mailer, logger, metrics, sleep: () => retry.promise }, { concurrency: 1 });
    const first = outbox.send(TENANT, mail({ kind: "verify_email" }));
    const second = outbox.send(TENANT, mail({ kind: "password_changed" }));
    expect(await second).toBe("sent");
    retry.resolve();
    expect(await first).toBe("sent");
    expect(order).toEqual(["password_changed", "verify_email"]);
  });

  it("drain waits for mails still waiting for a retry", async () => {
    const flaky = flakyMailer(1);
    const { logger } = recordingLogger();
    const { metrics } = recordingMetrics();
    const retry = deferred();
    const outbox = new MailOutbox({ mailer: flaky.mailer, logger, metrics, sleep: () => retry.promise });
    const sent = outbox.send(TENANT, mail());
    let drained = false;
    const draining = outbox.drain().then(() => {
      drained = true;
    });
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(flaky.calls()).toBe(1);
    expect(drained).toBe(false);
    retry.resolve();
    await draining;
    expect(flaky.accepted).toHaveLength(1);
    expect(await sent).toBe("sent");
    await outbox.drain(); // nothing queued: at once
  });

  it("gives up a mail not sent within a minute of being queued (expired)", async () => {
    const flaky = flakyMailer(Number.POSITIVE_INFINITY);
    const { outbox, lines, counts } = outboxWith(flaky.mailer, { retryDelaysMs: [30_000, 31_000, 1_000] });
    expect(await outbox.send(TENANT, mail())).toBe("failed");
    expect(flaky.calls()).toBe(2); // at 0 s and 30 s; the third would start 61 s after queuing
    expect(lines.at(-1)?.fields).toEqual({ kind: "password_reset", reason: "expired", attempts: 2, tenant_id: TENANT });
    expect(counts).toEqual([{ name: "mail_failed_total", labels: { kind: "password_reset", reason: "expired" } }]);
  });

  it("stops counting a mail whose continuation never came back (a cancelled Workers waitUntil)", async () => {
    let calls = 0;
    // The first send never settles, as when its request's waitUntil was cancelled mid-send.
    const mailer: Mailer = { send: () => (++calls === 1 ? new Promise(() => {}) : Promise.resolve()) };
    const { outbox, time } = outboxWith(mailer, { capacity: 1, concurrency: 1 });
    void outbox.send(TENANT, mail());
    expect(await outbox.send(TENANT, mail())).toBe("dropped");
    time.advance(119_000);
    expect(await outbox.send(TENANT, mail())).toBe("dropped");
    time.advance(2_000);
    // The stuck entry no longer holds the one place nor the one slot.
    expect(await outbox.send(TENANT, mail())).toBe("sent");
  });

  it("logs the kind and the error, never the recipient, the subject or the text with its token", async () => {
    const replies = [
      new Error("Can't send mail - all recipients were rejected: 550 5.1.1 <ada@example.com>: User unknown"),
      new PermanentMailError("The SMTP server refused the mail", {
        cause: new Error("554 rejected: To: Ada <ada@example.com>"),
      }),
    ];
    const flaky = flakyMailer(2, () => replies.shift());
    const { outbox, lines } = outboxWith(flaky.mailer);
    expect(await outbox.send(TENANT, mail({ to: "Ada <ada@example.com>" }))).toBe("failed");
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain("ada@example.com");
    expect(logged).not.toContain("Reset your Acme password");
    expect(logged).not.toContain("auth.example/t/acme/reset");
    expect(lines[0]?.fields.message).toBe(
      "Can't send mail - all recipients were rejected: 550 5.1.1 <[address]>: User unknown",
    );
    expect(lines[1]?.fields.cause).toMatchObject({ message: expect.stringContaining("To: [recipient]") });
  });

  it("exports both counters from 0 for every kind and reason, so their rates exist before the first mail", async () => {
    const text = await new PrometheusMetrics().render();
    for (const kind of MAIL_KINDS) {
      expect(text).toContain(`authority_mail_sent_total{kind="${kind}"} 0`);
      for (const reason of MAIL_FAILURE_REASONS) {
        expect(text).toContain(`authority_mail_failed_total{kind="${kind}",reason="${reason}"} 0`);
      }
    }
  });
});
