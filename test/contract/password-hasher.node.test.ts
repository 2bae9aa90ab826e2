import { describe, expect, it } from "vitest";
import { HashQueue } from "../../src/adapters/passwords/hash-queue.js";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { passwordHasherContract } from "./password-hasher.contract.js";

passwordHasherContract("native @node-rs/argon2 (Node)", async () => createNodeArgon2Hasher(cryptoRandom));

describe("the native hasher's bound", () => {
  const gate = () => {
    let open!: () => void;
    let fail!: (error: Error) => void;
    const promise = new Promise<string>((resolve, reject) => {
      open = () => resolve("done");
      fail = reject;
    });
    return { promise, open, fail };
  };

  it("runs at most `limit` tasks at once, the next waiting one as soon as a slot frees, failed or not", async () => {
    const queue = new HashQueue({ limit: 2 });
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const results = gates.map((g, i) =>
      queue
        .run(() => {
          started.push(i);
          return g.promise;
        })
        .catch((error: Error) => error.message),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    gates[1]?.fail(new Error("refused"));
    await expect(results[1]).resolves.toBe("refused");
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.open();
    await expect(results[0]).resolves.toBe("done");
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2]?.open();
    gates[3]?.open();
    expect(await Promise.all(results)).toEqual(["done", "refused", "done", "done"]);
  });

  it("sheds a task beyond `maxWaiting` with 503 and Retry-After, and takes one again once a slot frees", async () => {
    const queue = new HashQueue({ limit: 1, maxWaiting: 2 });
    const gates = [gate(), gate(), gate()];
    const results = gates.map((g) => queue.run(() => g.promise));
    const shed = await queue.run(async () => "ran").catch((error: unknown) => error);
    expect(shed).toMatchObject({
      status: 503,
      code: "service_unavailable",
      headers: { "Retry-After": expect.any(String) },
    });
    for (const g of gates) g.open();
    expect(await Promise.all(results)).toEqual(["done", "done", "done"]);
    expect(await queue.run(async () => "ran")).toBe("ran");
    // A shed verification is refused as such, not taken for a wrong password.
    const held = gate();
    const busy = new HashQueue({ limit: 1, maxWaiting: 0 });
    const hasher = createNodeArgon2Hasher(cryptoRandom, busy);
    const phc = await createNodeArgon2Hasher(cryptoRandom).hash("correct horse");
    const first = busy.run(() => held.promise);
    await expect(hasher.verify(phc, "correct horse")).rejects.toMatchObject({ status: 503 });
    held.open();
    await first;
    expect(await hasher.verify(phc, "correct horse")).toBe(true);
  });

  it("verifies and hashes through it, and gives the slot back after a hash it refuses", async () => {
    const queue = new HashQueue({ limit: 1 });
    const hasher = createNodeArgon2Hasher(cryptoRandom, queue);
    const phc = await hasher.hash("correct horse");
    const answers = await Promise.all([
      hasher.verify(phc, "correct horse"),
      hasher.verify(phc.replace(/\$[^$]+$/, "$AAAA"), "correct horse"), // a tag the library refuses
      hasher.verify(phc, "wrong"),
    ]);
    expect(answers).toEqual([true, false, false]);
    // The slot came back every time: one more task runs at once.
    let ran = false;
    await queue.run(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });
});
