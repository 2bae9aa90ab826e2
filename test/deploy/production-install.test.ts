/**
 * The container image without Docker: k8s-fallback/Dockerfile's stages are
 * replayed into a temporary folder, step by step as the Dockerfile lists them
 * (its COPY instructions, through the .dockerignore, and its npm commands), and
 * what the runtime stage holds is then run the way Kubernetes runs it: as the
 * image's UID (when this test runs as root), with the image's ENV and the
 * rendered production ConfigMap, the migration Job's command against a fresh
 * Postgres database, then the Deployment's command against it and Redis, until
 * /readyz answers 200, the image's HEALTHCHECK passes and the CronJobs' commands
 * succeed.
 *
 * Two steps are not replayed: the build stage's `npm ci` (the build uses this
 * repository's own node_modules, linked in) and the runtime stage's removal of
 * npm from the base image.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { ICronJob, IJob } from "kubernetes-models/batch/v1";
import type { IConfigMap } from "kubernetes-models/v1";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureOutput } from "../support/log-capture.js";
import { freePort } from "../support/ports.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { REDIS_URL } from "../support/services.js";
import {
  copiesOf,
  dockerignore,
  envOf,
  execForm,
  instructionsOf,
  parseDockerfile,
  type Stage,
  workdirOf,
} from "./dockerfile.js";
import { all, loadRendered, one, ROOT } from "./k8s.js";

const NPM_CI_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 30_000;

const { stages } = parseDockerfile();
const runtime = stages.at(-1) as Stage;
const ignored = dockerignore();
const manifests = loadRendered("production");
const configMap = one<IConfigMap>(manifests, "ConfigMap");
const deployment = one<IDeployment>(manifests, "Deployment", "authority");
const migrationJob = one<IJob>(manifests, "Job", "authority-migrate");
const cronJobs = all<ICronJob>(manifests, "CronJob");

/** The image's user, when this process may become it (root); otherwise the tests run as whoever runs them. */
const [imageUid, imageGid] = (instructionsOf(runtime, "USER")[0]?.getArgumentsContent() ?? "").split(":").map(Number);
const asImageUser = process.getuid?.() === 0 && imageUid !== undefined;
const identity = asImageUser ? { uid: imageUid as number, gid: (imageGid ?? imageUid) as number } : {};
if (!asImageUser) console.warn("not running as root: the image's processes run as the current user, not UID 10001");

const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let base: string;
/** Each stage's WORKDIR, as a folder of its own. */
const stageDirs = new Map<Stage, string>();
const dirOf = (stage: Stage) => stageDirs.get(stage) as string;
const appDir = () => dirOf(runtime);

/** `cp` from the build context honouring .dockerignore (Docker never sends an ignored file). */
function copyFromContext(source: string, destination: string) {
  cpSync(join(ROOT, source), destination, {
    recursive: true,
    filter: (path) => {
      const rel = relative(ROOT, path);
      return rel === "" || !ignored(rel);
    },
  });
}

/** One COPY of a stage, into that stage's folder: Docker's rules for files, folders and `dir/` destinations. */
function replayCopy(stage: Stage, copy: ReturnType<typeof copiesOf>[number]) {
  const workdir = workdirOf(stage);
  const target = join(dirOf(stage), copy.destination);
  for (const source of copy.sources) {
    let from: string;
    if (copy.from === null) {
      expect(ignored(source), `${source} is in the build context`).toBe(false);
      from = join(ROOT, source);
    } else {
      const origin = stages.find((s) => s.name === copy.from);
      if (!origin) throw new Error(`COPY --from=${copy.from}: no such stage`);
      const originWorkdir = workdirOf(origin);
      if (!source.startsWith(`${originWorkdir}/`)) throw new Error(`${source} is outside ${originWorkdir}`);
      from = join(dirOf(origin), source.slice(originWorkdir.length + 1));
    }
    const isDirectory = statSync(from).isDirectory();
    const into = copy.destination.endsWith("/") && !isDirectory ? join(target, source.split("/").at(-1) ?? "") : target;
    mkdirSync(dirname(into), { recursive: true });
    if (copy.from === null) copyFromContext(source, into);
    else cpSync(from, into, { recursive: true, verbatimSymlinks: true });
  }
  expect(workdir.startsWith("/"), "WORKDIR is absolute").toBe(true);
}

function run(command: string, args: string[], options: { cwd: string; env: Record<string, string>; timeout: number }) {
  const result = spawnSync(command, args, { ...options, encoding: "utf8", maxBuffer: 32 * 1024 * 1024 });
  if (result.error || result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** Replays one RUN the replay knows; any other fails the test, so a new step in the Dockerfile is noticed here. */
function replayRun(stage: Stage, command: string) {
  const cwd = dirOf(stage);
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...envOf(stage) };
  if (stage.name === "build" && /^npm ci\b/.test(command)) {
    // The dev install is this repository's own.
    symlinkSync(join(ROOT, "node_modules"), join(cwd, "node_modules"), "dir");
  } else if (stage.name === "build" && command === "npm run build:node") {
    run("npm", ["run", "--silent", "build:node"], { cwd, env, timeout: 60_000 });
  } else if (/^npm ci --omit=dev\b/.test(command)) {
    const args = command.split(/\s+/).slice(1);
    run("npm", [...args, "--prefer-offline"], { cwd, env, timeout: NPM_CI_TIMEOUT_MS });
  } else if (stage === runtime && /^rm -rf (\/usr\/local\/\S+\s*)+$/.test(command)) {
    // The base image's npm and corepack: nothing of ours.
  } else {
    throw new Error(`the replay does not know this step of stage ${stage.name}: RUN ${command}`);
  }
}

/** The environment a container of the image gets: the image's ENV, the ConfigMap, the secrets, and overrides. */
let database: TestDatabase;
let prefix: string;
const secrets = {
  BOOTSTRAP_ADMIN_KEY: `image-admin-${randomBytes(24).toString("hex")}`,
  ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
  METRICS_TOKEN: randomBytes(20).toString("hex"),
};
let port: number;
function containerEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    ...envOf(runtime),
    ...configMap.data,
    DATABASE_URL: database.url,
    REDIS_URL,
    ...secrets,
    // This machine, not the cluster: loopback, a free port, this run's key prefix,
    // no collector to export to, and no load balancer to wait for on SIGTERM.
    HOST: "127.0.0.1",
    PORT: String(port),
    REDIS_KEY_PREFIX: prefix,
    SHUTDOWN_DRAIN_DELAY: "0",
  };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return env;
}

/** The argv a container runs: the image's ENTRYPOINT, then the pod's args (or the image's CMD). */
function argvOf(args: string[] | undefined): string[] {
  const entrypoint = execForm(instructionsOf(runtime, "ENTRYPOINT")[0] as never) ?? [];
  const cmd = execForm(instructionsOf(runtime, "CMD")[0] as never) ?? [];
  const argv = [...entrypoint, ...(args ?? cmd)];
  // The image's `node` is this test's Node.
  return argv[0] === "node" ? [process.execPath, ...argv.slice(1)] : argv;
}

/** Runs a container's command to its end, as the image's user. */
function runContainer(args: string[] | undefined, timeout = 30_000) {
  const [command = "", ...rest] = argvOf(args);
  const result = spawnSync(command, rest, {
    cwd: appDir(),
    env: containerEnv(),
    encoding: "utf8",
    timeout,
    ...identity,
  });
  captureOutput("node", `${result.stdout ?? ""}${result.stderr ?? ""}`);
  return result;
}

let server: ChildProcess | undefined;
let serverOutput = "";
let serverExit: Promise<number | null> | undefined;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "authority-image-"));
  chmodSync(base, 0o755); // the image's user must reach /app
  for (const stage of stages) {
    const dir = join(base, stage.name ?? `stage${stages.indexOf(stage)}`, ...workdirOf(stage).split("/"));
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    stageDirs.set(stage, dir);
    // In order: each COPY (copiesOf lists them as they come) and each RUN.
    const copies = copiesOf(stage);
    let nextCopy = 0;
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      if (keyword === "COPY") {
        replayCopy(stage, copies[nextCopy++] as (typeof copies)[number]);
      } else if (keyword === "RUN") {
        replayRun(stage, instruction.getArgumentsContent() ?? "");
      }
    }
  }
  for (let dir = appDir(); dir !== base && dir.startsWith(base); dir = dirname(dir)) chmodSync(dir, 0o755);
  database = await createTestDatabase({ empty: true });
  prefix = testPrefix();
  port = await freePort();
}, NPM_CI_TIMEOUT_MS + 60_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  await serverExit;
  captureOutput("node", serverOutput);
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
  if (base) rmSync(base, { recursive: true, force: true });
}, 30_000);

describe("the image's contents (the runtime stage, replayed)", () => {
  it("are the built server, package.json, the migrations and the production node_modules only", () => {
    expect(readdirSync(appDir()).sort()).toEqual(["dist", "migrations", "node_modules", "package.json"]);
    expect(readdirSync(join(appDir(), "dist"))).toEqual(["node"]);
    for (const entry of ["node.js", "migrate.js", "cli.js"]) {
      expect(existsSync(join(appDir(), "dist", "node", entry)), entry).toBe(true);
    }
    expect(readdirSync(join(appDir(), "migrations")).some((name) => name.endsWith(".sql"))).toBe(true);
    expect(JSON.parse(readFileSync(join(appDir(), "package.json"), "utf8")).type).toBe("module");
  });

  it("have every dependency and no devDependency installed", () => {
    const modules = join(appDir(), "node_modules");
    for (const name of Object.keys(packageJson.dependencies)) {
      expect(existsSync(join(modules, name, "package.json")), name).toBe(true);
    }
    for (const name of [
      "vitest",
      "wrangler",
      "typescript",
      "esbuild",
      "miniflare",
      "@biomejs/biome",
      "@authority/sdk",
    ]) {
      expect(existsSync(join(modules, name)), `${name} is a devDependency`).toBe(false);
    }
    // Every package npm installed is one the root lockfile needs in production.
    const rootLock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const installed = JSON.parse(readFileSync(join(modules, ".package-lock.json"), "utf8")) as {
      packages: Record<string, unknown>;
    };
    // (Entries outside node_modules/ are local folders, such as the sdk/ whose package.json the stage copies.)
    const devOnly = Object.keys(installed.packages).filter(
      (path) =>
        path.startsWith("node_modules/") && (rootLock.packages[path] === undefined || rootLock.packages[path]?.dev),
    );
    expect(devOnly).toEqual([]);
    expect(Object.keys(installed.packages).length).toBeGreaterThan(Object.keys(packageJson.dependencies).length);
  });

  it.runIf(asImageUser)("are read-only for the image's user (as with readOnlyRootFilesystem)", () => {
    const result = spawnSync(process.execPath, ["-e", "require('node:fs').writeFileSync('probe', 'x')"], {
      cwd: appDir(),
      encoding: "utf8",
      ...identity,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("EACCES");
  });
});

describe("run as on Kubernetes (production ConfigMap, UID of the image)", () => {
  it("the migration Job's command migrates a fresh database and seeds the default tenant", async () => {
    const result = runContainer(migrationJob.spec?.template.spec?.containers[0]?.args);
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain("migrate_done");
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const tenants = await client.query<{ slug: string }>("SELECT slug FROM tenants");
      expect(tenants.rows.map((row) => row.slug)).toContain("default");
    } finally {
      await client.end();
    }
  }, 60_000);

  it(
    "the Deployment's command serves, with /healthz and /readyz answering 200",
    async () => {
      const [command = "", ...args] = argvOf(deployment.spec?.template.spec?.containers[0]?.args);
      const child = spawn(command, args, {
        cwd: appDir(),
        env: containerEnv(),
        stdio: ["ignore", "pipe", "pipe"],
        ...identity,
      });
      server = child;
      child.stdout?.on("data", (chunk: Buffer) => (serverOutput += chunk.toString("utf8")));
      child.stderr?.on("data", (chunk: Buffer) => (serverOutput += chunk.toString("utf8")));
      serverExit = new Promise((resolve) => child.once("close", (code) => resolve(code)));
      const deadline = Date.now() + START_TIMEOUT_MS;
      let ready: Response | undefined;
      while (Date.now() < deadline && child.exitCode === null) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3_000) });
          if (response.status === 200) {
            ready = response;
            break;
          }
          await response.body?.cancel();
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(ready?.status, `output:\n${serverOutput}`).toBe(200);
      expect(await ready?.json()).toMatchObject({ status: "ok" });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      await health.body?.cancel();
      const listening = serverOutput
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.event === "listening");
      expect(listening).toMatchObject({ database: "pg", store: "redis", env: "production" });
      expect(serverOutput).not.toContain("migrations_applied"); // MIGRATE_ON_START=false
    },
    START_TIMEOUT_MS + 10_000,
  );

  it("passes the image's HEALTHCHECK", () => {
    expect(server?.exitCode).toBeNull();
    const [command = "", ...args] = execForm(instructionsOf(runtime, "HEALTHCHECK")[0] as never) ?? [];
    const healthcheck = (env: Record<string, string>) =>
      spawnSync(command === "node" ? process.execPath : command, args, { env, timeout: 10_000, ...identity });
    expect(healthcheck({ PATH: process.env.PATH ?? "", PORT: String(port) }).status).toBe(0);
  });

  it("serves /metrics to the ServiceMonitor's bearer token only", async () => {
    const open = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(open.status).toBe(401);
    await open.body?.cancel();
    const scraped = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { Authorization: `Bearer ${secrets.METRICS_TOKEN}` },
    });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain("authority_");
  });

  it.each(cronJobs.map((cronJob) => [cronJob.metadata?.name ?? "", cronJob] as const))(
    "the CronJob %s's command succeeds",
    (_name, cronJob) => {
      const result = runContainer(cronJob.spec?.jobTemplate.spec?.template.spec?.containers[0]?.args);
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    },
    30_000,
  );

  it("stops cleanly on SIGTERM, and the HEALTHCHECK then fails", async () => {
    expect(server?.exitCode).toBeNull();
    server?.kill("SIGTERM");
    const code = await Promise.race([
      serverExit,
      new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), 15_000)),
    ]);
    expect(code, serverOutput).toBe(0);
    const [command = "", ...args] = execForm(instructionsOf(runtime, "HEALTHCHECK")[0] as never) ?? [];
    const result = spawnSync(command === "node" ? process.execPath : command, args, {
      env: { PATH: process.env.PATH ?? "", PORT: String(port) },
      timeout: 10_000,
    });
    expect(result.status).toBe(1);
  }, 30_000);
});
