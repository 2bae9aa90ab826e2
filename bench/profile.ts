/**
 * `npm run bench:profile -- --flow=healthz|refresh|login [--alg=ES256] [--requests=20000] [--top=25]`
 * `npm run bench:profile -- --server=hono|http` (the floor references of bench/references.ts, /healthz)
 *
 * Where a request's CPU goes: the built Node server (dist/node/node.js) runs
 * under `node --cpu-prof` on real Postgres and Redis with its default
 * logging, the bench's load generator drives one flow at it (after a
 * warm-up), and only the samples taken during the measured load are summed:
 * self time by function and by source file or package (bundled locations
 * mapped back through the source map), and time under each middleware
 * (inclusive, synchronous stacks only). Prints the server's CPU per request
 * from /proc as well (the profiler adds some).
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SigningAlgorithm } from "../src/core/ports/database.js";
import { Chains } from "./chains.js";
import { type Share, summarizeProfile } from "./cpu-profile.js";
import { signUpUsers } from "./fixtures.js";
import { getFlow, loginFlow, refreshFlow } from "./flows.js";
import { type Flow, runLoad } from "./load.js";
import { startNodeServer } from "./node-server.js";
import { BARE_LABELS, type BareKind, startBareServer } from "./references.js";
import { withDatabase } from "./support.js";

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [name = "", value = "true"] = arg.replace(/^--/, "").split("=");
    return [name, value] as const;
  }),
);
const flowName = args.get("flow") ?? "healthz";
const alg = (args.get("alg") ?? "RS256") as SigningAlgorithm;
const requests = Number(args.get("requests") ?? 20_000);
const limit = Number(args.get("top") ?? 25);
const bare = args.get("server") as BareKind | undefined;
if (bare !== undefined && !["hono", "http"].includes(bare)) throw new Error("--server must be hono or http");
if (!["healthz", "refresh", "login"].includes(flowName)) throw new Error("--flow must be healthz, refresh or login");
if (!["RS256", "ES256", "EdDSA"].includes(alg)) throw new Error("--alg must be RS256, ES256 or EdDSA");

const MIDDLEWARE = [
  "src/http/middleware/",
  "src/http/request-scope.ts",
  "src/http/route-pattern.ts",
  "src/adapters/telemetry/",
  "node_modules/pino",
  "node_modules/prom-client",
  "node_modules/@hono/zod-openapi",
  "node_modules/zod",
  "node_modules/hono",
  "node_modules/@hono/node-server",
  "node_modules/ioredis",
  "node_modules/pg",
  "src/core/sessions/",
  "src/core/signing/",
  "src/adapters/crypto/",
];

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const line = (s: Share) => `  ${s.ms.toFixed(0).padStart(7)} ms ${s.pct.toFixed(1).padStart(5)}%  ${s.name}`;

await withDatabase(async (databaseUrl) => {
  const dir = mkdtempSync(join(tmpdir(), "authority-cpu-prof-"));
  const nodeArgs = ["--cpu-prof", `--cpu-prof-dir=${dir}`];
  const server = bare
    ? await startBareServer(bare, nodeArgs)
    : await startNodeServer(databaseUrl, "bench", { REFRESH_GRACE_PERIOD: "10s" }, { nodeArgs, signingAlg: alg });
  let window: { fromUs: number; toUs: number };
  let cpuS: number;
  let done: number;
  try {
    let flow: Flow;
    const chains = new Chains();
    if (flowName === "healthz" || bare) {
      flow = getFlow("/healthz");
    } else {
      const users = await signUpUsers(server, 50);
      const login = loginFlow(server.tenant, users, chains);
      if (flowName === "login") flow = login;
      else {
        await runLoad({ base: server.base, flow: login, connections: 4, maxRequests: 400, durationS: 60 });
        flow = refreshFlow(server.tenant, chains);
      }
    }
    const connections = flowName === "login" ? 4 : flowName === "refresh" ? 50 : 20;
    const warmup = Math.min(2_000, Math.ceil(requests / 10));
    await runLoad({ base: server.base, flow, connections, maxRequests: warmup, durationS: 60 });
    await server.settle();
    const before = server.cpu();
    const fromUs = monotonicUs();
    const run = await runLoad({ base: server.base, flow, connections, maxRequests: requests, durationS: 120 });
    await server.settle();
    window = { fromUs, toUs: monotonicUs() };
    cpuS = server.cpu() - before;
    done = run.requests;
    if (run.errors) throw new Error(`${run.errors} failed requests: ${JSON.stringify(run.errorSamples)}`);
  } finally {
    await server.close();
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const summary = summarizeProfile(join(dir, file), window, MIDDLEWARE, limit);
  const perRequest = (ms: number) => `${((ms / done) * 1000).toFixed(1)} µs/request`;
  const what = bare ? `healthz on ${BARE_LABELS[bare]}` : flowName === "healthz" ? flowName : `${flowName} (${alg})`;
  console.log(`\n${what}: ${done} requests`);
  console.log(`  server CPU (/proc, profiler on): ${((cpuS * 1000) / done).toFixed(4)} ms/request`);
  console.log(
    `  main thread sampled: ${summary.busyMs.toFixed(0)} ms busy (${perRequest(summary.busyMs)}), ${summary.idleMs.toFixed(0)} ms idle`,
  );
  console.log("\nSelf time by function:");
  for (const s of summary.functions) console.log(line(s));
  console.log("\nSelf time by file or package:");
  for (const s of summary.files) console.log(line(s));
  console.log("\nInclusive (a frame of it on the sampled stack; stacks end at each await):");
  for (const s of summary.inclusive) console.log(line(s));
  console.log(`\nProfile: ${join(dir, file)}`);
});
