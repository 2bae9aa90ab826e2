/**
 * The Worker (dist/worker/worker.js, as `wrangler deploy` uploads it) inside
 * workerd through Miniflare, served on Miniflare's HTTP port on 127.0.0.1,
 * driven by the same load generator: login, then refresh chains. Postgres is
 * reached over Neon's HTTP protocol and Redis over Upstash's REST protocol
 * through the development bridges (scripts/dev/*-bridge.ts), which run in this
 * process onto the real servers: they sit in the path of every query, so the
 * latencies include them and they share this process's CPU with the load
 * generator. CPU per request is the workerd process's.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { Miniflare } from "miniflare";
import { startNeonHttpBridge } from "../scripts/dev/neon-http-bridge.js";
import { startUpstashBridge } from "../scripts/dev/upstash-rest-bridge.js";
import { WORKER_MODULE_RULES } from "../test/support/worker-modules.js";
import { Chains, checkChains } from "./chains.js";
import { signUpUsers } from "./fixtures.js";
import { loginFlow, refreshFlow } from "./flows.js";
import type { RunPart } from "./node-run.js";
import type { BenchOptions } from "./options.js";
import { runPhase } from "./phase.js";
import type { Progress } from "./progress.js";
import type { EndpointResult } from "./results.js";
import { deleteKeys, newWorkerdPid, POSTGRES, processCpuSeconds, REDIS, withDatabase, workerdPids } from "./support.js";
import { httpClient, LogScan, prepareTenant, settleCpu, type Target } from "./target.js";

const WORKER_SCRIPT = "dist/worker/worker.js";
const BRIDGES_NOTE =
  "through the Neon-HTTP and Upstash-REST bridges (in the bench process) onto real Postgres and Redis";

/** compatibility_date and compatibility_flags exactly as wrangler.toml gives them to the deployed Worker. */
function wranglerCompatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync("wrangler.toml", "utf8");
  const date = /^\s*compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^\s*compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date || flags === undefined) throw new Error("wrangler.toml lacks compatibility_date or compatibility_flags");
  return { compatibilityDate: date, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string) };
}

export function runWorker(options: BenchOptions, progress: Progress): Promise<Omit<RunPart, "raw" | "figures">> {
  if (!existsSync(WORKER_SCRIPT)) throw new Error(`${WORKER_SCRIPT} is missing: npm run build:worker`);
  const s = options.sizes.worker;
  return withDatabase(async (_url, database) => {
    const neon = await startNeonHttpBridge({ postgresUrl: POSTGRES });
    const upstash = await startUpstashBridge({ token: `upstash-${randomBytes(16).toString("hex")}`, redisUrl: REDIS });
    const prefix = `bench:${randomBytes(4).toString("hex")}:`;
    const adminKey = randomBytes(24).toString("hex");
    const logs = new LogScan();
    const before = workerdPids();
    const mf = new Miniflare({
      modules: true,
      scriptPath: WORKER_SCRIPT,
      // As wrangler bundles it: the .wasm beside the script precompiled, Swagger UI's files as text.
      modulesRules: WORKER_MODULE_RULES,
      ...wranglerCompatibility(),
      host: "127.0.0.1",
      port: 0,
      bindings: {
        APP_ENV: "test",
        PUBLIC_URL: "https://bench.test",
        DATABASE_URL: `postgresql://postgres:unused@neon.test/${database}`,
        NEON_FETCH_ENDPOINT: neon.endpoint,
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
        REDIS_KEY_PREFIX: prefix,
        BOOTSTRAP_ADMIN_KEY: adminKey,
        ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
        REFRESH_GRACE_PERIOD: `${options.graceS}s`,
      },
      handleStructuredLogs: ({ message }: { message: string }) => logs.line(message),
    });
    try {
      const base = (await mf.ready).origin;
      const pid = newWorkerdPid(before);
      if (!pid) throw new Error("the workerd process was not found");
      // The edge sets CF-Connecting-IP; here every request comes from 127.0.0.1.
      const headers = { "CF-Connecting-IP": "127.0.0.1" };
      const client = httpClient(base, headers, (message) => new Error(message));
      const tenant = "bench";
      await prepareTenant(client, tenant, adminKey, options.alg);
      const cpu = () => processCpuSeconds(pid);
      const target: Target = {
        runtime: "workerd",
        base,
        tenant,
        headers,
        logs,
        ...client,
        cpu,
        settle: () => settleCpu(cpu),
      };
      progress.note(`Worker in workerd: ${s.users} users…`);
      const users = await signUpUsers(target, s.users, "w");
      const chains = new Chains();
      const endpoints: EndpointResult[] = [];
      endpoints.push(
        await runPhase(
          target,
          {
            key: "workerd.login",
            label: "Worker POST /t/{t}/v1/login (WASM argon2id)",
            flow: loginFlow(tenant, users, chains, headers),
            connections: s.loginConnections,
            warmup: 8,
            maxRequests: s.logins,
            durationS: options.sizes.phaseS,
            notes: [BRIDGES_NOTE],
          },
          progress,
        ),
      );
      if (chains.free <= s.refreshConnections)
        throw new Error(`only ${chains.free} chains for ${s.refreshConnections} clients`);
      endpoints.push(
        await runPhase(
          target,
          {
            key: "workerd.refresh",
            label: `Worker POST /t/{t}/v1/token/refresh (${chains.size} chains)`,
            flow: refreshFlow(tenant, chains, headers),
            connections: s.refreshConnections,
            warmup: 200,
            maxRequests: s.refreshes,
            durationS: options.sizes.phaseS,
            notes: [BRIDGES_NOTE],
          },
          progress,
        ),
      );
      progress.note(`checking ${chains.size} Worker refresh chains…`);
      const check = await checkChains(chains, (token) =>
        client.call("POST", `/t/${tenant}/v1/token/refresh`, { refresh_token: token }),
      );
      return {
        endpoints,
        resources: { redis: {} },
        chains: { workerd: check },
        logs: { workerd: { lines: logs.lines, errors: logs.errors, samples: logs.errorLines } },
      };
    } finally {
      await mf.dispose();
      await Promise.allSettled([neon.close(), upstash.close()]);
      const redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await deleteKeys(redis, prefix).finally(() => redis.disconnect());
    }
  });
}
