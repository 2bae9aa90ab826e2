/**
 * compose.yaml: valid against the Compose Specification's JSON schema
 * (vendored in test/deploy/vendor/, see its README), and the promises the
 * file's comments make. Its services' commands run in the real image in
 * container-image.test.ts.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, parseMigrationConfig } from "../../src/config.js";
import { type ComposeFile, interpolate, loadCompose, readCompose } from "./compose.js";
import { envOf, execForm, instructionsOf, parseDockerfile, type Stage } from "./dockerfile.js";
import { ROOT } from "./k8s.js";

const VENDOR = join(ROOT, "test", "deploy", "vendor");
const schemaText = readFileSync(join(VENDOR, "compose-spec.json"), "utf8");
const schema = JSON.parse(schemaText) as { $schema: string };
/** The schema names draft-07 by its https URL; Ajv registers the meta-schema under the http one. */
const draft07 = createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-07.json") as object;
// Union types and untyped object keywords are the schema's own style, not mistakes of ours.
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
ajv.addMetaSchema({ ...draft07, $id: schema.$schema });
const validateCompose = ajv.compile(schema);
const errorsOf = (document: unknown) =>
  validateCompose(document) ? [] : (validateCompose.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

const runtime = parseDockerfile().stages.at(-1) as Stage;
const compose = loadCompose();
const { services } = compose;
const NOT_FOR_PRODUCTION = "local-only-not-for-production";

describe("compose.yaml against the Compose Specification schema", () => {
  it("uses the schema as published (draft-07), byte for byte what vendor/README.md says", () => {
    const recorded = /sha256: `([0-9a-f]{64})`/.exec(readFileSync(join(VENDOR, "README.md"), "utf8"))?.[1];
    expect(createHash("sha256").update(schemaText).digest("hex")).toBe(recorded);
    expect(schema.$schema).toBe("https://json-schema.org/draft-07/schema");
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it("is valid, as written and with every default interpolated", () => {
    expect(errorsOf(readCompose())).toEqual([]);
    expect(errorsOf(compose)).toEqual([]);
  });

  it("would catch a mistake: an unknown field, a misspelt condition", () => {
    const broken = structuredClone(compose) as ComposeFile;
    (broken.services.app as Record<string, unknown>).helthcheck = { test: ["CMD", "true"] };
    expect(errorsOf(broken)).toContain("/services/app must NOT have additional properties");
    const condition = structuredClone(compose) as ComposeFile;
    (condition.services.app?.depends_on as Record<string, { condition: string }>).migrate = {
      condition: "service_completed",
    };
    expect(errorsOf(condition).join("\n")).toContain("must be equal to one of the allowed values");
  });
});

describe("compose.yaml's services", () => {
  it("are Postgres, Redis, a one-shot migrate and the app", () => {
    expect(Object.keys(services).sort()).toEqual(["app", "migrate", "postgres", "redis"]);
  });

  it("build the app and the migration from k8s-fallback/Dockerfile, with the repository root as context", () => {
    for (const name of ["app", "migrate"]) {
      expect(services[name]?.build, name).toEqual({ context: ".", dockerfile: "k8s-fallback/Dockerfile" });
    }
    expect(services.migrate?.image).toBe(services.app?.image);
  });

  it("pin Postgres and Redis to a release line, never latest", () => {
    for (const name of ["postgres", "redis"]) {
      expect(services[name]?.image, name).toMatch(/^[a-z]+:\d+(\.\d+)*-bookworm$/);
    }
  });

  it("migrate first: the app waits for migrate to succeed, migrate for a healthy Postgres", () => {
    expect(services.migrate?.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(services.app?.depends_on).toEqual({
      migrate: { condition: "service_completed_successfully" },
      postgres: { condition: "service_healthy" },
      redis: { condition: "service_healthy" },
    });
    expect(services.migrate?.restart).toBe("no");
  });

  it("run the image's migration entry and its CMD", () => {
    const cmd = execForm(instructionsOf(runtime, "CMD")[0] as never);
    expect(services.app?.command).toEqual(cmd);
    expect(services.migrate?.command).toEqual(["dist/node/migrate.js"]);
    // Both are outputs of `npm run build:node` (src/entry/<name>.ts -> dist/node/<name>.js).
    const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    for (const command of [services.app?.command, services.migrate?.command]) {
      const entry = (command?.[0] ?? "").replace(/^dist\/node\/(.+)\.js$/, "src/entry/$1.ts");
      expect(scripts["build:node"]).toContain(entry);
    }
  });

  it("have healthchecks (the one-shot migrate excepted); the app's is exec form, node asking /readyz", () => {
    for (const name of ["postgres", "redis", "app"]) {
      expect(services[name]?.healthcheck?.test[0], name).toBe("CMD");
    }
    expect(services.migrate?.healthcheck).toBeUndefined();
    const test = services.app?.healthcheck?.test ?? [];
    expect(test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(test[3]).toContain("/readyz");
  });

  it("run the image read-only with a tmpfs on /tmp, publishing the image's port", () => {
    for (const name of ["app", "migrate"]) {
      expect(services[name]?.read_only, name).toBe(true);
      expect(services[name]?.tmpfs, name).toEqual(["/tmp"]);
    }
    expect(services.app?.ports).toEqual([`${envOf(runtime).PORT}:${envOf(runtime).PORT}`]);
  });
});

describe("compose.yaml's environment", () => {
  const appEnv = (env: ComposeFile) => ({ ...envOf(runtime), ...env.services.app?.environment });

  it("is all a production server needs (the image's APP_ENV=production)", () => {
    const config = parseConfig(appEnv(compose), "node");
    expect(config.APP_ENV).toBe("production");
    expect(config.MIGRATE_ON_START).toBe(false);
    expect(new URL(config.DATABASE_URL ?? "").host).toBe("postgres:5432");
    expect(new URL(config.REDIS_URL ?? "").host).toBe("redis:6379");
    const migration = parseMigrationConfig({ ...envOf(runtime), ...services.migrate?.environment });
    expect(migration.DATABASE_URL).toBe(config.DATABASE_URL);
  });

  it("connects with the password Postgres is given", () => {
    const password = services.postgres?.environment?.POSTGRES_PASSWORD;
    expect(decodeURIComponent(new URL(services.app?.environment?.DATABASE_URL ?? "").password)).toBe(password);
  });

  it("has defaults for every secret, each saying it is not for production", () => {
    const env = services.app?.environment ?? {};
    expect(env.BOOTSTRAP_ADMIN_KEY).toContain(NOT_FOR_PRODUCTION);
    const key = (env.ENCRYPTION_KEYS ?? "").split(":")[1] ?? "";
    expect(Buffer.from(key, "base64url").toString("utf8")).toContain(NOT_FOR_PRODUCTION);
    expect(services.postgres?.environment?.POSTGRES_PASSWORD).toContain(NOT_FOR_PRODUCTION);
  });

  it("takes the operator's own secrets from the shell or .env instead", () => {
    const own = {
      POSTGRES_PASSWORD: "own-password",
      BOOTSTRAP_ADMIN_KEY: "a".repeat(40),
      ENCRYPTION_KEYS: `k2:${Buffer.alloc(32, 7).toString("base64url")}`,
      PUBLIC_URL: "https://auth.example.com",
    };
    const configured = loadCompose(own);
    const env = configured.services.app?.environment ?? {};
    expect(JSON.stringify(configured)).not.toContain(NOT_FOR_PRODUCTION);
    expect(env.BOOTSTRAP_ADMIN_KEY).toBe(own.BOOTSTRAP_ADMIN_KEY);
    expect(env.DATABASE_URL).toBe("postgres://authority:own-password@postgres:5432/authority");
    expect(parseConfig(appEnv(configured), "node").ENCRYPTION_KEYS[0]?.id).toBe("k2");
  });

  it("refuses a secret too weak for production, as the server would", () => {
    const weak = loadCompose({ BOOTSTRAP_ADMIN_KEY: "short" });
    expect(() => parseConfig(appEnv(weak), "node")).toThrow(ConfigError);
  });
});

describe("the interpolation the replay uses", () => {
  it("reads the braced forms (with :- and - defaults) and $$ as Compose does", () => {
    const env = { SET: "x", EMPTY: "" };
    expect(interpolate(`\${SET} \${UNSET}`, env)).toBe("x ");
    expect(interpolate(`\${EMPTY:-d} \${UNSET:-d} \${SET:-d}`, env)).toBe("d d x");
    expect(interpolate(`\${EMPTY-d} \${UNSET-d}`, env)).toBe(" d");
    expect(interpolate("$$HOME", env)).toBe("$HOME");
    expect(() => interpolate("$HOME", env)).toThrow(/unsupported/);
  });
});
