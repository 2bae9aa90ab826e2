/**
 * Bundles test/sdk/worker/sdk-worker.ts against the built SDK the way a
 * Workers project's bundler would (wrangler uses esbuild with these
 * conditions): `#signature` resolves to the WebCrypto implementation, and
 * nothing Node-only may end up in the bundle.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const SOURCE = fileURLToPath(new URL("./sdk-worker.ts", import.meta.url));

/** `source` defaults to sdk-worker.ts beside this file (pass it when this module is itself bundled elsewhere). */
export async function bundleSdkWorker(outfile: string, source = SOURCE): Promise<string> {
  await build({
    entryPoints: [source],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

/** As in wrangler.toml, but without nodejs_compat: the SDK must not need it. */
export const WORKER_COMPATIBILITY = { compatibilityDate: "2026-04-26", compatibilityFlags: [] as string[] };
