#!/usr/bin/env node
// Renders the Kubernetes overlays (k8s-fallback/overlays/{staging,production})
// with `kubectl kustomize` into k8s-fallback/rendered/{name}.yaml, the files
// that are committed, reviewed and validated by test/deploy. `--check` writes
// nothing and exits 1 when a committed file differs from a fresh rendering.
//   node scripts/render-k8s.mjs [--check] [overlay...]
// KUBECTL names another kubectl binary (default: kubectl on PATH).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OVERLAYS = ["staging", "production"];
const kubectl = process.env.KUBECTL || "kubectl";

function run(args) {
  const result = spawnSync(kubectl, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${kubectl} ${args.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${kubectl} ${args.join(" ")} failed:\n${result.stderr}`);
  return result.stdout;
}

function kustomizeVersion() {
  const match = /Kustomize Version:\s*(\S+)/.exec(run(["version", "--client"]));
  return match?.[1] ?? "unknown";
}

/** The committed text of one overlay: a header, then kustomize's output as it is. */
function render(overlay, version = kustomizeVersion()) {
  const body = run(["kustomize", join("k8s-fallback", "overlays", overlay)]);
  return [
    `# Rendered from k8s-fallback/overlays/${overlay} by scripts/render-k8s.mjs`,
    `# (kubectl kustomize, kustomize ${version}). Do not edit: change the base or`,
    "# the overlay, then run `node scripts/render-k8s.mjs`.",
    body,
  ].join("\n");
}

const args = process.argv.slice(2);
const check = args.includes("--check");
const chosen = args.filter((arg) => !arg.startsWith("--"));
const unknown = chosen.filter((name) => !OVERLAYS.includes(name));
if (unknown.length > 0) {
  console.error(`unknown overlay: ${unknown.join(", ")} (known: ${OVERLAYS.join(", ")})`);
  process.exit(2);
}
let stale = 0;
const version = kustomizeVersion();
for (const overlay of chosen.length > 0 ? chosen : OVERLAYS) {
  const file = join(ROOT, "k8s-fallback", "rendered", `${overlay}.yaml`);
  const text = render(overlay, version);
  if (check) {
    let committed = "";
    try {
      committed = readFileSync(file, "utf8");
    } catch {
      // missing counts as stale
    }
    if (committed !== text) {
      stale++;
      console.error(`${file} is stale: run node scripts/render-k8s.mjs`);
    }
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
