import { describe, expect, it } from "vitest";
import { type IdleCandidate, IdleOrder } from "../../src/entry/idle-order.js";

let moments = 0;
const connection = (): IdleCandidate => ({ unanswered: 0, idleSince: 0, gone: false });
/** What the connection limiter does when a connection's last response ends. */
const becomeIdle = (order: IdleOrder<IdleCandidate>, c: IdleCandidate, live: number) => {
  c.idleSince = ++moments;
  order.push(c, live);
};

describe("IdleOrder", () => {
  it("gives the connections idle the longest first, once each", () => {
    const order = new IdleOrder<IdleCandidate>();
    const [a, b, c] = [connection(), connection(), connection()] as IdleCandidate[];
    for (const each of [a, b, c]) becomeIdle(order, each as IdleCandidate, 3);
    expect(order.takeOldest()).toBe(a);
    expect(order.takeOldest()).toBe(b);
    expect(order.takeOldest()).toBe(c);
    expect(order.takeOldest()).toBeUndefined();
  });

  it("skips a connection that is busy, idle again since, or gone", () => {
    const order = new IdleOrder<IdleCandidate>();
    const [busy, again, gone, kept] = [connection(), connection(), connection(), connection()] as IdleCandidate[];
    for (const each of [busy, again, gone, kept]) becomeIdle(order, each as IdleCandidate, 4);
    (busy as IdleCandidate).unanswered = 1;
    becomeIdle(order, again as IdleCandidate, 4);
    (gone as IdleCandidate).gone = true;
    expect(order.takeOldest()).toBe(kept);
    expect(order.takeOldest()).toBe(again);
    expect(order.takeOldest()).toBeUndefined();
  });

  it("holds at most about twice the live connections however many requests and evictions pass", () => {
    const order = new IdleOrder<IdleCandidate>();
    const live = Array.from({ length: 100 }, connection);
    for (const each of live) becomeIdle(order, each, live.length);
    for (let round = 0; round < 10_000; round++) {
      // Keep-alive requests on every connection, and a full server's newcomer taking a slot.
      becomeIdle(order, live[round % live.length] as IdleCandidate, live.length);
      const oldest = order.takeOldest() as IdleCandidate;
      oldest.gone = true;
      const newcomer = connection();
      live[live.indexOf(oldest)] = newcomer;
      becomeIdle(order, newcomer, live.length);
      expect(order.held).toBeLessThanOrEqual(2 * live.length + 64);
    }
    // The order is still right after all that: the connection idle the longest comes first.
    const longest = live.reduce((a, b) => (a.idleSince < b.idleSince ? a : b));
    expect(order.takeOldest()).toBe(longest);
  });
});
