import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Cluster, Redis } from "ioredis";
import { REDIS_URL } from "./services.js";

/** The Redis a suite runs on: one server, or a node of a Redis Cluster. */
export interface RedisUnderTest {
  label: string;
  url: string;
  cluster: boolean;
}

export const SINGLE_REDIS: RedisUnderTest = { label: "Redis", url: REDIS_URL, cluster: false };

let cluster: RedisUnderTest | undefined;

const CLUSTER_SCRIPT = fileURLToPath(new URL("../../scripts/redis-cluster.sh", import.meta.url));

/** Runs scripts/redis-cluster.sh (start or reuse, or `stop`) with these variables; its output. */
function clusterScript(env: Record<string, string>, args: string[] = []): string {
  const run = spawnSync("bash", [CLUSTER_SCRIPT, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  if (run.status !== 0) throw new Error(`The local Redis Cluster did not start: ${run.stderr || run.error}`);
  return run.stdout.trim();
}

/**
 * The local 3-master Redis Cluster (scripts/redis-cluster.sh starts it once,
 * or reuses it), or the one TEST_REDIS_CLUSTER_URL names.
 */
export function redisCluster(): RedisUnderTest {
  if (cluster) return cluster;
  const url = process.env.TEST_REDIS_CLUSTER_URL || clusterScript({});
  cluster = { label: "Redis Cluster", url, cluster: true };
  return cluster;
}

/** Where the failover test's cluster runs: away from the 3-master one, which other suites share. */
const REPLICATED = { REDIS_CLUSTER_PORT: "7390", REDIS_CLUSTER_REPLICAS: "1" };

/**
 * A local Redis Cluster of three masters with a replica each (ports
 * 7390-7395: the failover test drives its nodes directly); `stop` shuts it
 * down when this call started it (a cluster found running stays).
 */
export function replicatedRedisCluster(): { redis: RedisUnderTest; stop(): void } {
  const ping = spawnSync("redis-cli", ["-p", REPLICATED.REDIS_CLUSTER_PORT, "ping"], { encoding: "utf8" });
  const running = ping.stdout?.trim() === "PONG";
  const url = clusterScript(REPLICATED);
  return {
    redis: { label: "Redis Cluster (replicated)", url, cluster: true },
    stop: () => {
      if (!running) clusterScript(REPLICATED, ["stop"]);
    },
  };
}

/** A client of the Redis under test, for what the suites do beside the app (cleanup, inspection). */
export function redisClient(redis: RedisUnderTest): Redis | Cluster {
  if (!redis.cluster) return new Redis(redis.url);
  const { hostname, port } = new URL(redis.url);
  return new Cluster([{ host: hostname, port: Number(port || 6379) }]);
}

/** A key prefix of this test file's own, so files never see each other's keys. */
export function testPrefix(): string {
  return `test:${crypto.randomUUID().slice(0, 8)}:`;
}

/**
 * Every key under `prefix` on one server, each once (SCAN MATCH, every page:
 * on a Redis other runs share, a page may hold none of them). Prefixes here
 * hold no glob characters.
 */
export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, page] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    keys.push(...page);
    cursor = next;
  } while (cursor !== "0");
  return [...new Set(keys)];
}

/** Deletes every key under a prefix (SCAN on each master, never KEYS). */
export async function deletePrefix(prefix: string, redis: RedisUnderTest = SINGLE_REDIS): Promise<void> {
  const client = redisClient(redis);
  try {
    // A cluster client knows its masters once it has answered.
    await client.ping();
    for (const node of client instanceof Cluster ? client.nodes("master") : [client]) {
      let cursor = "0";
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
        // One DEL per key: a cluster refuses one over several slots.
        await Promise.all(keys.map((key) => client.del(key)));
        cursor = next;
      } while (cursor !== "0");
    }
  } finally {
    client.disconnect();
  }
}
