/**
 * A session's hash slot moves to another master of the Redis Cluster (the
 * steps `redis-cli --cluster reshard` takes: SETSLOT IMPORTING / MIGRATING,
 * MIGRATE key by key, SETSLOT NODE) while the session refreshes and its
 * access token is checked. The client follows ASK and MOVED and retries
 * TRYAGAIN: no refresh fails, none is lost, and reuse is still detected.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSlot } from "../../src/core/key-slot.js";
import type { TokenBody } from "../support/accounts.js";
import { redisCluster } from "../support/redis.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

interface Master {
  id: string;
  host: string;
  port: number;
  redis: Redis;
}

/** A CLUSTER SLOTS entry: a range of slots and its master (host, port, node id) first. */
type Shard = [number, number, [string, number, string]];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let s: SessionsApp;
let masters: Master[];
beforeAll(async () => {
  s = await startSessionsApp(redisCluster());
  const { hostname, port } = new URL(s.t.redis.url);
  const seed = new Redis({ host: hostname, port: Number(port) });
  const shards = (await seed.cluster("SLOTS")) as unknown as Shard[];
  seed.disconnect();
  const unique = new Map(shards.map(([, , [host, nodePort, id]]) => [id, { id, host, port: nodePort }]));
  masters = [...unique.values()].map((m) => ({ ...m, redis: new Redis({ host: m.host, port: m.port }) }));
});
afterAll(async () => {
  for (const master of masters ?? []) master.redis.disconnect();
  await s.close();
});

/** The master serving `slot` now. */
async function ownerOf(slot: number): Promise<Master> {
  const shards = (await masters[0]?.redis.cluster("SLOTS")) as unknown as Shard[];
  const id = shards.find(([from, to]) => from <= slot && slot <= to)?.[2][2];
  const owner = masters.find((m) => m.id === id);
  if (!owner) throw new Error(`no master serves slot ${slot}`);
  return owner;
}

/** Redirections and retries the masters answered so far (INFO errorstats). */
async function redirections(): Promise<number> {
  let total = 0;
  for (const { redis } of masters) {
    for (const [, count] of (await redis.info("errorstats")).matchAll(
      /^errorstat_(?:ASK|MOVED|TRYAGAIN):count=(\d+)/gm,
    )) {
      total += Number(count);
    }
  }
  return total;
}

const PHASES = ["before", "moving", "moved", "done"] as const;
type Phase = (typeof PHASES)[number];
/** The phases from `from` to `to`, both included. */
const spanned = (from: Phase, to: Phase): Phase[] => PHASES.slice(PHASES.indexOf(from), PHASES.indexOf(to) + 1);

/** Moves `slot` from `source` to `target` as redis-cli's reshard does, slowly, so requests meet it half-moved. */
async function migrate(slot: number, source: Master, target: Master, onPhase: (phase: Phase) => void): Promise<void> {
  await target.redis.cluster("SETSLOT", slot, "IMPORTING", source.id);
  await source.redis.cluster("SETSLOT", slot, "MIGRATING", target.id);
  onPhase("moving");
  try {
    for (;;) {
      const [key] = (await source.redis.cluster("GETKEYSINSLOT", slot, 1)) as string[];
      if (key === undefined) break;
      await source.redis.call("MIGRATE", target.host, target.port, "", 0, 5_000, "KEYS", key);
      await pause(60);
    }
    // Held a little longer: a script creating a key of the slot meets TRYAGAIN until the move ends.
    await pause(250);
  } finally {
    for (const master of [target, source, ...masters.filter((m) => m !== target && m !== source)]) {
      await master.redis.cluster("SETSLOT", slot, "NODE", target.id);
    }
    onPhase("moved");
  }
}

describe("a session's slot moving to another master of the Redis Cluster", () => {
  it("loses no refresh and fails none while it moves, and still detects reuse afterwards", async () => {
    const first = await s.signup();
    const slot = hashSlot(`{${first.session_id}}`);
    const source = await ownerOf(slot);
    const target = masters.find((m) => m !== source) as Master;
    const before = await redirections();

    const chain: TokenBody[] = [first];
    // Which phases of the move each refresh and each bearer check was in flight through.
    const move = { phase: "before" as Phase };
    const refreshes: Phase[][] = [];
    const checks: { phases: Phase[]; status: number }[] = [];
    const refreshing = (async () => {
      while (move.phase !== "done") {
        const startedIn = move.phase;
        chain.push(await s.refreshOk("acme", chain.at(-1)?.refresh_token ?? ""));
        refreshes.push(spanned(startedIn, move.phase));
      }
    })();
    const checking = (async () => {
      while (move.phase !== "done") {
        const startedIn = move.phase;
        const { status } = await s.api.me("acme", chain.at(-1)?.access_token ?? "");
        checks.push({ phases: spanned(startedIn, move.phase), status });
      }
    })();
    await pause(50);
    await migrate(slot, source, target, (next) => {
      move.phase = next;
    });
    await pause(50);
    move.phase = "done";
    await Promise.all([refreshing, checking]);

    expect((await ownerOf(slot)).id).toBe(target.id);
    expect(refreshes.some((phases) => phases.includes("moving"))).toBe(true);
    expect(checks.some(({ phases }) => phases.includes("moving"))).toBe(true);
    expect(new Set(checks.map((c) => c.status))).toEqual(new Set([200]));
    // The masters answered ASK, MOVED or TRYAGAIN: requests did meet the slot mid-move.
    expect(await redirections()).toBeGreaterThan(before);

    // Nothing lost: one more refresh from the last token works, and the ledger counted every rotation.
    const last = await s.refreshOk("acme", chain.at(-1)?.refresh_token ?? "");
    await s.t.services.background.drain();
    expect((await s.sessionRow(first.session_id)).refresh_generation).toBe(chain.length);

    // A token spent before, presented after the grace window, is reuse: the session ends.
    s.clock.advance(11_000);
    await s.expectInvalidGrant(await s.api.refresh("acme", chain[2]?.refresh_token ?? ""));
    await s.expectInvalidGrant(await s.api.refresh("acme", last.refresh_token));
    await s.expectRevoked("acme", last.access_token);
    expect((await s.sessionRow(first.session_id)).revoked_reason).toBe("refresh_token_reuse");
  });
});
