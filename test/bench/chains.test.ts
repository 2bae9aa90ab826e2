import { describe, expect, it } from "vitest";
import { type Chain, Chains, checkChains } from "../../bench/chains.js";

// The soak's chain pool is bounded: logins never stop, memory must not grow with them.

const session = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
/** A refresh token as the service makes them: rt1.{session id (16 bytes), generation (4 bytes), …}.tag */
function token(n: number, generation: number): string {
  const body = Buffer.alloc(24);
  Buffer.from(session(n).replace(/-/g, ""), "hex").copy(body);
  body.writeUInt32BE(generation, 16);
  return `rt1.${body.toString("base64url")}.tag`;
}
const answer = (n: number, generation: number) =>
  JSON.stringify({
    access_token: `at-${n}-${generation}`,
    refresh_token: token(n, generation),
    session_id: session(n),
  });

/** One refresh of the chain idle longest, as the refresh flow does it; the chain it took. */
function refreshOnce(chains: Chains): Chain {
  const chain = chains.take() as Chain;
  expect(chains.present(chain)).toBeUndefined();
  const n = Number(chain.sessionId.slice(-12));
  expect(chains.advance(chain, 200, answer(n, chain.generation + 1))).toBeUndefined();
  chains.give(chain);
  return chain;
}

describe("the chain pool", () => {
  it("retires chains right after a successful refresh once over its limit, and counts them as intact", async () => {
    const chains = new Chains(3);
    for (let n = 0; n < 5; n++) chains.start(n, JSON.parse(answer(n, 0)));
    expect(chains.size).toBe(5);
    for (let i = 0; i < 10; i++) refreshOnce(chains);
    expect(chains.size).toBe(3);
    expect(chains.retired).toBe(2);
    expect(chains.retiredRefreshes).toBe(2);
    // The final check refreshes the chains held; the retired ones count with their refreshes.
    const check = await checkChains(chains, async (presented) => {
      const held = chains.all.find((c) => c.token === presented) as Chain;
      return { status: 200, body: answer(Number(held.sessionId.slice(-12)), held.generation + 1) };
    });
    expect(check).toMatchObject({ chains: 5, intact: 5, refreshes: 13, retired: 2, broken: [], inDoubt: [] });
  });

  it("keeps every chain without a limit, and hands out at most the last 256 access tokens", () => {
    const chains = new Chains();
    for (let n = 0; n < 300; n++) chains.start(n, JSON.parse(answer(n, 0)));
    for (let i = 0; i < 600; i++) refreshOnce(chains);
    expect(chains.size).toBe(300);
    expect(chains.retired).toBe(0);
    const recent = chains.recentAccess();
    expect(recent).toHaveLength(256);
    expect(recent).toContain("at-299-2"); // the last refresh's answer
    expect(recent).not.toContain("at-0-0");
  });
});
