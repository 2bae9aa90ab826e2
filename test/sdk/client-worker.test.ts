/**
 * The built client inside workerd: a tiny Worker bundled by esbuild from
 * test/sdk/fixtures/client-worker.ts (it imports `@authority/sdk/client`, the
 * built package), run by Miniflare without nodejs_compat, calling the real
 * service on a loopback port.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { email, GOOD_PASSWORD, type ServedApp, startServedApp, unwrap } from "./client-harness.js";

/** What the test Worker reports (test/sdk/fixtures/client-worker.ts). */
interface WorkerOut {
  [step: string]: unknown;
  timeout: { kind: string; ms: number };
  pkce: { vector: string; verifier: string; challenge: string };
  sent: string[];
}

let s: ServedApp;
let mf: Miniflare;
let hanging: Server;
const sockets = new Set<Socket>();
let bundle: string;

beforeAll(async () => {
  s = await startServedApp();
  unwrap(await s.admin.admin.createTenant({ slug: "wrk", name: "Worker" }));
  hanging = createServer(() => {});
  hanging.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));

  const built = await build({
    entryPoints: [fileURLToPath(new URL("./fixtures/client-worker.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    write: false,
    logLevel: "silent",
  });
  bundle = built.outputFiles[0]?.text ?? "";
  mf = new Miniflare({
    modules: true,
    script: bundle,
    compatibilityDate: "2025-09-01",
    bindings: {
      AUTH_BASE: s.baseUrl,
      HANG_BASE: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
    },
  });
  await mf.ready;
});
afterAll(async () => {
  await mf?.dispose();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => hanging?.close(resolve));
  await s?.close();
});

describe("the client inside workerd", () => {
  it("bundles without Node built-ins", () => {
    expect(bundle).not.toMatch(/from\s*["']node:/);
    expect(bundle).not.toMatch(/require\(["']node:/);
  });

  it("signs up, logs in, refreshes (single-flight), lists sessions, logs out, times out, derives PKCE", async () => {
    const address = email("edge");
    const response = await mf.dispatchFetch("http://worker.test/run", {
      method: "POST",
      body: JSON.stringify({ email: address, password: GOOD_PASSWORD }),
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const out = JSON.parse(text) as WorkerOut;
    expect(out.signup).toEqual({ ok: true, status: 201 });
    expect(out.me).toMatchObject({ email: address, name: "Edge", email_verified: false });
    expect(out.login).toEqual({ ok: true, status: 200 });
    expect(out.badLogin).toEqual({ status: 401, code: "invalid_credentials" });
    expect(out.refresh).toEqual({ ok: true, rotated: true, sameSession: true });
    expect(out.concurrent).toEqual({ allOk: true, refreshes: 1 });
    expect(out.sessions).toBe(2);
    expect(out.logout).toBe(204);
    expect(out.afterLogout).toEqual({ status: 401, code: "token_revoked" });
    expect(out.timeout.kind).toBe("timeout");
    expect(out.timeout.ms).toBeLessThan(3_000);
    expect(out.pkce.vector).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    expect(out.pkce.challenge).toBe(createHash("sha256").update(out.pkce.verifier).digest("base64url"));
    // Logins, refreshes and logout were sent once each: nothing retried a POST.
    const posts = out.sent.filter((line) => line.startsWith("POST"));
    expect(posts).toEqual([
      "POST /t/wrk/v1/signup",
      "POST /t/wrk/v1/login",
      "POST /t/wrk/v1/login",
      "POST /t/wrk/v1/token/refresh",
      "POST /t/wrk/v1/token/refresh",
      "POST /t/wrk/v1/logout",
    ]);
  });
});
