import type { Random } from "../core/ports/clock.js";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Runs `job` once between 1 and 60 minutes after start, then every day. A
 * process restarted more often than daily (deploys, autoscaling, a crash
 * loop) would otherwise never run it; the random first delay keeps replicas
 * started together from running it at once.
 */
export function scheduleDaily(job: () => void, random: Random): () => void {
  const [high = 0, low = 0] = random.bytes(2);
  const firstDelay = MINUTE_MS + Math.floor((((high << 8) | low) / 65_536) * 59 * MINUTE_MS);
  let daily: ReturnType<typeof setInterval> | undefined;
  const first = setTimeout(() => {
    job();
    daily = setInterval(job, DAY_MS);
    daily.unref();
  }, firstDelay);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(daily);
  };
}
