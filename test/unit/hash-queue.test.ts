import { describe, expect, it } from "vitest";
import { HashQueue } from "../../src/adapters/passwords/hash-queue.js";
import type { Metrics } from "../../src/core/ports/telemetry.js";

/** A task that runs until opened, recording that it started. */
function tasks() {
  const started: string[] = [];
  const opens = new Map<string, () => void>();
  const task = (name: string) => () => {
    started.push(name);
    return new Promise<string>((resolve) => opens.set(name, () => resolve(name)));
  };
  const open = async (name: string) => {
    opens.get(name)?.();
    await settle();
  };
  return { started, task, open };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function countingMetrics() {
  const shed: string[] = [];
  const metrics: Metrics = {
    increment: (name, labels) => {
      if (name === "password_hashes_shed_total") shed.push(labels?.reason ?? "");
    },
    observe: () => {},
  };
  return { shed, metrics };
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => value,
    (error: { status?: number; code?: string }) => `${error.status} ${error.code}`,
  );

describe("the password hash queue", () => {
  it("serves the tenants' lanes in turn: a flood in one lane delays another's hash by at most one hash", async () => {
    const queue = new HashQueue({ limit: 1 });
    const { started, task, open } = tasks();
    const done = [queue.run(task("running"), { lane: "a" })];
    for (let i = 1; i <= 5; i++) done.push(queue.run(task(`a${i}`), { lane: "a" }));
    done.push(queue.run(task("b1"), { lane: "b" }), queue.run(task("b2"), { lane: "b" }));
    done.push(queue.run(task("c1"), { lane: "c" }));
    await settle();
    expect(queue.waiting).toBe(8);
    for (const name of ["running", "a1", "b1", "c1", "a2", "b2", "a3", "a4", "a5"]) await open(name);
    expect(started).toEqual(["running", "a1", "b1", "c1", "a2", "b2", "a3", "a4", "a5"]);
    expect(queue.waiting).toBe(0);
    await Promise.all(done);
  });

  it("when full, sheds the newest hash of the fullest lane for a lane under its share, and a newcomer over its share", async () => {
    const { shed, metrics } = countingMetrics();
    const queue = new HashQueue({ limit: 1, maxWaiting: 4, metrics });
    const { started, task, open } = tasks();
    const running = queue.run(task("running"), { lane: "a" });
    const a = [1, 2, 3, 4].map((i) => outcome(queue.run(task(`a${i}`), { lane: "a" })));
    await settle();
    // B's login waits; A's newest gives up its place.
    const b = outcome(queue.run(task("b1"), { lane: "b" }));
    expect(await a[3]).toBe("503 service_unavailable");
    expect(queue.waiting).toBe(4);
    // A holds 3 of 4 places, more than its half: its newcomer is the one shed.
    expect(await outcome(queue.run(task("a5"), { lane: "a" }))).toBe("503 service_unavailable");
    expect(shed).toEqual(["full", "full"]);
    for (const name of ["running", "a1", "b1", "a2", "a3"]) await open(name);
    expect(started).toEqual(["running", "a1", "b1", "a2", "a3"]);
    expect(await b).toBe("b1");
    await running;
  });

  it("sheds a hash that waited past maxWaitMs when its turn comes, instead of running it", async () => {
    let now = 0;
    const { shed, metrics } = countingMetrics();
    const queue = new HashQueue({ limit: 1, maxWaitMs: 2_000, now: () => now, metrics });
    const { started, task, open } = tasks();
    const running = queue.run(task("running"), { lane: "a" });
    const old = outcome(queue.run(task("old"), { lane: "a" }));
    now = 1_500;
    const fresh = outcome(queue.run(task("fresh"), { lane: "b" }));
    now = 2_001;
    await open("running");
    expect(await old).toBe("503 service_unavailable");
    expect(started).toEqual(["running", "fresh"]);
    expect(shed).toEqual(["waited_too_long"]);
    await open("fresh");
    expect(await fresh).toBe("fresh");
    await running;
  });

  it("frees the places of hashes that waited too long before refusing a newcomer to a full queue", async () => {
    let now = 0;
    const queue = new HashQueue({ limit: 1, maxWaiting: 1, maxWaitMs: 2_000, now: () => now });
    const { task, open } = tasks();
    const running = queue.run(task("running"), { lane: "a" });
    const old = outcome(queue.run(task("old"), { lane: "a" }));
    now = 2_001;
    const next = outcome(queue.run(task("next"), { lane: "a" }));
    expect(await old).toBe("503 service_unavailable");
    await open("running");
    await open("next");
    expect(await next).toBe("next");
    await running;
  });

  it("skips a waiting hash whose client has gone", async () => {
    const { shed, metrics } = countingMetrics();
    const queue = new HashQueue({ limit: 1, metrics });
    const { started, task, open } = tasks();
    let present = true;
    const running = queue.run(task("running"), { lane: "a" });
    const gone = outcome(queue.run(task("gone"), { lane: "a", wanted: () => present }));
    const kept = outcome(queue.run(task("kept"), { lane: "a", wanted: () => true }));
    present = false;
    await open("running");
    expect(await gone).toBe("503 service_unavailable");
    expect(started).toEqual(["running", "kept"]);
    expect(shed).toEqual(["abandoned"]);
    await open("kept");
    expect(await kept).toBe("kept");
    await running;
  });
});
