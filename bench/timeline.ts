/**
 * A load run's timeline, built as the answers come: per step (a second, or
 * wider on a long run so a report never holds more than MAX_POINTS points)
 * the answers, the errors and the p99 of the answers. Only the open step's
 * latencies are held (in an HDR histogram, reset at each step), so memory
 * does not grow with the run's length beyond one small record per step.
 */
import { LatencyRecorder } from "./stats.js";

export interface TimelineStep {
  answers: number;
  errors: number;
  /** p99 latency of the step's answers in ms (NaN without any). */
  p99: number;
}

const MAX_POINTS = 3_600;

/** Seconds per step for a run of `durationS`: 1, or wider past an hour. */
export const timelineStepS = (durationS: number) => Math.max(1, Math.ceil(durationS / MAX_POINTS));

export class Timeline {
  readonly steps: TimelineStep[] = [];
  private readonly open = new LatencyRecorder();
  private current: TimelineStep = { answers: 0, errors: 0, p99: Number.NaN };

  constructor(readonly stepS: number) {}

  /** An answer at `t` seconds since the run started. */
  answer(t: number, latencyMs: number): void {
    this.at(t).answers++;
    this.open.record(latencyMs);
  }

  /** An error at `t` seconds since the run started. */
  error(t: number): void {
    this.at(t).errors++;
  }

  /** The steps so far and the open one (call once, at the end of the run). */
  close(): TimelineStep[] {
    this.seal();
    return this.steps;
  }

  /** The step `t` falls in; times come in order, a late one counts in the open step. */
  private at(t: number): TimelineStep {
    const index = Math.floor(Math.max(0, t) / this.stepS);
    while (this.steps.length < index) this.seal();
    return this.current;
  }

  private seal(): void {
    this.current.p99 = this.open.percentile(99);
    this.steps.push(this.current);
    this.open.reset();
    this.current = { answers: 0, errors: 0, p99: Number.NaN };
  }
}
