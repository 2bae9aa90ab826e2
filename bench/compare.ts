/**
 * `npm run bench:compare -- --builds=dist/compare/before/node.js,dist/node/node.js [--flows=healthz,refresh,login]
 *    [--alg=ES256] [--rounds=3] [--requests=20000]`
 * (a build may carry node flags after `@`: `dist/node/node.js@--max-semi-space-size=32`)
 *
 * Before/after of a change: several builds of the Node server side by side
 * on one machine, each with its own tenant (keys of --alg) on one migrated
 * database and Redis, loaded in turn, round after round (the order rotates
 * each round), next to the floor references (bare Hono, raw node:crypto
 * signing, raw argon2id) measured in the same rounds. On a machine shared
 * with other work, figures move between rounds; the ratios inside one round
 * move less. Prints CPU per request of each build and flow per round, with
 * the median and the spread (min-max) over the rounds.
 */
import type { SigningAlgorithm } from "../src/core/ports/database.js";
import { Chains } from "./chains.js";
import { signUpUsers } from "./fixtures.js";
import { getFlow, loginFlow, refreshFlow, type User } from "./flows.js";
import { runLoad } from "./load.js";
import { type NodeServer, startNodeServer } from "./node-server.js";
import { runPhase } from "./phase.js";
import { rawArgon2 } from "./raw.js";
import { rawSigning, startBareServer } from "./references.js";
import { withDatabase } from "./support.js";

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument ${arg}`);
    return [match[1] as string, match[2] ?? "true"] as const;
  }),
);
const builds = (args.get("builds") ?? "dist/node/node.js").split(",");
const flows = (args.get("flows") ?? "healthz,refresh").split(",");
const alg = (args.get("alg") ?? "ES256") as SigningAlgorithm;
const rounds = Number(args.get("rounds") ?? 3);
const requests = Number(args.get("requests") ?? 20_000);
for (const flow of flows)
  if (!["healthz", "refresh", "login"].includes(flow))
    throw new Error(`unknown flow ${flow} (healthz, refresh, login)`);
if (!["RS256", "ES256", "EdDSA"].includes(alg)) throw new Error("--alg must be RS256, ES256 or EdDSA");

const USERS = 50;
const SIZES: Record<string, { connections: number; requests: number; warmup: number }> = {
  healthz: { connections: 20, requests, warmup: 1_000 },
  refresh: { connections: 50, requests: Math.ceil(requests / 2), warmup: 1_000 },
  login: { connections: 4, requests: 300, warmup: 20 },
};

interface Build {
  label: string;
  server: NodeServer;
  users: User[];
  chains: Chains;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const µs = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

await withDatabase(async (databaseUrl) => {
  const started: Build[] = [];
  const bare = await startBareServer("hono");
  try {
    for (const [i, build] of builds.entries()) {
      const [entry = "", ...nodeArgs] = build.split("@");
      // The database is migrated by withDatabase: a build elsewhere need not find the migrations.
      const server = await startNodeServer(
        databaseUrl,
        `bench-${i}`,
        { REFRESH_GRACE_PERIOD: "10s", MIGRATE_ON_START: "false" },
        { entry, nodeArgs, signingAlg: alg },
      );
      const running: Build = { label: build, server, users: [], chains: new Chains() };
      started.push(running);
      if (flows.includes("refresh") || flows.includes("login")) {
        running.users = await signUpUsers(server, USERS);
        const login = loginFlow(server.tenant, running.users, running.chains);
        await runLoad({ base: server.base, flow: login, connections: 4, maxRequests: 200, durationS: 60 });
      }
    }
    const figures = new Map<string, number[]>();
    const record = (key: string, value: number) => figures.set(key, [...(figures.get(key) ?? []), value]);
    for (let round = 0; round < rounds; round++) {
      const order = started.map((_, i) => started[(i + round) % started.length] as Build);
      const phase = async (target: Parameters<typeof runPhase>[0], flow: string, key: string) => {
        const size = SIZES[flow] as (typeof SIZES)[string];
        const build = started.find((b) => b.server === target);
        const spec =
          flow === "healthz"
            ? getFlow("/healthz")
            : flow === "refresh"
              ? refreshFlow(target.tenant, (build as Build).chains)
              : loginFlow(target.tenant, (build as Build).users, (build as Build).chains);
        const result = await runPhase(target, {
          key,
          label: key,
          flow: spec,
          connections: size.connections,
          maxRequests: size.requests,
          warmup: size.warmup,
          durationS: 60,
        });
        if (result.errors) throw new Error(`${key}: ${result.errors} failed: ${JSON.stringify(result.errorSamples)}`);
        record(key, result.cpu?.perRequestMs ?? Number.NaN);
        return result.cpu?.perRequestMs ?? Number.NaN;
      };
      const line: string[] = [`round ${round + 1}:`];
      if (flows.includes("healthz")) line.push(`bare Hono ${µs(await phase(bare, "healthz", "bare Hono healthz"))}`);
      if (flows.includes("refresh")) {
        const sign = rawSigning(alg, 0.5);
        record(`raw ${alg} sign`, 1000 / sign.perCpuSecond);
        line.push(`raw ${alg} ${µs(1000 / sign.perCpuSecond)}`);
      }
      if (flows.includes("login")) {
        const argon = await rawArgon2(1);
        record("raw argon2id verify", 1000 / argon.perCpuSecond);
        line.push(`raw argon2id ${µs(1000 / argon.perCpuSecond)}`);
      }
      for (const build of order)
        for (const flow of flows)
          line.push(`${build.label} ${flow} ${µs(await phase(build.server, flow, `${build.label} ${flow}`))}`);
      console.log(line.join(" | "));
    }
    console.log(`\nCPU per request (${rounds} rounds; median, min-max):`);
    for (const [key, values] of figures) {
      const spread = `${µs(Math.min(...values))} - ${µs(Math.max(...values))}`;
      console.log(`  ${key.padEnd(60)} ${µs(median(values)).padStart(10)}  (${spread})`);
    }
  } finally {
    await bare.close();
    for (const build of started) await build.server.close();
  }
});
