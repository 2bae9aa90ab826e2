/**
 * TOTP inside workerd (the built Worker: neon-http, Upstash REST): an
 * authenticator is enrolled (QR rendered in the Worker), confirmed with a
 * code computed here from the returned secret; the password login then
 * asks for the second step, and removing the factor needs it (step-up).
 * Under a required policy a new user enrolls during the login instead.
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
    const { recovery_codes: recovery } = (await confirmed.json()) as { recovery_codes: string[] };
    expect(recovery).toHaveLength(10);

    const listed = (await (await send(token, "GET", "/mfa/factors")).json()) as Record<string, unknown>;
    expect(listed).toMatchObject({ factors: [{ id, kind: "totp" }], recovery_codes_left: 10 });
    // Removing a factor needs a login that used one (step-up): the password alone no longer logs in.
    expect((await send(token, "DELETE", `/mfa/factors/${id}`)).status).toBe(403);
    const login = (await (await api.login("edge", "totp@example.org")).json()) as Record<string, unknown>;
    expect(login).toMatchObject({ mfa_required: true });
    expect(login.access_token).toBeUndefined();
    const verified = await worker.request("/t/edge/v1/mfa/verify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ mfa_token: login.mfa_token, type: "recovery_code", code: recovery[0] }),
    });
    expect(verified.status, await verified.clone().text()).toBe(200);
    const { access_token: stepped } = (await verified.json()) as TokenBody;
    expect((await send(stepped, "DELETE", `/mfa/factors/${id}`)).status).toBe(204);
    expect(((await (await send(stepped, "GET", "/mfa/factors")).json()) as { factors: unknown[] }).factors).toEqual([]);
  });
});

describe("a required MFA policy inside workerd", () => {
  it("signup answers the enrollment challenge; the first code of the enrolled authenticator finishes the login", async () => {
    const api = client((path, init) => worker.request(path, init), h.adminKey);
    await api.createTenant("edge-bound");
    const json = { "Content-Type": "application/json" };
    const policy = await worker.request("/t/edge-bound/v1/admin/mfa-policy", {
      method: "PUT",
      headers: { ...json, Authorization: `Bearer ${h.adminKey}` },
      body: JSON.stringify({ policy: "required" }),
    });
    expect(await policy.json()).toEqual({ policy: "required", federated_logins: "second_step" });

    const signup = await api.signup("edge-bound", "bound@example.org");
    expect(signup.status).toBe(201);
    const challenge = (await signup.json()) as Record<string, unknown>;
    expect(challenge).toMatchObject({ mfa_required: true, factors: [], enrollment_required: true, expires_in: 300 });
    expect(challenge.access_token).toBeUndefined();
    const post = (path: string, body: unknown) =>
      worker.request(`/t/edge-bound/v1${path}`, { method: "POST", headers: json, body: JSON.stringify(body) });

    const started = await post("/mfa/enroll/totp", { mfa_token: challenge.mfa_token });
    expect(started.status, await started.clone().text()).toBe(201);
    const { secret, qr_svg } = (await started.json()) as Record<string, string>;
    expect(qr_svg).toMatch(/^<svg /);
    const step = BigInt(Math.floor(Date.now() / 30_000));
    const code = generateHOTP(decodeBase32IgnorePadding(secret ?? ""), step, 6);
    const done = await post("/mfa/verify", { mfa_token: challenge.mfa_token, type: "totp", code });
    expect(done.status, await done.clone().text()).toBe(200);
    const body = (await done.json()) as TokenBody & { recovery_codes: string[] };
    expect(body.recovery_codes).toHaveLength(10);
    const claims = JSON.parse(Buffer.from(body.access_token.split(".")[1] ?? "", "base64url").toString());
    expect(claims.amr).toEqual(["pwd", "otp", "mfa"]);
    // Spent, and the next login verifies the factor instead of enrolling.
    expect((await post("/mfa/enroll/totp", { mfa_token: challenge.mfa_token })).status).toBe(401);
    const next = (await (await api.login("edge-bound", "bound@example.org")).json()) as Record<string, unknown>;
    expect(next).toMatchObject({ mfa_required: true, factors: ["totp", "recovery_code"] });
    expect((await post("/mfa/enroll/totp", { mfa_token: next.mfa_token })).status).toBe(403);
  });
});
