/**
 * What a soak watches while it runs: the memory of the server (RSS from
 * /proc, V8 heap from its /metrics) and of the bench process itself, every
 * `sampleS`, and a periodic line (each minute on a long run) with the
 * request rate, p50/p99 of the period (the flows' HDR histograms merged),
 * errors and both processes' memory, so a long run shows whether memory
 * stays flat while it goes. Samples and lines are bounded by the duration.
 */
import type { LoadWindow } from "./load.js";
import type { MemorySample, SoakInterval } from "./results.js";
import { LatencyRecorder } from "./stats.js";

interface Watched {
  rss(): number;
  heapUsed(): Promise<number>;
}

export interface SoakWatchOptions {
  server: Watched;
  /** Each flow's window; the first is the refresh flow, named in the line. */
  windows: LoadWindow[];
  sampleS: number;
  reportS: number;
  durationS: number;
  line(text: string): void;
}

/** Seconds between periodic lines: a minute, or a tenth of a run shorter than ten minutes (at least 5 s). */
export const reportEveryS = (durationS: number) => (durationS >= 600 ? 60 : Math.max(5, Math.round(durationS / 10)));

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
const clock = (s: number) => {
  const whole = Math.round(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = String(whole % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
};

function describeInterval(i: SoakInterval, durationS: number): string {
  return (
    `soak ${clock(i.t)}/${clock(durationS)}  ${i.rps.toFixed(0)} req/s (refresh ${i.refreshRps.toFixed(0)}/s)  ` +
    `p50 ${i.p50.toFixed(2)} ms  p99 ${i.p99.toFixed(2)} ms  ${i.errors} errors  ` +
    `server RSS ${mb(i.rssBytes)} heap ${mb(i.heapUsedBytes)}  bench RSS ${mb(i.benchRssBytes)} heap ${mb(i.benchHeapUsedBytes)}`
  );
}

/** Starts watching; `stop` ends it (within a moment) and hands over what was seen. */
export function watchSoak(o: SoakWatchOptions): {
  stop(): Promise<{ samples: MemorySample[]; intervals: SoakInterval[] }>;
} {
  const samples: MemorySample[] = [];
  const intervals: SoakInterval[] = [];
  const merged = new LatencyRecorder();
  const started = performance.now();
  let lastReport = 0;
  let running = true;
  let wake: (() => void) | undefined;

  const sample = async (): Promise<MemorySample> => {
    const heapUsedBytes = await o.server.heapUsed();
    const own = process.memoryUsage();
    const s = {
      t: (performance.now() - started) / 1000,
      rssBytes: o.server.rss(),
      heapUsedBytes,
      benchRssBytes: own.rss,
      benchHeapUsedBytes: own.heapUsed,
    };
    samples.push(s);
    return s;
  };

  const report = (s: MemorySample) => {
    const seconds = Math.max(0.001, s.t - lastReport);
    merged.reset();
    let errors = 0;
    for (const w of o.windows) {
      merged.add(w.latency);
      errors += w.errors;
    }
    const interval: SoakInterval = {
      ...s,
      rps: merged.count / seconds,
      refreshRps: (o.windows[0]?.latency.count ?? 0) / seconds,
      p50: merged.percentile(50),
      p99: merged.percentile(99),
      errors,
    };
    for (const w of o.windows) w.reset();
    intervals.push(interval);
    lastReport = s.t;
    o.line(describeInterval(interval, o.durationS));
  };

  const loop = (async () => {
    while (running) {
      const s = await sample();
      if (s.t - lastReport >= o.reportS - o.sampleS / 2) report(s);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.sampleS * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    // The last, partial period.
    const last = await sample();
    if (last.t - lastReport >= 1) report(last);
  })();

  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
      return { samples, intervals };
    },
  };
}
