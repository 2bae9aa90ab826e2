/**
 * The HTML report of a run: one self-contained file (inline CSS and SVG, no
 * script, nothing fetched), readable offline. Verdicts first, then the
 * endpoint table, throughput over time, the latency distribution of each
 * endpoint, and the details (raw limits, stores, stress ramp, soak memory,
 * error samples). The results JSON is embedded as inert data.
 */
import { describeRedis } from "../resources.js";
import type { EndpointResult, Results } from "../results.js";
import { esc, histogramChart, lineChart, PALETTE } from "./svg.js";

const f = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits));

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#111827}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.meta{color:#4b5563}table{border-collapse:collapse;width:100%;font-size:13px}
.wide{overflow-x:auto}td.ep{min-width:230px}th,td{padding:3px 6px;border-bottom:1px solid #eef0f3;text-align:right;white-space:nowrap}th{background:#f9fafb}
td:first-child,th:first-child{text-align:left;white-space:normal}table.list td{text-align:left;white-space:normal}
.pass,.ok{color:#15803d;font-weight:600}.miss,.fail{color:#b91c1c;font-weight:600}
.banner{padding:10px 14px;border-radius:6px;margin:14px 0;font-weight:600}
.banner.ok{background:#dcfce7}.banner.fail{background:#fee2e2}
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}
figure{margin:0}figcaption{font-size:12px;color:#374151}.key{margin-right:10px;display:inline-block}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
svg .title{font-size:13px;font-weight:600;fill:#111827}svg .tick{font-size:10px;fill:#6b7280}
svg .axis{font-size:11px;fill:#374151}svg .grid{stroke:#e5e7eb;stroke-width:1}
svg .mark{stroke:#111827;stroke-dasharray:3 3}svg .marktext{font-size:10px;fill:#111827}
code,pre{font-size:12px;background:#f3f4f6;padding:1px 4px;border-radius:3px}pre{padding:8px;overflow:auto;white-space:pre-wrap}
`;

function endpointTable(endpoints: EndpointResult[]): string {
  const head = [
    "endpoint",
    "conns",
    "requests",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "errors",
    "CPU ms/req",
    "per CPU-s",
    "raw / CPU-s",
    "ratio",
  ];
  const rows = endpoints.map(
    (e) =>
      `<tr><td class="ep"><b>${esc(e.key)}</b><br><small>${esc(e.label)}</small></td><td>${e.connections}</td><td>${e.requests}</td><td>${f(e.rps, 0)}</td><td>${f(e.latency.p50, 2)}</td><td>${f(e.latency.p95, 2)}</td><td>${f(e.latency.p99, 2)}</td><td>${f(e.latency.max, 1)}</td><td class="${e.errors ? "fail" : ""}">${e.errors}</td><td>${f(e.cpu?.perRequestMs, 3)}</td><td>${f(e.cpu?.perCpuSecond, 0)}</td><td title="${e.raw ? esc(e.raw.name) : ""}">${e.raw ? f(e.raw.perCpuSecond, 0) : ""}</td><td>${e.raw ? `${f(e.raw.ratio * 100, 1)}%` : ""}</td></tr>`,
  );
  return `<div class="wide"><table><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr>${rows.join("")}</table></div>`;
}

/** One color per endpoint, the same in every chart. */
const colorOf = (results: Results, e: EndpointResult) => PALETTE[results.endpoints.indexOf(e) % PALETTE.length];

function throughput(results: Results): string {
  // HTTP phases only: the in-process SDK figure is no load on the service.
  const charted = results.endpoints.filter((e) => e.timeline.length > 1 && e.runtime !== "in-process");
  const series = charted.map((e) => ({
    name: e.key,
    color: colorOf(results, e),
    points: e.timeline.map((p) => ({ x: p.t, y: p.rps })),
  }));
  const errorPoints = results.endpoints.flatMap((e) =>
    e.timeline.filter((p) => p.errors > 0).map((p) => ({ x: p.t, y: p.errors })),
  );
  if (errorPoints.length) series.push({ name: "errors per second", color: "#b91c1c", points: errorPoints });
  if (series.length === 0) return "<p>No load phase long enough to chart.</p>";
  const p99 = charted.map((e) => ({
    name: e.key,
    color: colorOf(results, e),
    points: e.timeline.map((p) => ({ x: p.t, y: p.p99 })),
  }));
  return (
    lineChart(series, {
      title: "Throughput over time (each phase in turn)",
      xLabel: "seconds since the run started",
      yLabel: "requests per second",
    }) +
    lineChart(p99, {
      title: "p99 latency per second",
      xLabel: "seconds since the run started",
      yLabel: "p99 (ms)",
      height: 240,
    })
  );
}

function distributions(results: Results): string {
  return `<div class="grid2">${results.endpoints
    .map((e) =>
      histogramChart(e.histogram, {
        title: `${e.key} (${e.requests} requests)`,
        color: colorOf(results, e),
        marks: [
          { p: "p50", ms: e.latency.p50 },
          { p: "p95", ms: e.latency.p95 },
          { p: "p99", ms: e.latency.p99 },
        ],
      }),
    )
    .join("")}</div>`;
}

function details(results: Results): string {
  const out: string[] = [];
  out.push(
    `<h2>Raw limits (same run, this process)</h2><table class="list">${Object.values(results.raw)
      .map((r) => `<tr><td>${esc(r.name)}</td><td>${f(r.perCpuSecond, 0)} per CPU-second</td></tr>`)
      .join("")}</table>`,
  );
  if (results.figures.length)
    out.push(
      `<h2>Other figures</h2><table>${results.figures.map((x) => `<tr><td>${esc(x.label)}</td><td>${esc(x.value)}</td></tr>`).join("")}</table>`,
    );
  const { redis, postgres } = results.resources;
  const rows: string[] = [];
  if (redis.afterLogin)
    rows.push(`<tr><td>Redis after the logins</td><td>${esc(describeRedis(redis.afterLogin))}</td></tr>`);
  if (redis.afterRefresh)
    rows.push(
      `<tr><td>Redis just after the refreshes (grace keys live)</td><td>${esc(describeRedis(redis.afterRefresh))}</td></tr>`,
    );
  if (redis.steady)
    rows.push(
      `<tr><td>Redis after the grace window (steady state)</td><td>${esc(describeRedis(redis.steady))}</td></tr>`,
    );
  if (postgres)
    rows.push(
      `<tr><td>Postgres <code>sessions</code></td><td>${postgres.rows} rows, ${f(postgres.totalBytes / 1024, 0)} KiB (pg_total_relation_size), ${f(postgres.bytesPerRow, 0)} bytes per row</td></tr>`,
    );
  if (rows.length) out.push(`<h2>Stores per session</h2><table class="list">${rows.join("")}</table>`);
  if (results.stress) {
    const { steps, knee, thresholds, flow } = results.stress;
    const marks = knee.knee ? [{ x: knee.knee.connections, text: `knee: ${knee.knee.connections}` }] : [];
    out.push(
      `<h2>Stress ramp (${esc(flow)})</h2><p>Thresholds: p99 ≤ ${thresholds.p99Ms} ms, errors ≤ ${thresholds.maxErrors}. Knee: <b>${knee.knee ? `${knee.knee.connections} connections, ${f(knee.knee.rps, 0)} req/s, p99 ${f(knee.knee.p99, 2)} ms` : "none"}</b>; ${esc(knee.reason)}; saturation ${knee.saturation ? `from ${knee.saturation.connections} connections` : "not reached"}.</p>`,
    );
    out.push(
      lineChart([{ name: "req/s", points: steps.map((s) => ({ x: s.connections, y: s.rps })) }], {
        title: "Throughput by concurrency",
        xLabel: "connections",
        yLabel: "requests per second",
        dots: true,
        marks,
        height: 260,
      }),
    );
    out.push(
      lineChart([{ name: "p99 ms", color: PALETTE[1], points: steps.map((s) => ({ x: s.connections, y: s.p99 })) }], {
        title: "p99 latency by concurrency",
        xLabel: "connections",
        yLabel: "p99 (ms)",
        dots: true,
        marks,
        height: 260,
      }),
    );
  }
  if (results.soak) {
    const s = results.soak;
    out.push(
      `<h2>Soak memory</h2><p>${f(s.durationS, 0)} s; after the warm-up the server's RSS grows ${f(s.rssSlopeMBPerMin, 2)} MB/min and its heap ${f(s.heapSlopeMBPerMin, 2)} MB/min (${f(s.heapGrowthPct, 1)}% from the second fifth to the last); the bench process's RSS ${f(s.benchRssSlopeMBPerMin, 2)} MB/min and heap ${f(s.benchHeapSlopeMBPerMin, 2)} MB/min.</p>`,
    );
    out.push(
      lineChart(
        [
          { name: "RSS (MB)", points: s.samples.map((p) => ({ x: p.t, y: p.rssBytes / 1048576 })) },
          {
            name: "heap used (MB)",
            color: PALETTE[2],
            points: s.samples.map((p) => ({ x: p.t, y: p.heapUsedBytes / 1048576 })),
          },
        ],
        { title: "Server memory over the soak", xLabel: "seconds", yLabel: "MB", height: 260 },
      ),
    );
    out.push(
      lineChart(
        [
          { name: "RSS (MB)", points: s.samples.map((p) => ({ x: p.t, y: p.benchRssBytes / 1048576 })) },
          {
            name: "heap used (MB)",
            color: PALETTE[2],
            points: s.samples.map((p) => ({ x: p.t, y: p.benchHeapUsedBytes / 1048576 })),
          },
        ],
        { title: "Bench process memory over the soak", xLabel: "seconds", yLabel: "MB", height: 260 },
      ),
    );
  }
  const errors = results.endpoints.filter((e) => e.errors > 0);
  if (errors.length)
    out.push(
      `<h2>Error samples</h2>${errors
        .map(
          (e) =>
            `<h3>${esc(e.key)}</h3><pre>${esc(
              Object.entries(e.errorSamples)
                .map(([k, n]) => `${n} × ${k}`)
                .join("\n"),
            )}</pre>`,
        )
        .join("")}`,
    );
  const logs = Object.entries(results.correctness.logs).filter(([, l]) => l.samples.length);
  if (logs.length)
    out.push(
      `<h2>Error lines in the logs</h2>${logs.map(([r, l]) => `<h3>${esc(r)}</h3><pre>${esc(l.samples.join("\n"))}</pre>`).join("")}`,
    );
  const notes = [...new Set(results.endpoints.flatMap((e) => (e.notes ?? []).map((n) => `${e.key}: ${n}`)))];
  if (notes.length) out.push(`<h2>Notes</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>`);
  return out.join("");
}

export function renderHtml(results: Results): string {
  const m = results.machine;
  const c = results.correctness;
  const verdict = `<div class="banner ${c.ok ? "ok" : "fail"}">Correctness: ${c.ok ? "OK" : "FAILED"}</div><table class="list">${c.checks.map((k) => `<tr><td class="${k.ok ? "ok" : "fail"}">${k.ok ? "ok" : "FAIL"}</td><td>${esc(k.name)}</td><td>${esc(k.detail)}</td></tr>`).join("")}</table>`;
  const targets = `<h2>Targets (pass/miss, not asserted)</h2><table class="list">${results.targets.map((t) => `<tr><td class="${t.pass ? "pass" : "miss"}">${t.pass ? "pass" : "miss"}</td><td>${esc(t.name)}</td><td>${esc(t.actual)}</td><td>target ${esc(t.wanted)}</td></tr>`).join("")}</table>`;
  const json = JSON.stringify(results).replace(/</g, "\\u003c");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>authority benchmark ${esc(results.mode)} ${esc(results.startedAt)}</title><style>${CSS}</style></head><body>
<h1>authority benchmark: ${esc(results.mode)} run</h1>
<p class="meta">${esc(results.startedAt)} · ${results.durationS.toFixed(0)} s · ${m.cpus} × ${esc(m.cpuModel)} · ${m.memoryGiB} GiB · Node ${esc(m.node)} · ${esc(m.os)}. All load on 127.0.0.1; the Node server on real Postgres and Redis; CPU from /proc of the serving process.</p>
${verdict}${targets}
<h2>Endpoints</h2>${endpointTable(results.endpoints)}
<p class="meta">CPU ms/req and per CPU-s: CPU of the serving process over the phase (background work after responses included) divided by the requests; "ratio" compares that with the raw limit measured in the same run.</p>
<h2>Throughput over time</h2>${throughput(results)}
<h2>Latency distribution per endpoint</h2>${distributions(results)}
${details(results)}
<script type="application/json" id="results">${json}</script>
</body></html>`;
}
