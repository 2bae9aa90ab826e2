/**
 * Containers of the mounted image (image.ts) for container-image.test.ts: a
 * command run to its end, a server from start to SIGTERM, and what each run
 * needs of this machine (a fresh database, a Redis prefix, a free port).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { expect } from "vitest";
import { GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { captureOutput } from "../support/log-capture.js";
import { freePort } from "../support/ports.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { REDIS_URL } from "../support/services.js";
import { containerArgv, type ImageConfig } from "./image.js";

/** The image's root filesystem (mounted) and its configuration. */
export interface MountedImage {
  rootfs: string;
  config: ImageConfig;
}

/** A container of the image: its entrypoint (or another argv) chrooted into the mounted image, with this env only. */
export function runInImage(image: MountedImage, env: Record<string, string>, args?: string[], entrypoint?: string[]) {
  const [command = "", ...rest] = containerArgv(image.rootfs, image.config, args, entrypoint);
  const result = spawnSync(command, rest, { env, encoding: "utf8", timeout: 30_000 });
  captureOutput("node", `${result.stdout ?? ""}${result.stderr ?? ""}`);
  return result;
}

/** One server container, from start to SIGTERM. */
export class Server {
  child?: ChildProcess;
  output = "";
  exited?: Promise<number | null>;
  constructor(
    readonly image: MountedImage,
    readonly env: Record<string, string>,
  ) {}

  async start(args: string[] | undefined): Promise<Response | undefined> {
    const [command = "", ...rest] = containerArgv(this.image.rootfs, this.image.config, args);
    const child = spawn(command, rest, { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString("utf8")));
    this.exited = new Promise((resolve) => child.once("close", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const response = await this.fetch("/readyz").catch(() => undefined);
      if (response?.status === 200) return response;
      await response?.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return undefined;
  }

  fetch(path: string, init?: RequestInit) {
    return fetch(`http://127.0.0.1:${this.env.PORT}${path}`, { signal: AbortSignal.timeout(10_000), ...init });
  }

  /** The image's or compose's healthcheck (`["CMD", ...argv]`), run in a container of the image. */
  healthcheck(test: string[] | undefined) {
    expect(test?.[0]).toBe("CMD");
    return runInImage(this.image, this.env, test?.slice(1), []).status;
  }

  async stop(): Promise<number | null | string> {
    this.child?.kill("SIGTERM");
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve("no exit in 15 s"), 15_000));
    return Promise.race([this.exited ?? "not started", timeout]);
  }

  async kill() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
    captureOutput("node", this.output);
  }

  listening() {
    return this.output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.event === "listening");
  }
}

/** A fresh database and Redis prefix of this file's, and the overrides that put a container on this machine. */
export async function machine() {
  const database = await createTestDatabase({ empty: true });
  const prefix = testPrefix();
  const port = await freePort();
  const overrides = {
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    // Loopback and a free port: the container shares this machine's network.
    HOST: "127.0.0.1",
    PORT: String(port),
  };
  return { database, prefix, overrides, cleanup: () => Promise.all([database.drop(), deletePrefix(prefix)]) };
}

export async function tenantSlugs(database: TestDatabase): Promise<string[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<{ slug: string }>("SELECT slug FROM tenants")).rows.map((row) => row.slug);
  } finally {
    await client.end();
  }
}

/** Sign-up then login on the migrated `default` tenant, and /v1/me with the token. */
export async function signUpAndLogIn(server: Server) {
  const email = `image-${randomBytes(4).toString("hex")}@example.com`;
  const post = (path: string, body: unknown) =>
    server.fetch(path, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  const signup = await post("/t/default/v1/signup", { email, password: GOOD_PASSWORD });
  expect(signup.status, await signup.clone().text()).toBe(201);
  await signup.body?.cancel();
  const login = await post("/t/default/v1/login", { email, password: GOOD_PASSWORD });
  expect(login.status).toBe(200);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const me = await server.fetch("/t/default/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status).toBe(200);
  expect(((await me.json()) as { email: string }).email).toBe(email);
}
