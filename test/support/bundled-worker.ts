import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { wranglerCompatibility } from "./runtime-worker.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

export interface BundledWorker {
  mf: Miniflare;
  /** The folder wrangler wrote the bundle to. */
  bundle: string;
  /** The bundled script's file name (wrangler names it after `main`). */
  script: string;
  /** POSTs JSON to the Worker; resolves the JSON answer, throws on any status but 200. */
  post<T>(path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/**
 * A small test Worker (`source`, a .ts file importing a `.wasm`) bundled the
 * way a deployed Worker is, by `wrangler deploy --dry-run` (wrangler's default
 * rules turn the `.wasm` import into a separate CompiledWasm module), and run
 * inside workerd by Miniflare with wrangler.toml's compatibility settings.
 */
export async function startBundledWorker(source: string): Promise<BundledWorker> {
  const name = basename(source, ".ts");
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  const bundle = join(dir, "out");
  const config = join(dir, "wrangler.toml");
  const { compatibilityDate, compatibilityFlags } = wranglerCompatibility();
  await writeFile(
    config,
    [
      `name = ${JSON.stringify(`${name}-test`)}`,
      `main = ${JSON.stringify(source)}`,
      `compatibility_date = ${JSON.stringify(compatibilityDate)}`,
      `compatibility_flags = ${JSON.stringify(compatibilityFlags)}`,
      "",
    ].join("\n"),
  );
  await promisify(execFile)(
    process.execPath,
    [WRANGLER, "deploy", "--dry-run", "--outdir", bundle, "--config", config],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG_PATH: join(dir, "logs"), NO_COLOR: "1" },
    },
  );
  const script = `${name}.js`;
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(bundle, script),
    modulesRoot: bundle,
    // What wrangler uploads: the .wasm beside the script as a precompiled module.
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate,
    compatibilityFlags,
  });
  await mf.ready;
  return {
    mf,
    bundle,
    script,
    async post<T>(path: string, body: unknown = {}): Promise<T> {
      const response = await mf.dispatchFetch(`http://${name}.test${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    async close() {
      try {
        await mf.dispose();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
