/**
 * `npm run bench:profile -- --flow=healthz|refresh|login [--alg=ES256] [--requests=20000] [--top=25] [--perf]`
 * `npm run bench:profile -- --server=hono|http` (the floor references of bench/references.ts, /healthz)
 *
 * Where a request's CPU goes: the built Node server (dist/node/node.js) runs
 * on real Postgres and Redis with its default logging, the bench's load
 * generator drives one flow at it (after a warm-up), and only what happened
 * during the measured load is summed. Two profilers:
 *   - V8's (`node --cpu-prof`, the default): self time by function and by
 *     source file or package (bundled locations mapped back through the
 *     source map) and time under each middleware. Its samples are taken on
 *     wall time, so a syscall that hands the CPU over (a socket write waking
 *     the client) is over-counted on a busy machine;
 *   - `--perf`: Linux perf sampling CPU time only (cpu-clock) of every thread
 *     of the server, kernel included, with V8's map of JIT-compiled functions
 *     (`--perf-basic-prof`): the truthful split of the CPU the bench charges.
 *     Needs `perf` and perf_event_paranoid <= 1 (or root).
 * Prints the server's CPU per request from /proc as well (profilers add some).
 */
import { spawn } from "node:child_process";
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
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument ${arg}`);
    return [match[1] as string, match[2] ?? "true"] as const;
  }),
);
const bare = args.get("server") as BareKind | undefined;
const flowName = bare ? "healthz" : (args.get("flow") ?? "healthz");
const alg = (args.get("alg") ?? "RS256") as SigningAlgorithm;
const requests = Number(args.get("requests") ?? 20_000);
const limit = Number(args.get("top") ?? 25);
const usePerf = args.has("perf");
if (!["healthz", "refresh", "login"].includes(flowName)) throw new Error("--flow must be healthz, refresh or login");
if (!["RS256", "ES256", "EdDSA"].includes(alg)) throw new Error("--alg must be RS256, ES256 or EdDSA");
if (bare !== undefined && !["hono", "http"].includes(bare)) throw new Error("--server must be hono or http");

const MIDDLEWARE = [
  "src/http/middleware/",
  "src/http/request-scope.ts",
  "src/adapters/telemetry/",
  "node_modules/pino",
  "node_modules/prom-client",
  "node_modules/@hono/zod-openapi",
  "node_modules/zod",
  "node_modules/ioredis",
  "node_modules/pg",
  "src/core/sessions/",
  "src/core/signing/",
  "src/adapters/crypto/",
];

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const line = (s: Share) => `  ${s.ms.toFixed(0).padStart(7)} ms ${s.pct.toFixed(1).padStart(5)}%  ${s.name}`;

/** Runs a command to its end; its standard output. */
function run(command: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} failed: ${err}`))));
  });
}

await withDatabase(async (databaseUrl) => {
  const dir = mkdtempSync(join(tmpdir(), "authority-cpu-prof-"));
  const nodeArgs = usePerf ? ["--perf-basic-prof"] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
  const server = bare
    ? await startBareServer(bare, nodeArgs)
    : await startNodeServer(databaseUrl, "bench", { REFRESH_GRACE_PERIOD: "10s" }, { nodeArgs, signingAlg: alg });
  const perfData = join(dir, "perf.data");
  let window: { fromUs: number; toUs: number };
  let cpuS: number;
  let done: number;
  try {
    let flow: Flow;
    const chains = new Chains();
    if (flowName === "healthz") {
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
    const perf = usePerf
      ? spawn("perf", ["record", "-e", "cpu-clock", "-F", "2000", "-g", "-p", String(server.pid), "-o", perfData], {
          stdio: "ignore",
        })
      : undefined;
    const perfDone = perf && new Promise((resolve) => perf.once("close", resolve));
    const before = server.cpu();
    const fromUs = monotonicUs();
    const load = await runLoad({ base: server.base, flow, connections, maxRequests: requests, durationS: 120 });
    await server.settle();
    window = { fromUs, toUs: monotonicUs() };
    cpuS = server.cpu() - before;
    done = load.requests;
    perf?.kill("SIGINT");
    await perfDone;
    if (load.errors) throw new Error(`${load.errors} failed requests: ${JSON.stringify(load.errorSamples)}`);
  } finally {
    await server.close();
  }
  const what = bare ? `healthz on ${BARE_LABELS[bare]}` : flowName === "healthz" ? flowName : `${flowName} (${alg})`;
  console.log(`\n${what}: ${done} requests`);
  console.log(`  server CPU (/proc, profiler on): ${((cpuS * 1000) / done).toFixed(4)} ms/request`);
  if (usePerf) {
    // Self CPU time by shared object and symbol (JIT-compiled JavaScript shows as perf-PID.map).
    const report = ["report", "-i", perfData, "--no-children", "--stdio", "-g", "none", "--percent-limit", "0.4"];
    const bySymbol = await run("perf", [...report, "--sort", "sym"]);
    const byObject = await run("perf", [...report, "--sort", "dso"]);
    const rows = (text: string) =>
      text
        .split("\n")
        .filter((l) => /^\s+\d/.test(l))
        .slice(0, limit);
    console.log("\nCPU by symbol (perf cpu-clock, all threads):");
    for (const row of rows(bySymbol)) console.log(`  ${row.trim()}`);
    console.log("\nCPU by object:");
    for (const row of rows(byObject)) console.log(`  ${row.trim()}`);
    console.log(`\nperf data: ${perfData} (perf report -i ${perfData})`);
    return;
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const summary = summarizeProfile(join(dir, file), window, MIDDLEWARE, limit);
  const perRequest = (ms: number) => `${((ms / done) * 1000).toFixed(1)} µs/request`;
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
