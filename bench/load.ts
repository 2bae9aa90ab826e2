/**
 * One bounded load run: autocannon (programmatic, HTTP/1.1 keep-alive, one
 * request in flight per connection) drives a Flow against 127.0.0.1 for at
 * most `maxRequests` requests and `durationS` seconds (a hard stop follows a
 * little later whatever happens). Every response is checked by the flow;
 * the run records latencies in HDR histograms and a per-second timeline of
 * answers, errors (unexpected answers, socket errors, timeouts) and p99, so
 * its memory stays bounded however long it runs.
 */
import autocannon from "autocannon";
import { loopbackOnly } from "./guard.js";
import { LatencyRecorder } from "./stats.js";
import { Timeline, type TimelineStep, timelineStepS } from "./timeline.js";

export interface Call {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What a virtual client does: the next request, and the check of its answer. */
export interface Flow {
  /** The next request; `ctx` is this request's own context, handed to `check` with its answer. */
  next(ctx: Record<string, unknown>): Call;
  /** An error description for a wrong answer, or undefined. */
  check(status: number, body: string, ctx: Record<string, unknown>): string | undefined;
}

export interface LoadOptions {
  base: string;
  flow: Flow;
  connections: number;
  maxRequests: number;
  durationS: number;
  /** Requests per second over all connections (a fixed load); unset: as fast as the server answers. */
  rate?: number;
  /** Each second: completed requests so far, errors so far, seconds elapsed. */
  onTick?: (done: number, errors: number, elapsedS: number) => void;
  /** Also records every latency and error here (read and reset by the caller: a soak's periodic line). */
  window?: LoadWindow;
}

/** Latencies and errors since the caller last reset it. */
export class LoadWindow {
  readonly latency = new LatencyRecorder();
  errors = 0;
  reset(): void {
    this.latency.reset();
    this.errors = 0;
  }
}

export interface LoadRun {
  startedAt: number;
  durationS: number;
  connections: number;
  requests: number;
  errors: number;
  /** Up to 10 distinct error descriptions, with counts. */
  errorSamples: Record<string, number>;
  /** Latency (ms) of every answered request. */
  latency: LatencyRecorder;
  /** Seconds per timeline step. */
  stepS: number;
  /** Answers, errors and p99 per step since the run started. */
  timeline: TimelineStep[];
}

const REQUEST_TIMEOUT_S = 10;
const HARD_STOP_GRACE_MS = 15_000;

export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const url = loopbackOnly(options.base);
  const maxRequests = Math.max(1, Math.floor(options.maxRequests));
  // autocannon splits the request budget over the connections; one with no share would run unbounded.
  const connections = Math.max(1, Math.min(options.connections, maxRequests));
  const latency = new LatencyRecorder();
  const timeline = new Timeline(timelineStepS(options.durationS));
  const { window } = options;
  const errorSamples: Record<string, number> = {};
  let answers = 0;
  let errors = 0;
  let lastEvent = 0;
  const started = performance.now();
  const fail = (what: string) => {
    errors++;
    lastEvent = (performance.now() - started) / 1000;
    timeline.error(lastEvent);
    if (window) window.errors++;
    const key = what.slice(0, 200);
    if (key in errorSamples || Object.keys(errorSamples).length < 10) errorSamples[key] = (errorSamples[key] ?? 0) + 1;
  };
  const { flow } = options;
  const request: autocannon.Request = {
    method: "GET",
    path: "/",
    setupRequest: (req, context) => {
      const call = flow.next(context as Record<string, unknown>);
      return {
        ...req,
        method: call.method,
        path: call.path,
        headers: { ...req.headers, ...call.headers },
        body: call.body ?? "",
      } as autocannon.Request;
    },
    onResponse: (status, body, context) => {
      const problem = flow.check(status, body, context as Record<string, unknown>);
      if (problem) fail(problem);
    },
  };
  const startedAt = Date.now() - (performance.now() - started);
  const instance = autocannon({
    url: url.origin,
    connections,
    pipelining: 1,
    maxOverallRequests: maxRequests,
    duration: Math.max(1, Math.ceil(options.durationS)),
    timeout: REQUEST_TIMEOUT_S,
    // autocannon notices the end of a run on its sampling tick: 100 ms, not its default 1 s.
    sampleInt: 100,
    requests: [request],
    ...(options.rate ? { overallRate: options.rate } : {}),
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    answers++;
    lastEvent = (performance.now() - started) / 1000;
    latency.record(responseTime);
    timeline.answer(lastEvent, responseTime);
    window?.latency.record(responseTime);
  });
  instance.on("reqError", (error: Error) => fail(`request error: ${error.message}`));
  const ticker = setInterval(() => options.onTick?.(answers, errors, (performance.now() - started) / 1000), 1_000);
  const hardStop = setTimeout(() => instance.stop(), options.durationS * 1000 + HARD_STOP_GRACE_MS);
  try {
    await instance;
  } finally {
    clearInterval(ticker);
    clearTimeout(hardStop);
  }
  // autocannon notices the end on its next sampling tick: the run lasted until the last answer.
  const durationS = Math.max(lastEvent, 0.001);
  options.onTick?.(answers, errors, durationS);
  return {
    startedAt,
    durationS,
    connections,
    requests: answers,
    errors,
    errorSamples,
    latency,
    stepS: timeline.stepS,
    timeline: timeline.close(),
  };
}
