/**
 * The shape of a benchmark run's results: what `results.json` holds and what
 * the HTML report and the terminal summary are drawn from.
 */
import type { ChainCheck } from "./chains.js";
import type { Knee, StressStep } from "./knee.js";
import type { Histogram, LatencySummary } from "./stats.js";

export type Mode = "short" | "stress" | "soak";

/** One second of a load phase. */
export interface TimelinePoint {
  /** Seconds since the run started. */
  t: number;
  rps: number;
  errors: number;
  p99: number;
}

export interface RawLimit {
  /** e.g. "argon2id verify (m=19456,t=2,p=1)". */
  name: string;
  perCpuSecond: number;
}

export interface EndpointResult {
  /** Stable key, e.g. "node.refresh". */
  key: string;
  label: string;
  runtime: "node" | "workerd" | "in-process";
  connections: number;
  requests: number;
  errors: number;
  errorSamples: Record<string, number>;
  durationS: number;
  rps: number;
  latency: LatencySummary;
  histogram: Histogram;
  timeline: TimelinePoint[];
  /** CPU of the serving process over the phase (background work after responses included). */
  cpu?: { seconds: number; perRequestMs: number; perCpuSecond: number; process: string };
  /** The raw cryptographic limit this endpoint is held against, and the ratio of its per-CPU-second figure. */
  raw?: { name: string; perCpuSecond: number; ratio: number };
  notes?: string[];
}

export interface RedisUsage {
  keys: number;
  bytes: number;
  /** Keys and bytes by kind (the key without the prefix, up to the first colon). */
  kinds: Record<string, { keys: number; bytes: number }>;
  /** Live sessions (`sess` keys) and session bytes (sess + grace keys) per live session. */
  sessions: number;
  bytesPerSession: number;
}

export interface PostgresUsage {
  rows: number;
  totalBytes: number;
  bytesPerRow: number;
  /** The audit trail (a row per login, admin write and security event): rows and bytes per row, indexes included. */
  auditRows: number;
  auditBytesPerRow: number;
}

export interface Resources {
  redis: { afterLogin?: RedisUsage; afterRefresh?: RedisUsage; steady?: RedisUsage };
  postgres?: PostgresUsage;
}

export interface Target {
  name: string;
  wanted: string;
  actual: string;
  pass: boolean;
}

export interface Correctness {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  chains: Record<string, ChainCheck>;
  /** Per runtime: log lines read, `"level":"error"` lines among them, and the first of those. */
  logs: Record<string, { lines: number; errors: number; samples: string[] }>;
}

export interface MemorySample {
  t: number;
  /** The server's. */
  rssBytes: number;
  heapUsedBytes: number;
  /** The bench process's own (the load generator must stay flat too). */
  benchRssBytes: number;
  benchHeapUsedBytes: number;
}

/** A soak's periodic line: the period's traffic (all flows) and the memory at its end. */
export interface SoakInterval extends MemorySample {
  rps: number;
  refreshRps: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface SoakResult {
  durationS: number;
  samples: MemorySample[];
  intervals: SoakInterval[];
  /** Growth after the warm-up (first fifth): least-squares slope, and last-fifth median over second-fifth median. */
  rssSlopeMBPerMin: number;
  heapSlopeMBPerMin: number;
  heapGrowthPct: number;
  /** The same slopes for the bench process. */
  benchRssSlopeMBPerMin: number;
  benchHeapSlopeMBPerMin: number;
}

export interface StressResult {
  flow: string;
  thresholds: { p99Ms: number; maxErrors: number; minGain: number };
  steps: StressStep[];
  knee: Knee;
}

export interface Results {
  version: 1;
  mode: Mode;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; os: string };
  options: Record<string, unknown>;
  raw: Record<string, RawLimit>;
  endpoints: EndpointResult[];
  /** Figures kept from the former bench scripts that are not load phases (in-process ratios, workerd SDK). */
  figures: { label: string; value: string }[];
  resources: Resources;
  stress?: StressResult;
  soak?: SoakResult;
  targets: Target[];
  correctness: Correctness;
}
