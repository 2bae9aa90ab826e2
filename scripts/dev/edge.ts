// `npm run dev:edge`: the Worker run locally by wrangler dev (workerd, rebuilt when a source file
// changes) against local Postgres and Redis through the Neon-HTTP and Upstash-REST bridges, so the
// Workers build can be tried before any Neon or Upstash database exists. One command starts the
// bridges and the Worker, prints the URL once /readyz answers, and Ctrl-C stops all of it.
// Development only: the bridges authenticate nobody (docs/development/edge.md).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fillDevSecrets } from "../../src/entry/dev-secrets.js";
import {
  type EdgeSettings,
  edgeSettings,
  ensureDatabase,
  migrate,
  passedOn,
  SetupError,
  shown,
  writeEnvFile,
} from "./edge-setup.js";
import { type NeonHttpBridge, startNeonHttpBridge } from "./neon-http-bridge.js";
import { startUpstashBridge, type UpstashBridge } from "./upstash-rest-bridge.js";

// The bundle runs from dist/dev/ (and this file sits in scripts/dev/): the repository is two up.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
/** wrangler dev bundles, starts workerd and the Worker reaches both bridges: allow a slow machine. */
const READY_TIMEOUT_MS = 120_000;
/** After Ctrl-C: how long wrangler and workerd get to end before they are killed. */
const STOP_GRACE_MS = 5_000;

const running: { neon?: NeonHttpBridge; upstash?: UpstashBridge; wrangler?: ChildProcess; envDir?: string } = {};
let stopping = false;

/** Signals wrangler's whole process group (workerd is in it): it was started as a group of its own. */
function signalWrangler(signal: NodeJS.Signals): void {
  const pid = running.wrangler?.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has already ended.
  }
}

async function stopWrangler(): Promise<void> {
  const child = running.wrangler;
  if (!child) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    signalWrangler("SIGINT");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS))]);
  }
  // Whatever of the group is still there (a workerd its parent did not wait for) ends now.
  signalWrangler("SIGKILL");
}

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await stopWrangler();
    await Promise.allSettled([running.neon?.close(), running.upstash?.close()]);
    if (running.envDir) rmSync(running.envDir, { recursive: true, force: true });
    console.log("dev:edge stopped: the Worker and both bridges are down.");
  }
  process.exit(code);
}

async function readyWithin(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function startBridges(settings: EdgeSettings) {
  running.neon = await startNeonHttpBridge({
    postgresUrl: settings.databaseUrl.toString(),
    port: settings.neonBridgePort,
  });
  try {
    running.upstash = await startUpstashBridge({
      token: `dev-edge-${randomBytes(24).toString("base64url")}`,
      redisUrl: settings.redisUrl,
      port: settings.upstashBridgePort,
    });
  } catch (error) {
    throw new SetupError(
      `Redis does not answer at ${shown(settings.redisUrl)} (${(error as Error).message}). ` +
        "Start it, or point REDIS_URL at one (docs/development/edge.md).",
    );
  }
  return { neon: running.neon, upstash: running.upstash };
}

async function main(): Promise<void> {
  const settings = edgeSettings(process.env);
  if (await ensureDatabase(settings.databaseUrl)) console.log(`Created the database ${shown(settings.databaseUrl)}.`);
  await migrate(join(HERE, "migrate.js"), settings.databaseUrl);
  const { neon, upstash } = await startBridges(settings);

  // The same development secrets `npm start` keeps in DATA_DIR, unless the environment gives them.
  const secrets: Record<string, string | undefined> = {
    APP_ENV: "development",
    DATA_DIR: settings.dataDir,
    BOOTSTRAP_ADMIN_KEY: process.env.BOOTSTRAP_ADMIN_KEY,
    ENCRYPTION_KEYS: process.env.ENCRYPTION_KEYS,
  };
  const secretsFile = fillDevSecrets(secrets);
  const envFile = writeEnvFile({
    APP_ENV: "development",
    PUBLIC_URL: settings.publicUrl,
    // The Neon driver sends this to the bridge, which runs the queries on that server.
    DATABASE_URL: settings.databaseUrl.toString(),
    NEON_FETCH_ENDPOINT: neon.endpoint,
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
    REDIS_KEY_PREFIX: settings.redisKeyPrefix,
    BOOTSTRAP_ADMIN_KEY: secrets.BOOTSTRAP_ADMIN_KEY as string,
    ENCRYPTION_KEYS: secrets.ENCRYPTION_KEYS as string,
    ...passedOn(process.env),
  });
  running.envDir = envFile.dir;

  const args = ["dev", "--port", String(settings.port), "--ip", "127.0.0.1", "--env-file", envFile.file];
  const wrangler = spawn(process.execPath, [WRANGLER, ...args, "--show-interactive-dev-session=false"], {
    cwd: ROOT,
    // A group of its own, so stopping reaches workerd too, whatever wrangler does with a signal.
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    // No usage metrics, and no fetch of Cloudflare's request metadata (a placeholder is used offline anyway).
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  running.wrangler = wrangler;
  wrangler.once("exit", (code, signal) => {
    if (stopping) return;
    console.error(`wrangler dev ended on its own (exit code ${code}, signal ${signal}).`);
    void stopAll(1);
  });

  const local = `http://127.0.0.1:${settings.port}`;
  if (!(await readyWithin(`${local}/readyz`, wrangler, READY_TIMEOUT_MS))) {
    throw new SetupError(`the Worker did not answer ${local}/readyz within ${READY_TIMEOUT_MS / 1000} s; see above`);
  }
  console.log(
    [
      "",
      `dev:edge ready at ${settings.publicUrl} (the Worker in workerd, listening on ${local})`,
      `  Postgres ${shown(settings.databaseUrl)} through the Neon-HTTP bridge at ${neon.endpoint}`,
      `  Redis    ${shown(settings.redisUrl)} (keys under "${settings.redisKeyPrefix}") through the Upstash-REST bridge at ${upstash.url}`,
      secretsFile
        ? `  The bootstrap admin key is BOOTSTRAP_ADMIN_KEY in ${secretsFile}.`
        : "  The bootstrap admin key is BOOTSTRAP_ADMIN_KEY from the environment.",
      `  Try: curl ${settings.publicUrl}/ -H 'Accept: application/json'`,
      "  Ctrl-C stops the Worker and both bridges.",
      "",
    ].join("\n"),
  );
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stopAll(0));
// Last resort when this process ends another way: never leave wrangler and workerd behind.
process.on("exit", () => signalWrangler("SIGKILL"));

main().catch((error: unknown) => {
  if (stopping) return;
  console.error(error instanceof SetupError ? `dev:edge: ${error.message}` : error);
  void stopAll(1);
});
