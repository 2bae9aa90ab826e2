/**
 * The container image, built and run for real (test/deploy/image.ts says
 * how, with no registry and no container runtime): k8s-fallback/Dockerfile is
 * built unchanged with podman, its contents and configuration are checked,
 * and its entrypoint runs from the mounted image as its UID, against this
 * run's Postgres and Redis, twice: with Kubernetes' commands and environment
 * (the migration Job, the Deployment, the CronJobs, the production ConfigMap
 * and the secrets) and with compose.yaml's (the migrate and app services).
 * Skipped, saying why, without podman and mmdebstrap (`.ci/run` installs them).
 */
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { ICronJob, IJob } from "kubernetes-models/batch/v1";
import type { IConfigMap } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS } from "../support/accounts.js";
import { loadCompose } from "./compose.js";
import {
  buildImage,
  ensureBaseImages,
  IMAGE,
  type ImageConfig,
  inspectImage,
  layerReport,
  missingTools,
  mountImage,
  unmountImage,
} from "./image.js";
import { type MountedImage, machine, runInImage, Server, signUpAndLogIn, tenantSlugs } from "./image-run.js";
import { all, loadRendered, one, ROOT } from "./k8s.js";

/** A cold build (stand-in base, every stage) takes about 3 min on 2 cores; a warm one about 20 s. */
const BUILD_TIMEOUT_MS = 10 * 60_000;
/** Today's size with some headroom, so growth is noticed; the goal is under 200 MB (see docs/deploy/containers.md). */
const SIZE_BUDGET_MB = 360;
const MB = 1_000_000;

const missing = missingTools();
if (missing) console.warn(`container image test skipped: ${missing}`);

const manifests = loadRendered("production");
const configMap = one<IConfigMap>(manifests, "ConfigMap");
const deployment = one<IDeployment>(manifests, "Deployment", "authority");
const migrationJob = one<IJob>(manifests, "Job", "authority-migrate");
const cronJobs = all<ICronJob>(manifests, "CronJob");
const compose = loadCompose();
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let config: ImageConfig;
let rootfs = "";
let image: MountedImage;
const started = Date.now();

describe.skipIf(missing !== null)("k8s-fallback/Dockerfile, built with podman", () => {
  beforeAll(() => {
    const bases = ensureBaseImages();
    const build = buildImage();
    config = inspectImage();
    rootfs = mountImage();
    image = { config, rootfs };
    console.log(
      [
        `base images: ${bases.join("; ")}`,
        `build: ${build.seconds} s (${build.steps.join(", ")})`,
        `${IMAGE}: ${(config.size / MB).toFixed(1)} MB uncompressed (goal: under 200 MB), layers of 1 MB or more:`,
        ...layerReport(config),
      ].join("\n"),
    );
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    if (rootfs) unmountImage();
    console.log(`container image test: ${Math.round((Date.now() - started) / 1000)} s in all`);
  });

  describe("the image", () => {
    it("runs as UID and GID 10001 in /app: ENTRYPOINT node, CMD the server, production env, port 8787", () => {
      expect(config.user).toBe("10001:10001");
      expect(config.workingDir).toBe("/app");
      expect(config.entrypoint).toEqual(["node"]);
      expect(config.cmd).toEqual(["dist/node/node.js"]);
      expect(config.env).toMatchObject({ NODE_ENV: "production", APP_ENV: "production", PORT: "8787" });
      expect(config.exposedPorts).toEqual(["8787/tcp"]);
    });

    it("has a HEALTHCHECK without shell or curl: node fetching /healthz", () => {
      const test = config.healthcheck?.Test ?? [];
      expect(test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
      expect(test[3]).toContain("/healthz");
      expect(config.healthcheck?.Retries).toBeGreaterThan(0);
    });

    it(`stays within ${SIZE_BUDGET_MB} MB`, () => {
      expect(config.size / MB).toBeLessThan(SIZE_BUDGET_MB);
    });

    it("holds the built server, package.json (type: module), the migrations and node_modules in /app", () => {
      const app = join(rootfs, "app");
      expect(readdirSync(app).sort()).toEqual(["dist", "migrations", "node_modules", "package.json"]);
      expect(readdirSync(join(app, "dist"))).toEqual(["node"]);
      for (const entry of ["node.js", "migrate.js", "cli.js"]) {
        expect(existsSync(join(app, "dist", "node", entry)), entry).toBe(true);
      }
      expect(readdirSync(join(app, "migrations")).some((name) => name.endsWith(".sql"))).toBe(true);
      expect(JSON.parse(readFileSync(join(app, "package.json"), "utf8")).type).toBe("module");
    });

    it("has every dependency and no devDependency installed", () => {
      const modules = join(rootfs, "app", "node_modules");
      for (const name of Object.keys(packageJson.dependencies)) {
        expect(existsSync(join(modules, name, "package.json")), name).toBe(true);
      }
      for (const name of ["vitest", "wrangler", "typescript", "esbuild", "miniflare", "@biomejs/biome"]) {
        expect(existsSync(join(modules, name)), `${name} is a devDependency`).toBe(false);
      }
      // Every package npm installed is one the lockfile needs in production.
      const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const installed = JSON.parse(readFileSync(join(modules, ".package-lock.json"), "utf8")) as {
        packages: Record<string, unknown>;
      };
      const devOnly = Object.keys(installed.packages).filter(
        (path) => path.startsWith("node_modules/") && (lock.packages[path] === undefined || lock.packages[path]?.dev),
      );
      expect(devOnly).toEqual([]);
    });

    it("is owned by root and read-only for the service's user, everywhere in /app", () => {
      const writable: string[] = [];
      const walk = (path: string) => {
        const stat = lstatSync(path);
        if (stat.uid !== 0 || (!stat.isSymbolicLink() && (stat.mode & 0o002) !== 0)) writable.push(path);
        if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
      };
      walk(join(rootfs, "app"));
      expect(writable).toEqual([]);
    });

    it("runs this machine's Node, without npm, npx or corepack", () => {
      const version = runInImage(image, { PATH: config.env.PATH ?? "" }, ["--version"]);
      expect(version.stdout.trim()).toBe(process.version);
      for (const tool of ["npm", "npx", "corepack"]) {
        expect(existsSync(join(rootfs, "usr", "local", "bin", tool)), tool).toBe(false);
      }
      expect(existsSync(join(rootfs, "usr", "local", "lib", "node_modules", "npm"))).toBe(false);
    });
  });

  describe("run as on Kubernetes (the production ConfigMap and secrets, the manifests' commands)", () => {
    const secrets = {
      BOOTSTRAP_ADMIN_KEY: `image-admin-${randomBytes(24).toString("hex")}`,
      ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64url")}`,
      METRICS_TOKEN: randomBytes(20).toString("hex"),
    };
    let setup: Awaited<ReturnType<typeof machine>>;
    let server: Server;

    beforeAll(async () => {
      setup = await machine();
      const env: Record<string, string> = {
        ...config.env,
        ...configMap.data,
        ...secrets,
        ...setup.overrides,
        SHUTDOWN_DRAIN_DELAY: "0", // no load balancer to wait for
      };
      delete env.OTEL_EXPORTER_OTLP_ENDPOINT; // no collector here
      server = new Server(image, env);
    });
    afterAll(async () => {
      await server?.kill();
      await setup?.cleanup();
    });

    it("the migration Job's command migrates a fresh database and seeds the default tenant", async () => {
      const result = runInImage(image, server.env, migrationJob.spec?.template.spec?.containers[0]?.args);
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).toContain("migrate_done");
      expect(await tenantSlugs(setup.database)).toContain("default");
    }, 60_000);

    it("the Deployment's command serves: /readyz and /healthz 200, the HEALTHCHECK passes", async () => {
      const ready = await server.start(deployment.spec?.template.spec?.containers[0]?.args);
      expect(ready?.status, server.output).toBe(200);
      expect(await ready?.json()).toMatchObject({ status: "ok" });
      expect((await server.fetch("/healthz")).status).toBe(200);
      expect(server.listening()).toMatchObject({ database: "pg", store: "redis", env: "production" });
      expect(server.output).not.toContain("migrations_applied"); // MIGRATE_ON_START=false
      expect(server.healthcheck(config.healthcheck?.Test)).toBe(0);
    }, 45_000);

    it("signs a user up and logs them in", () => signUpAndLogIn(server));

    it("serves /metrics to the ServiceMonitor's bearer token only", async () => {
      expect((await server.fetch("/metrics")).status).toBe(401);
      const scraped = await server.fetch("/metrics", { headers: { Authorization: `Bearer ${secrets.METRICS_TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain("authority_");
    });

    it.each(cronJobs.map((cronJob) => [cronJob.metadata?.name ?? "", cronJob] as const))(
      "the CronJob %s's command succeeds",
      (_name, cronJob) => {
        const result = runInImage(
          image,
          server.env,
          cronJob.spec?.jobTemplate.spec?.template.spec?.containers[0]?.args,
        );
        expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      },
      30_000,
    );

    it("stops on SIGTERM with exit code 0, and the HEALTHCHECK then fails", async () => {
      expect(await server.stop(), server.output).toBe(0);
      expect(server.healthcheck(config.healthcheck?.Test)).toBe(1);
    }, 30_000);
  });

  describe("run as compose.yaml runs it (its environment and defaults, its commands)", () => {
    const { migrate, app } = compose.services;
    let setup: Awaited<ReturnType<typeof machine>>;
    let server: Server;

    beforeAll(async () => {
      setup = await machine();
      server = new Server(image, { ...config.env, ...app?.environment, ...setup.overrides });
    });
    afterAll(async () => {
      await server?.kill();
      await setup?.cleanup();
    });

    it("the migrate service's command migrates and exits 0", async () => {
      const env = { ...config.env, ...migrate?.environment, DATABASE_URL: setup.database.url };
      const result = runInImage(image, env, migrate?.command);
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(await tenantSlugs(setup.database)).toContain("default");
    }, 60_000);

    it("the app service's command serves, and its healthcheck (/readyz) passes", async () => {
      const ready = await server.start(app?.command);
      expect(ready?.status, server.output).toBe(200);
      expect(server.listening()).toMatchObject({ database: "pg", store: "redis", env: "production" });
      expect(server.healthcheck(app?.healthcheck?.test)).toBe(0);
    }, 45_000);

    it("signs a user up and logs them in; the default admin key creates a tenant", async () => {
      await signUpAndLogIn(server);
      const created = await server.fetch("/v1/admin/tenants", {
        method: "POST",
        headers: { ...JSON_HEADERS, Authorization: `Bearer ${app?.environment?.BOOTSTRAP_ADMIN_KEY}` },
        body: JSON.stringify({ slug: "compose", name: "compose" }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
    });

    it("stops on SIGTERM at once (no drain delay) with exit code 0", async () => {
      const start = Date.now();
      expect(await server.stop(), server.output).toBe(0);
      expect(Date.now() - start).toBeLessThan(5_000);
    }, 30_000);
  });
});
