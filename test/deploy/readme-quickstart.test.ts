/**
 * The README's quickstart, followed literally by a newcomer: the repository's
 * committed HEAD cloned into a temp folder (`<tmp>/authority`, so the
 * consumer app's `../my-api` lands in `<tmp>/my-api`), then every ```sh block
 * of the clone's README "Quickstart" run in order in one bash session (the
 * commands come from the Markdown, none is copied here). Two things a
 * literal run adapts, generically: the service the README says to leave
 * running is started with `&`, and after a command that leaves a process
 * running the session waits until the localhost origins the next command
 * calls answer. Each command's output is checked against what the README
 * shows after it; the last steps run the SDK installed from the clone's
 * ./sdk in the consumer app and verify the token with jose from the JWKS.
 * The README uses localhost:8787 and :3000 literally: both must be free
 * (no other test listens on them: the suites use ephemeral ports).
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureOutput } from "../support/log-capture.js";
import {
  backgrounds,
  expectLikeShown,
  expectPortsFree,
  localOrigins,
  parseInspected,
  type QuickstartCommand,
  quickstartOf,
  startsService,
  stepOf,
  waitForOrigin,
} from "./quickstart.js";
import { type Ran, ShellSession } from "./shell-session.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** `npm install` in a clone: minutes on a machine whose npm cache is empty. */
const INSTALL_MS = 540_000;
const STEP_MS = 120_000;

let tmp: string;
let clone: string;
let session: ShellSession;
let commands: QuickstartCommand[];
const ran = new Map<QuickstartCommand, Ran>();
/** The service's terminal: what `npm start` printed. */
let service: Ran;
let signedUp: { user: { id: string; tenant_id: string; email: string }; access_token: string };

/** A user's environment: no variable of this test run (DATABASE_URL, npm's, ...), no node_modules/.bin on PATH. */
function newcomerEnv(): Record<string, string> {
  const passed = ["HOME", "USER", "LANG", "LC_ALL", "TERM", "TMPDIR", "SHELL", "NODE_EXTRA_CA_CERTS"];
  const proxies = ["http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"];
  const env: Record<string, string> = {};
  for (const name of [...passed, ...proxies]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !/node_modules[\\/]\.bin$|node-gyp-bin$/.test(dir))
    .join(delimiter);
  // The machine's npm cache first (the commands stay as written; this only spares the network).
  env.npm_config_prefer_offline = "true";
  return env;
}

/**
 * Runs a command of the README in the session: the service it says to leave
 * running with `&`; after a command that leaves a process running, waits for
 * the origins the next command calls.
 */
async function follow(command: QuickstartCommand, timeoutMs = STEP_MS): Promise<Ran> {
  const result = await session.run(command.command, { background: startsService(command.command) });
  ran.set(command, result);
  const pid = result.backgroundPid;
  if (pid !== undefined) {
    const next = commands[commands.indexOf(command) + 1];
    const alive = () => ShellSession.running(pid);
    for (const origin of localOrigins(next?.command ?? "")) {
      await waitForOrigin(origin, alive, timeoutMs).catch((error: Error) => {
        throw new Error(`${error.message}\n--- output of "${command.command}":\n${result.stdout()}${result.stderr()}`);
      });
    }
  }
  return result;
}

const jsonOf = (text: string) => JSON.parse(text) as Record<string, unknown>;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "readme-quickstart-"));
  clone = join(tmp, "authority");
  execFileSync("git", ["clone", "--quiet", ROOT, clone]);
  commands = quickstartOf(readFileSync(join(clone, "README.md"), "utf8"));
  const ports = commands.flatMap((c) => localOrigins(c.command)).map((origin) => Number(new URL(origin).port));
  await expectPortsFree([...new Set(ports)]);
  session = new ShellSession(clone, newcomerEnv(), join(tmp, "terminal"));
});

// The service drains for a few seconds on SIGTERM; the clone's node_modules takes a while to remove.
afterAll(async () => {
  await session?.close();
  if (service) captureOutput("node", service.stdout());
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 120_000);

describe("the README quickstart, followed literally in a fresh clone", () => {
  it("is the committed HEAD, with a quickstart of numbered steps and sh commands", () => {
    const head = (dir: string) => execFileSync("git", ["-C", dir, "rev-parse", "HEAD"], { encoding: "utf8" });
    expect(head(clone)).toBe(head(ROOT));
    expect([...new Set(commands.map((c) => c.step.split(".")[0]))]).toEqual(["1", "2", "3", "4", "5"]);
    expect(commands.filter((c) => startsService(c.command))).toHaveLength(1);
  });

  it(
    "1. installs and starts the service on PGlite and an in-process store, with the default tenant",
    async () => {
      const [start] = stepOf(commands, 1);
      service = await follow(start as QuickstartCommand, INSTALL_MS);
      const ready = await fetch("http://localhost:8787/readyz");
      expect(await ready.json()).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
      const output = service.stdout();
      expect(output).toContain('First start: tenant "default" created (issuer http://localhost:8787/t/default)');
      expect(output).toMatch(/"event":"listening".*"database":"pglite","store":"memory"/);
      expect(existsSync(join(clone, "data/pglite"))).toBe(true);
      expect(existsSync(join(clone, "data/dev-secrets.json"))).toBe(true);
    },
    INSTALL_MS + 30_000,
  );

  it("2. signs up: the answer the README shows, and the verification mail in the server's log", async () => {
    const [signup] = stepOf(commands, 2) as [QuickstartCommand];
    const result = await follow(signup);
    expect(signup.shown?.lang).toBe("json");
    signedUp = jsonOf(result.stdout()) as typeof signedUp;
    expectLikeShown(signedUp, jsonOf(signup.shown?.text ?? ""));
    expect(signedUp.access_token.split(".")).toHaveLength(3);
    // Both logged once the response is out: the request line, and the mail (the outbox) "link included".
    await expect
      .poll(() => service.stdout(), { timeout: 10_000 })
      .toMatch(/"route":"\/t\/:tenant\/v1\/signup","status":201/);
    await expect
      .poll(() => service.stdout(), { timeout: 10_000 })
      .toMatch(/"event":"mail_logged".*"to":"ada@example\.com".*token=/);
  });

  it("3. logs in into $TOKEN and /v1/me answers the user the README shows", async () => {
    const [login, me] = stepOf(commands, 3) as [QuickstartCommand, QuickstartCommand];
    expect((await follow(login)).stdout()).toBe("");
    const token = await session.variable("TOKEN");
    expect(token.split(".")).toHaveLength(3);
    const result = await follow(me);
    const user = jsonOf(result.stdout());
    expectLikeShown(user, jsonOf(me.shown?.text ?? ""));
    expect(user).toEqual(signedUp.user);
  });

  it("4. installs the SDK from ./sdk into ../my-api, whose route answers the user's id with the token, 401 without", async () => {
    const [install, write, serve, call] = stepOf(commands, 4) as QuickstartCommand[];
    await follow(install as QuickstartCommand);
    const app = join(tmp, "my-api");
    const sdk = join(app, "node_modules/@authority/sdk");
    expect(lstatSync(sdk).isSymbolicLink()).toBe(true);
    expect(realpathSync(sdk)).toBe(realpathSync(join(clone, "sdk")));
    expect(existsSync(join(clone, "sdk/dist/middleware/hono.js"))).toBe(true);

    await follow(write as QuickstartCommand);
    expect(existsSync(join(app, "server.mjs"))).toBe(true);
    expect(backgrounds((serve as QuickstartCommand).command)).toBe(true);
    const api = await follow(serve as QuickstartCommand);
    expect(api.stdout()).toContain("API on http://localhost:3000");

    const hello = jsonOf((await follow(call as QuickstartCommand)).stdout());
    expectLikeShown(hello, jsonOf(call?.shown?.text ?? ""));
    expect(hello.hello).toBe(signedUp.user.id);

    const refused = await fetch("http://localhost:3000/api/hello");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ type: "urn:authority:problem:unauthorized", code: "unauthorized" });
  });

  it("5. verifies the token with jose from the JWKS: the payload the README shows, this user's", async () => {
    const [write, verify] = stepOf(commands, 5) as [QuickstartCommand, QuickstartCommand];
    await follow(write);
    const payload = parseInspected((await follow(verify)).stdout());
    const shown = parseInspected(verify.shown?.text ?? "");
    expect(Object.keys(payload).sort()).toEqual(Object.keys(shown).sort());
    for (const claim of ["iss", "aud", "client_id", "scope", "amr", "acr"]) {
      expect(payload[claim], claim).toEqual(shown[claim]);
    }
    expect(payload.iss).toBe("http://localhost:8787/t/default");
    expect(payload.sub).toBe(signedUp.user.id);
    expect(payload.tid).toBe(signedUp.user.tenant_id);

    // "A forged or expired token throws": the same script, the token's signature altered.
    const token = await session.variable("TOKEN");
    const signature = token.lastIndexOf(".") + 1;
    const forged = `${token.slice(0, signature)}${token[signature] === "A" ? "B" : "A"}${token.slice(signature + 1)}`;
    const refused = await run(process.execPath, ["verify.mjs", forged], { cwd: join(tmp, "my-api") }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((refused as { stderr: string }).stderr).toContain("JWSSignatureVerificationFailed");
  });

  it("ran every command of the quickstart", () => {
    expect(commands.filter((c) => !ran.has(c)).map((c) => c.command)).toEqual([]);
  });
});
