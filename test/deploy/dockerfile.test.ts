/**
 * A lint of k8s-fallback/Dockerfile and of the build context's .dockerignore
 * (there is no Docker daemon here to build it; production-install.test.ts
 * replays its stages without one).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import {
  copiesOf,
  DOCKERFILE,
  dockerignore,
  envOf,
  execForm,
  instructionsOf,
  parseDockerfile,
  type Stage,
  workdirOf,
} from "./dockerfile.js";
import { ROOT } from "./k8s.js";

const { dockerfile, stages } = parseDockerfile();
const final = stages.at(-1) as Stage;
const stage = (name: string | null) => stages.find((s) => s.name === name);
const text = readFileSync(DOCKERFILE, "utf8");
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

describe("k8s-fallback/Dockerfile", () => {
  it("parses, with no instruction the parser does not know", () => {
    const known = new Set([
      "FROM",
      "WORKDIR",
      "COPY",
      "RUN",
      "ENV",
      "USER",
      "EXPOSE",
      "HEALTHCHECK",
      "ENTRYPOINT",
      "CMD",
      "LABEL",
      "ARG",
      "STOPSIGNAL",
    ]);
    expect(
      dockerfile
        .getInstructions()
        .map((i) => i.getKeyword())
        .filter((k) => !known.has(k)),
    ).toEqual([]);
  });

  it("is multi-stage: a build stage, a production-dependencies stage and a runtime stage", () => {
    expect(stages.map((s) => s.name)).toEqual(["build", "deps", "runtime"]);
  });

  it("pins every base image by an exact version tag (or a digest), never latest", () => {
    for (const s of stages) {
      expect(s.tag === null && s.digest === null, `${s.image} has a tag or a digest`).toBe(false);
      expect(s.tag, s.image).not.toBe("latest");
      // An exact Node version (major.minor.patch), not a moving `20` or `lts`.
      if (s.imageName === "node") expect(s.tag, s.image).toMatch(/^\d+\.\d+\.\d+-/);
    }
    expect(instructionsOf(final, "ARG")).toEqual([]);
    expect(dockerfile.getInitialARGs(), "no ARG decides the base image").toEqual([]);
  });

  it("uses a Node release the package's engines accept, on a slim Debian base", () => {
    const minimum = /^>=\s*(\d+)\.(\d+)/.exec(packageJson.engines.node);
    for (const s of stages) {
      const [major = 0, minor = 0] = (s.tag ?? "").split(/[.-]/).map(Number);
      expect(major).toBe(20);
      expect(minor).toBeGreaterThanOrEqual(Number(minimum?.[2]));
      expect(s.tag).toMatch(/-slim$/);
    }
  });

  it("builds with dev dependencies in the build stage and installs production dependencies only for the runtime", () => {
    const build = stage("build") as Stage;
    const runs = (s: Stage) => instructionsOf(s, "RUN").map((r) => r.getArgumentsContent() ?? "");
    expect(runs(build).some((r) => /\bnpm ci\b/.test(r) && !r.includes("--omit=dev"))).toBe(true);
    expect(runs(build)).toContain("npm run build:node");
    // node_modules of the image come from the production install, never from the build stage.
    const modules = copiesOf(final).filter((c) => c.destination.includes("node_modules"));
    expect(modules.map((c) => c.from)).toEqual(["deps"]);
    const installs = [final, stage("deps") as Stage].flatMap(runs).filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs).toHaveLength(1);
    for (const install of installs) expect(install).toMatch(/^npm ci --omit=dev\b/);
    expect(envOf(stage("deps") as Stage).NODE_ENV).toBe("production");
    expect(
      copiesOf(final)
        .filter((c) => c.from === "build")
        .map((c) => c.sources),
    ).toEqual([["/app/dist/node"]]);
  });

  it("ships the built server, the production node_modules, package.json (type: module) and the migrations", () => {
    expect(workdirOf(final)).toBe("/app");
    const shipped = copiesOf(final).map((c) => `${c.from ?? "context"}:${c.sources.join(",")} -> ${c.destination}`);
    expect(shipped.sort()).toEqual(
      [
        "build:/app/dist/node -> ./dist/node",
        "context:migrations -> ./migrations",
        "context:package.json -> ./",
        "deps:/app/node_modules -> ./node_modules",
      ].sort(),
    );
  });

  it("runs as a numeric non-root user in the final stage", () => {
    const users = instructionsOf(final, "USER").map((u) => u.getArgumentsContent()?.trim() ?? "");
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0] ?? "").split(":");
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    if (gid !== undefined) expect(Number(gid)).toBeGreaterThan(0);
    // USER comes after every RUN and COPY, so nothing after it runs as root.
    const userIndex = final.instructions.findIndex((i) => i.getKeyword() === "USER");
    expect(final.instructions.slice(userIndex).filter((i) => ["RUN", "COPY", "ADD"].includes(i.getKeyword()))).toEqual(
      [],
    );
  });

  it("starts without a shell: exec-form ENTRYPOINT and CMD running the Node server", () => {
    const entrypoints = instructionsOf(final, "ENTRYPOINT");
    const cmds = instructionsOf(final, "CMD");
    expect(entrypoints).toHaveLength(1);
    expect(cmds).toHaveLength(1);
    const argv = [...(execForm(entrypoints[0] as never) ?? ["<shell form>"]), ...(execForm(cmds[0] as never) ?? [])];
    expect(argv).toEqual(["node", "dist/node/node.js"]);
    for (const s of stages) expect(instructionsOf(s, "SHELL")).toEqual([]);
  });

  it("has an exec-form HEALTHCHECK (node itself, no shell or curl) on /healthz", () => {
    const checks = instructionsOf(final, "HEALTHCHECK");
    expect(checks).toHaveLength(1);
    const argv = execForm(checks[0] as never);
    expect(argv?.slice(0, 2)).toEqual(["node", "-e"]);
    expect(argv?.[2]).toContain("/healthz");
    expect(argv?.join(" ")).not.toMatch(/\b(curl|wget|sh|bash)\b/);
    const flags = (checks[0] as unknown as { getFlags(): { getName(): string }[] }).getFlags().map((f) => f.getName());
    expect(flags).toEqual(expect.arrayContaining(["interval", "timeout", "retries"]));
  });

  it("exposes exactly one port, the service's PORT", () => {
    const exposes = stages.flatMap((s) => instructionsOf(s, "EXPOSE"));
    expect(exposes.map((e) => e.getArgumentsContent()?.trim())).toEqual(["8787"]);
    expect(envOf(final).PORT).toBe("8787");
  });

  it("sets NODE_ENV and APP_ENV to production", () => {
    expect(envOf(final)).toMatchObject({ NODE_ENV: "production", APP_ENV: "production" });
  });

  it("holds no secret: no ARG or ENV with a secret's name, no .env copied", () => {
    const secretName = /SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|_KEY|KEYS|DATABASE_URL|REDIS_URL|AUTH/i;
    for (const s of stages) {
      const args = instructionsOf(s, "ARG").map((a) => a.getArgumentsContent() ?? "");
      expect(
        args.filter((a) => secretName.test(a)),
        `ARG in ${s.name}`,
      ).toEqual([]);
      expect(
        Object.keys(envOf(s)).filter((name) => secretName.test(name)),
        `ENV in ${s.name}`,
      ).toEqual([]);
      for (const copy of copiesOf(s)) {
        expect(copy.sources.filter((source) => /(^|\/)\.(env|dev\.vars)/.test(source))).toEqual([]);
      }
      expect(instructionsOf(s, "ADD"), "COPY, not ADD").toEqual([]);
    }
    expect(text).not.toMatch(/--mount=type=secret|BOOTSTRAP_ADMIN_KEY|ENCRYPTION_KEYS|METRICS_TOKEN/);
  });
});

describe(".dockerignore (the build context is the repository root)", () => {
  const ignored = dockerignore();

  it("leaves out dependencies, VCS data, local data, build output, tests and env files", () => {
    for (const path of [
      "node_modules/hono/package.json",
      "sdk/node_modules/jose/package.json",
      ".git/HEAD",
      "data/pglite/PG_VERSION",
      "data/dev-secrets.json",
      "dist/node/node.js",
      "sdk/dist/index.js",
      "test/unit/config.test.ts",
      "test/support/postgres.ts",
      "src/core/something.test.ts",
      ".env",
      ".env.production",
      "src/.env",
      ".dev.vars",
      ".wrangler/state/v3/d1",
      "bench/cpu.ts",
      "k8s-fallback/Dockerfile",
      "README.md",
      "wrangler.toml",
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it("keeps what the Dockerfile copies from the context", () => {
    const sources = stages.flatMap((s) =>
      copiesOf(s)
        .filter((c) => c.from === null)
        .flatMap((c) => c.sources),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(ignored(source), source).toBe(false);
    for (const path of ["src/entry/node.ts", "migrations/meta/_journal.json", "sdk/package.json", "tsconfig.json"]) {
      expect(ignored(path), path).toBe(false);
    }
  });

  it("sends only package files, src/ and migrations/ of this tree", () => {
    const sent: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        const rel = relative(ROOT, path);
        if (entry.isDirectory()) {
          if (!["node_modules", ".git"].includes(entry.name)) walk(path);
        } else if (!ignored(rel)) {
          sent.push(rel);
        }
      }
    };
    walk(ROOT);
    const allowed = /^(package\.json|package-lock\.json|tsconfig\.json|sdk\/package\.json|src\/.+|migrations\/.+)$/;
    expect(sent.filter((path) => !allowed.test(path))).toEqual([]);
    expect(sent).toContain("package-lock.json");
  });

  it("matches the way Docker reads it (last match wins, ** across directories)", () => {
    const rules = dockerignore("*\n!keep\n**/secret\n!keep/ok.md\nlogs/*.log\n");
    expect(rules("other/file")).toBe(true);
    expect(rules("keep/a/b.ts")).toBe(false);
    expect(rules("keep/a/secret")).toBe(true);
    expect(rules("keep/a/secret/x")).toBe(true);
    expect(rules("keep/ok.md")).toBe(false);
    const logs = dockerignore("logs/*.log\n");
    expect(logs("logs/a.log")).toBe(true);
    expect(logs("logs/deep/a.log")).toBe(false);
    expect(logs("a.log")).toBe(false);
  });
});
