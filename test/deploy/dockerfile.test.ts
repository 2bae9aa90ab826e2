/**
 * A lint of k8s-fallback/Dockerfile and of the build context's .dockerignore:
 * how the file is written, which a build cannot tell (pinned bases, no
 * secrets, what the context sends). What the image holds and does is checked
 * on the image itself, built and run by container-image.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import {
  copiesOf,
  DOCKERFILE,
  dockerignore,
  envOf,
  instructionsOf,
  parseDockerfile,
  type Stage,
} from "./dockerfile.js";
import { ROOT } from "./k8s.js";

const { dockerfile, stages } = parseDockerfile();
const final = stages.at(-1) as Stage;
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
