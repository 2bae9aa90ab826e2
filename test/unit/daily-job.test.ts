import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Random } from "../../src/core/ports/clock.js";
import { scheduleDaily } from "../../src/entry/daily-job.js";

const MINUTE_MS = 60_000;
const fixedRandom = (high: number, low: number): Random => ({
  bytes: (length) => new Uint8Array([high, low].slice(0, length)),
  uuid: () => "00000000-0000-4000-8000-000000000000",
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("scheduleDaily", () => {
  it("runs first within the hour after start, however soon the process restarts, then daily", () => {
    const job = vi.fn();
    const stop = scheduleDaily(job, fixedRandom(0x80, 0));
    vi.advanceTimersByTime(MINUTE_MS);
    expect(job).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * MINUTE_MS);
    expect(job).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(24 * 60 * MINUTE_MS);
    expect(job).toHaveBeenCalledTimes(2);
    stop();
    vi.advanceTimersByTime(48 * 60 * MINUTE_MS);
    expect(job).toHaveBeenCalledTimes(2);
  });

  it("spreads the first run over 1 to 60 minutes by the random bytes", () => {
    const earliest = vi.fn();
    const stopEarliest = scheduleDaily(earliest, fixedRandom(0, 0));
    vi.advanceTimersByTime(MINUTE_MS - 1);
    expect(earliest).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(earliest).toHaveBeenCalledTimes(1);
    stopEarliest();

    const latest = vi.fn();
    const stopLatest = scheduleDaily(latest, fixedRandom(0xff, 0xff));
    vi.advanceTimersByTime(59 * MINUTE_MS);
    expect(latest).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MINUTE_MS);
    expect(latest).toHaveBeenCalledTimes(1);
    stopLatest();
  });
});
