/**
 * The replica of the master holding some sessions takes over (`CLUSTER
 * FAILOVER`, what an operator runs before maintaining a master) while those
 * sessions refresh and an access token is checked, then the old master takes
 * back over the same way. The client follows the MOVED answers of the demoted
 * master: no refresh fails, none is lost, no session is revoked.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TokenBody } from "../support/accounts.js";
import { readAnswer } from "../support/problem.js";
import { replicatedRedisCluster } from "../support/redis.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

/** A line of CLUSTER NODES: a master with its slot ranges, or a replica of `masterId`. */
interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  masterId: string;
  slots: [number, number][];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let s: SessionsApp;
let cluster: ReturnType<typeof replicatedRedisCluster>;
const admin = new Map<number, Redis>();
/** A plain (non-cluster) connection to one node, for commands about that node. */
const node = (port: number): Redis => {
  let redis = admin.get(port);
  if (!redis) {
    redis = new Redis({ host: "127.0.0.1", port });
    admin.set(port, redis);
  }
  return redis;
};

beforeAll(async () => {
  cluster = replicatedRedisCluster();
  s = await startSessionsApp(cluster.redis);
}, 120_000);
afterAll(async () => {
  for (const redis of admin.values()) redis.disconnect();
  await s?.close();
  cluster?.stop();
}, 60_000);

/** The cluster's nodes as `port` sees them. */
async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const text = (await node(port).cluster("NODES")) as string;
  return text
    .trim()
    .split("\n")
    .map((line) => {
      const [id = "", address = "", flags = "", masterId = "", , , , , ...slots] = line.split(" ");
      return {
        id,
        port: Number(address.split(/[:@]/)[1]),
        master: flags.split(",").includes("master"),
        masterId,
        slots: slots
          .filter((range) => !range.startsWith("["))
          .map((range) => {
            const [from = "", to = from] = range.split("-");
            return [Number(from), Number(to)] as [number, number];
          }),
      };
    });
}

/** What ROLE says on `port`: "master" or "slave", and the port of its master. */
async function role(port: number): Promise<{ role: string; masterPort?: number }> {
  const reply = (await node(port).call("ROLE")) as [string, ...unknown[]];
  return reply[0] === "slave" ? { role: "slave", masterPort: Number(reply[2]) } : { role: reply[0] };
}

async function until(what: string, check: () => Promise<boolean>, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (await check()) return;
    await pause(100);
  }
  throw new Error(`timed out waiting until ${what}`);
}

/**
 * Every node agrees on the layout (who is a master, whose replica each other
 * node is), cluster_state:ok everywhere and every replica's link up. A node
 * that has not heard of the last failover yet refuses its vote to the next one.
 */
async function settled(ports: number[]): Promise<boolean> {
  const views = new Set<string>();
  for (const port of ports) {
    if (!/^cluster_state:ok/m.test((await node(port).cluster("INFO")) as string)) return false;
    const replication = await node(port).info("replication");
    if (/^role:slave/m.test(replication) && !/^master_link_status:up/m.test(replication)) return false;
    const layout = (await clusterNodes(port)).map((n) => `${n.id}:${n.master ? "master" : n.masterId}`);
    views.add(layout.sort().join(" "));
  }
  return views.size === 1;
}

/**
 * Promotes the replica on `port` as an operator would. A manual failover that
 * cannot finish in 5 s is abandoned (the masters refuse a second vote about
 * one master within twice the node timeout, 10 s here): asked again then.
 */
async function failover(port: number): Promise<void> {
  let asked = 0;
  for (let i = 0; i < 1_200; i++) {
    if ((await role(port)).role === "master") return;
    if (Date.now() - asked > 8_000) {
      asked = Date.now();
      await node(port).cluster("FAILOVER");
    }
    await pause(100);
  }
  throw new Error(`the replica on port ${port} did not take over`);
}

/** MOVED answers the nodes gave so far (INFO errorstats): clients met a demoted master. */
async function movedAnswers(ports: number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const count = /^errorstat_MOVED:count=(\d+)/m.exec(await node(port).info("errorstats"))?.[1];
    total += Number(count ?? 0);
  }
  return total;
}

const PHASES = ["before", "failover", "promoted", "failback", "restored", "done"] as const;
type Phase = (typeof PHASES)[number];
const spanned = (from: Phase, to: Phase): Phase[] => PHASES.slice(PHASES.indexOf(from), PHASES.indexOf(to) + 1);

interface Chain {
  first: TokenBody;
  tokens: TokenBody[];
  refreshes: number;
  /** A refresh was refused: the chain stops there (the assertions report it). */
  stopped: boolean;
}

/** What one request answered, and which phases it was in flight through. */
interface Outcome {
  phases: Phase[];
  status: number;
  contentType: string | null;
  text: string;
}

describe("a failover of the master holding the sessions, on a Redis Cluster with replicas", () => {
  it("fails no refresh, loses none and revokes no session, there and back", { timeout: 300_000 }, async () => {
    const seedPort = Number(new URL(cluster.redis.url).port);
    const ports = (await clusterNodes(seedPort)).map((n) => n.port);
    await until("the cluster is settled", () => settled(ports));

    // Sessions until four live on one master: the one the failover moves.
    const slotOf = async (sid: string) =>
      (await node(seedPort).cluster("KEYSLOT", `${s.t.prefix}sess:{${sid}}`)) as number;
    const ownerOf = async (slot: number) =>
      (await clusterNodes(seedPort)).find((n) => n.master && n.slots.some(([a, b]) => a <= slot && slot <= b));
    const first = await s.signup();
    const master = await ownerOf(await slotOf(first.session_id));
    if (!master) throw new Error("no master serves the first session's slot");
    const chains: Chain[] = [{ first, tokens: [first], refreshes: 0, stopped: false }];
    while (chains.length < 4) {
      const next = await s.signup();
      if ((await ownerOf(await slotOf(next.session_id)))?.id === master.id) {
        chains.push({ first: next, tokens: [next], refreshes: 0, stopped: false });
      }
    }
    const replica = (await clusterNodes(seedPort)).find((n) => !n.master && n.masterId === master.id);
    if (!replica) throw new Error(`the master on port ${master.port} has no replica`);
    const movedBefore = await movedAnswers(ports);

    const state = { phase: "before" as Phase };
    const refreshes: Outcome[] = [];
    const checks: Outcome[] = [];
    const record = async (into: Outcome[], startedIn: Phase, response: Response) => {
      const answer = await readAnswer(response);
      const contentType = answer.headers.get("content-type");
      into.push({ phases: spanned(startedIn, state.phase), status: answer.status, contentType, text: answer.text });
      return answer;
    };
    const refreshing = chains.map(async (chain) => {
      while (state.phase !== "done") {
        const startedIn = state.phase;
        const token = chain.tokens.at(-1)?.refresh_token ?? "";
        const answer = await record(refreshes, startedIn, await s.api.refresh("acme", token));
        if (answer.status !== 200) {
          chain.stopped = true;
          return;
        }
        chain.tokens.push(answer.json as unknown as TokenBody);
        chain.refreshes++;
      }
    });
    const checking = (async () => {
      while (state.phase !== "done") {
        const startedIn = state.phase;
        await record(checks, startedIn, await s.api.me("acme", chains[0]?.tokens.at(-1)?.access_token ?? ""));
      }
    })();
    /** Lets every chain refresh a few more times (a count, not a time: the machine may be slow). */
    const refreshAWhile = async () => {
      const from = chains.map((c) => c.refreshes);
      await until("every chain refreshed again", async () =>
        chains.every((c, i) => c.stopped || c.refreshes >= (from[i] ?? 0) + 5),
      );
    };

    let demoted: Awaited<ReturnType<typeof role>>;
    try {
      await refreshAWhile();
      state.phase = "failover";
      await failover(replica.port);
      state.phase = "promoted";
      await refreshAWhile();
      // The old master follows the new one once it hears of the promotion, and resyncs.
      await until("the old master is a replica", async () => (await role(master.port)).role === "slave");
      await until("the cluster is settled", () => settled(ports));
      demoted = await role(master.port);
      state.phase = "failback";
      await failover(master.port);
      state.phase = "restored";
      await refreshAWhile();
    } finally {
      // Also when a step failed: no loop may outlive the test's app.
      state.phase = "done";
      await Promise.all([...refreshing, checking]);
    }

    // Every answer was a 200: the demoted master's MOVED (or, during the switch, its
    // paused writes) is all a client of the cluster sees.
    const failures = [...refreshes, ...checks].filter((o) => o.status !== 200);
    expect(failures).toEqual([]);
    expect(refreshes.some((o) => o.phases.includes("failover"))).toBe(true);
    expect(refreshes.some((o) => o.phases.includes("failback"))).toBe(true);
    expect(await movedAnswers(ports)).toBeGreaterThan(movedBefore);

    // The first failover demoted the old master under its replica; the second put it back.
    expect(demoted).toEqual({ role: "slave", masterPort: replica.port });
    await until("the cluster is settled", () => settled(ports));
    expect(await role(master.port)).toEqual({ role: "master" });
    expect(await role(replica.port)).toEqual({ role: "slave", masterPort: master.port });

    // Nothing lost: each chain's last token refreshes to the next generation, the ledger
    // counted every rotation, and no session was revoked.
    for (const chain of chains) {
      const last = await s.refreshOk("acme", chain.tokens.at(-1)?.refresh_token ?? "");
      expect((await s.api.me("acme", last.access_token)).status).toBe(200);
    }
    await s.t.services.background.drain();
    for (const chain of chains) {
      const row = await s.sessionRow(chain.first.session_id);
      expect(row.refresh_generation).toBe(chain.tokens.length);
      expect(row.revoked_reason).toBeNull();
    }
  });
});
