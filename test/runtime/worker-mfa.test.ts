/**
 * TOTP inside workerd (the built Worker: neon-http, Upstash REST): an
 * authenticator is enrolled (QR rendered in the Worker), confirmed with a
 * code computed here from the returned secret, and removed.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type TokenBody } from "../support/accounts.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";

let h: WorkerHarness;
let worker: WorkerInstance;

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start();
  await client((path, init) => worker.request(path, init), h.adminKey).createTenant("edge");
}, 60_000);

afterAll(async () => {
  await h?.close();
}, 60_000);

const send = (token: string, method: string, path: string, body?: unknown) =>
  worker.request(`/t/edge/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

describe("TOTP inside workerd", () => {
  it("enrolls, confirms with a current code (recovery codes once), lists and removes an authenticator", async () => {
    const api = client((path, init) => worker.request(path, init), h.adminKey);
    const signup = await api.signup("edge", "totp@example.org");
    expect(signup.status).toBe(201);
    const { access_token: token } = (await signup.json()) as TokenBody;

    const enrolled = await send(token, "POST", "/mfa/totp");
    expect(enrolled.status, await enrolled.clone().text()).toBe(201);
    const { id, secret, otpauth_uri, qr_svg } = (await enrolled.json()) as Record<string, string>;
    expect(otpauth_uri).toContain(`secret=${secret}`);
    expect(qr_svg).toMatch(/^<svg /);

    const step = BigInt(Math.floor(Date.now() / 30_000));
    const code = generateHOTP(decodeBase32IgnorePadding(secret ?? ""), step, 6);
    const confirmed = await send(token, "POST", `/mfa/totp/${id}/confirm`, { code });
    expect(confirmed.status, await confirmed.clone().text()).toBe(200);
    expect(((await confirmed.json()) as { recovery_codes: string[] }).recovery_codes).toHaveLength(10);

    const listed = (await (await send(token, "GET", "/mfa/factors")).json()) as Record<string, unknown>;
    expect(listed).toMatchObject({ factors: [{ id, kind: "totp" }], recovery_codes_left: 10 });
    expect((await send(token, "DELETE", `/mfa/factors/${id}`)).status).toBe(204);
    expect(((await (await send(token, "GET", "/mfa/factors")).json()) as { factors: unknown[] }).factors).toEqual([]);
  });
});
