/**
 * `npm run bench [-- --stress | --soak --duration=10m | --no-worker | …]`
 * (options: bench/options.ts). Runs the benchmark against the built Node
 * server (and the built Worker in workerd), all on 127.0.0.1 with real
 * Postgres and Redis; writes results.json and report.html under
 * bench/results/; prints the summary. Exits non-zero when correctness
 * fails (a failed request, a broken refresh chain, an error in a log);
 * performance targets are printed as pass/miss only.
 */
import { parseArgs } from "./options.js";
import { summary } from "./report/terminal.js";
import { publish } from "./report/write.js";
import { runBench } from "./runner.js";
import { exitCode } from "./verdict.js";

const options = parseArgs(process.argv.slice(2));
const results = await runBench(options);
const written = await publish(results, options.outDir, options.mode === "short");
console.log(summary(results));
console.log(
  `\nResults: ${written.json}\nReport:  ${written.html}${options.mode === "short" ? `\n(copied to ${options.outDir}/latest/)` : ""}`,
);
process.exitCode = exitCode(results);
