/**
 * Command-line options of `npm run bench` and the sizes of each mode. Every
 * load phase is bounded by a request budget and a time budget.
 *
 *   (none)              the short run (about 2.5 minutes on 2 cores)
 *   --stress            ramp the connections of one flow until errors or p99 break a threshold
 *     --flow=refresh|login|introspect|verify|jwks   (default refresh)
 *     --p99-limit=50     p99 threshold in ms;  --max-connections=400;  --step=6 (seconds per step)
 *   --soak              a fixed mixed load for --duration (default 10m), sampling the server's and its own
 *                       memory, with a line each minute (bench/soak-watch.ts); bounded in memory
 *     --duration=10m     s, m or h (at most 24h);  --rate=200 (refreshes per second; the other flows scale with it)
 *   --alg=ES256         the signing algorithm of the measured tenant's keys (ES256, EdDSA or RS256); the
 *                       short run also refreshes on an RS256 tenant for the RS256 target
 *   --no-worker         skip the Worker (workerd) part
 *   --out=DIR           results folder (default bench/results)
 *   --quiet             no progress bar (a soak's periodic lines still print)
 */
import type { SigningAlgorithm } from "../src/core/ports/database.js";
import type { Mode } from "./results.js";

export interface Sizes {
  /** CPU-seconds each raw limit is measured for. */
  rawCpuS: number;
  users: number;
  loginConnections: number;
  loginWarmup: number;
  logins: number;
  refreshConnections: number;
  refreshWarmup: number;
  refreshes: number;
  serviceConnections: number;
  serviceRequests: number;
  missKeys: number;
  getRequests: number;
  /** Rounds of `/healthz` on the bare floor and on the service, in turn, each of getRequests. */
  floorRounds: number;
  /** Time budget of each load phase (s). */
  phaseS: number;
  sdkVerifications: number;
  localVerifications: number;
  workerdVerifications: number;
  worker: { users: number; logins: number; loginConnections: number; refreshConnections: number; refreshes: number };
}

export interface BenchOptions {
  mode: Mode;
  /** The signing algorithm of the measured tenant's keys. */
  alg: SigningAlgorithm;
  outDir: string;
  worker: boolean;
  quiet: boolean;
  sizes: Sizes;
  stress: { flow: string; p99Ms: number; maxConnections: number; stepS: number };
  soak: { durationS: number; rate: number; sampleS: number };
  /** The server's REFRESH_GRACE_PERIOD in seconds (the steady-state Redis figure waits for it). */
  graceS: number;
}

export const SHORT_SIZES: Sizes = {
  rawCpuS: 1,
  users: 100,
  loginConnections: 4,
  loginWarmup: 40,
  logins: 400,
  refreshConnections: 50,
  refreshWarmup: 1_000,
  refreshes: 30_000,
  serviceConnections: 20,
  serviceRequests: 20_000,
  missKeys: 600,
  getRequests: 10_000,
  floorRounds: 5,
  phaseS: 8,
  sdkVerifications: 20_000,
  localVerifications: 20_000,
  workerdVerifications: 20_000,
  worker: { users: 16, logins: 120, loginConnections: 4, refreshConnections: 50, refreshes: 10_000 },
};

const FLOWS = ["refresh", "login", "introspect", "verify", "jwks"];
const ALGS: SigningAlgorithm[] = ["ES256", "EdDSA", "RS256"];
const MAX_SOAK_S = 24 * 3_600;

/** `90`, `90s`, `10m`, `2h` → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${text} (use e.g. 90s, 10m, 1h)`);
  const value = Number(match[1]) * ({ s: 1, m: 60, h: 3_600 }[match[2] ?? "s"] as number);
  if (!(value > 0)) throw new Error(`not a positive duration: ${text}`);
  return value;
}

export function parseArgs(argv: string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument ${arg}`);
    flags.set(match[1] as string, match[2] ?? "true");
  }
  const known = [
    "stress",
    "soak",
    "flow",
    "p99-limit",
    "max-connections",
    "step",
    "duration",
    "rate",
    "alg",
    "no-worker",
  ];
  for (const name of flags.keys())
    if (![...known, "out", "quiet"].includes(name)) throw new Error(`unknown option --${name}`);
  if (flags.has("stress") && flags.has("soak")) throw new Error("--stress and --soak exclude each other");
  const mode: Mode = flags.has("stress") ? "stress" : flags.has("soak") ? "soak" : "short";
  const flow = flags.get("flow") ?? "refresh";
  if (!FLOWS.includes(flow)) throw new Error(`--flow must be one of ${FLOWS.join(", ")}`);
  const alg = (flags.get("alg") ?? "ES256") as SigningAlgorithm;
  if (!ALGS.includes(alg)) throw new Error(`--alg must be one of ${ALGS.join(", ")}`);
  const positive = (name: string, fallback: number, max: number) => {
    const value = flags.has(name) ? Number(flags.get(name)) : fallback;
    if (!(value > 0) || value > max) throw new Error(`--${name} must be a number in (0, ${max}]`);
    return value;
  };
  const durationS = flags.has("duration") ? parseDuration(flags.get("duration") as string) : 600;
  if (durationS > MAX_SOAK_S) throw new Error("--duration is at most 24h");
  return {
    mode,
    alg,
    outDir: flags.get("out") ?? "bench/results",
    worker: !flags.has("no-worker") && mode === "short",
    quiet: flags.has("quiet"),
    sizes: SHORT_SIZES,
    stress: {
      flow,
      p99Ms: positive("p99-limit", 50, 60_000),
      maxConnections: Math.floor(positive("max-connections", 400, 2_000)),
      stepS: positive("step", 6, 120),
    },
    soak: { durationS, rate: positive("rate", 200, 10_000), sampleS: Math.min(10, Math.max(1, durationS / 60)) },
    graceS: 10,
  };
}
