/**
 * The terminal progress bar of a run (on stderr): one line per phase,
 * redrawn each second on a terminal (fraction done = the larger of the
 * request budget and the time budget spent), and a one-line result when the
 * phase ends. Without a terminal only the result lines are written.
 */
import type { EndpointResult } from "./results.js";

const WIDTH = 28;

export interface Progress {
  start(label: string, maxRequests: number, durationS: number): void;
  tick(done: number, errors: number, elapsedS: number): void;
  done(result?: EndpointResult): void;
  note(text: string): void;
  /** A line that is part of the run's output (a soak's periodic line): written even when quiet. */
  line(text: string): void;
}

function bar(fraction: number, width = WIDTH): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  const tty = stream.isTTY === true;
  let label = "";
  let max = 1;
  let duration = 1;
  let drawn = false;
  const write = (text: string) => {
    if (!quiet) stream.write(text);
  };
  const clear = () => {
    if (drawn && tty) write("\r\x1b[2K");
    drawn = false;
  };
  return {
    start(name, maxRequests, durationS) {
      label = name;
      max = Math.max(1, maxRequests);
      duration = Math.max(0.1, durationS);
    },
    tick(done, errors, elapsed) {
      if (!tty) return;
      const fraction = Math.min(1, Math.max(done / max, elapsed / duration));
      const rate = elapsed > 0 ? done / elapsed : 0;
      clear();
      write(
        `  ${label.padEnd(26)} ${bar(fraction)} ${String(Math.round(fraction * 100)).padStart(3)}% ` +
          `${done} req  ${rate.toFixed(0)} req/s  ${errors} errors`,
      );
      drawn = true;
    },
    done(result) {
      clear();
      if (!result) return;
      const l = result.latency;
      write(
        `  ${result.key.padEnd(26)} ${result.requests} req  ${result.rps.toFixed(0)} req/s  ` +
          `p50 ${l.p50.toFixed(2)} ms  p99 ${l.p99.toFixed(2)} ms  ${result.errors} errors\n`,
      );
    },
    note(text) {
      clear();
      write(`  ${text}\n`);
    },
    line(text) {
      if (drawn && tty) stream.write("\r\x1b[2K");
      drawn = false;
      stream.write(`  ${text}\n`);
    },
  };
}
