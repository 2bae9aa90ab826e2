/**
 * The summary printed at the end of a run: one table row per endpoint,
 * then the raw limits, the other figures, the stores' cost per session, the
 * stress knee or soak growth, the targets (pass/miss) and the correctness
 * checks (which decide the exit status).
 */
import { describeRedis } from "../resources.js";
import type { Results } from "../results.js";

const f = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(digits));

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function summary(results: Results): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(
    `\nBenchmark (${results.mode}) on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}: ${results.durationS.toFixed(0)} s`,
  );
  out.push("");
  out.push(
    table(
      [
        "endpoint",
        "conns",
        "requests",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "CPU ms/req",
        "per CPU-s",
        "vs raw",
      ],
      results.endpoints.map((e) => [
        e.key,
        String(e.connections),
        String(e.requests),
        f(e.rps, 0),
        f(e.latency.p50, 2),
        f(e.latency.p95, 2),
        f(e.latency.p99, 2),
        String(e.errors),
        f(e.cpu?.perRequestMs, 3),
        f(e.cpu?.perCpuSecond, 0),
        e.raw ? `${(e.raw.ratio * 100).toFixed(1)}%` : "",
      ]),
    ),
  );
  out.push("\nCPU ms/req and per CPU-s: the serving process (node server, workerd; in-process for sdk.verify).");
  out.push("\nRaw limits (this process, same run):");
  for (const raw of Object.values(results.raw))
    out.push(`  ${raw.name.padEnd(52)} ${f(raw.perCpuSecond, 0)} per CPU-second`);
  if (results.figures.length) {
    out.push("\nOther figures:");
    for (const fig of results.figures) out.push(`  ${fig.label.padEnd(52)} ${fig.value}`);
  }
  const { redis, postgres } = results.resources;
  if (redis.afterLogin || postgres) {
    out.push("\nStores per session:");
    if (redis.afterLogin) out.push(`  Redis after login:              ${describeRedis(redis.afterLogin)}`);
    if (redis.afterRefresh) out.push(`  Redis just after refreshes:     ${describeRedis(redis.afterRefresh)}`);
    if (redis.steady) out.push(`  Redis after the grace window:   ${describeRedis(redis.steady)}`);
    if (postgres)
      out.push(
        `  Postgres sessions:              ${postgres.rows} rows, ${(postgres.totalBytes / 1024).toFixed(0)} KiB total, ${f(postgres.bytesPerRow, 0)} bytes per row`,
      );
  }
  if (results.stress) {
    const { knee, flow, thresholds } = { ...results.stress, knee: results.stress.knee };
    out.push(`\nStress (${flow}, thresholds: p99 <= ${thresholds.p99Ms} ms, errors <= ${thresholds.maxErrors}):`);
    out.push(
      `  knee: ${knee.knee ? `${knee.knee.connections} connections, ${f(knee.knee.rps, 0)} req/s, p99 ${f(knee.knee.p99, 2)} ms` : "none (the first step broke)"}`,
    );
    out.push(`  broke: ${knee.reason}`);
    out.push(
      `  saturation: ${knee.saturation ? `from ${knee.saturation.connections} connections (${f(knee.saturation.rps, 0)} req/s)` : "throughput still growing"}`,
    );
  }
  if (results.soak) {
    const s = results.soak;
    out.push(
      `\nSoak: ${f(s.durationS, 0)} s, ${s.samples.length} memory samples; server RSS ${f(s.rssSlopeMBPerMin, 2)} MB/min, heap ${f(s.heapSlopeMBPerMin, 2)} MB/min, heap growth ${f(s.heapGrowthPct, 1)}%; bench RSS ${f(s.benchRssSlopeMBPerMin, 2)} MB/min, heap ${f(s.benchHeapSlopeMBPerMin, 2)} MB/min`,
    );
  }
  out.push("\nTargets (printed, not asserted):");
  for (const t of results.targets)
    out.push(`  [${t.pass ? "pass" : "miss"}] ${t.name}: ${t.actual} (target ${t.wanted})`);
  out.push("\nCorrectness (fails the run):");
  for (const c of results.correctness.checks) out.push(`  [${c.ok ? " ok " : "FAIL"}] ${c.name}: ${c.detail}`);
  return out.join("\n");
}
