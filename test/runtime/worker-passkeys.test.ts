/**
 * Passkeys inside workerd (the built Worker: @simplewebauthn/server on
 * workerd's WebCrypto, challenges in Upstash REST, passkeys over neon-http):
 * a software authenticator registers, logs in without a password, and a
 * signature counter that went back is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, decode, type TokenBody } from "../support/accounts.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

let h: WorkerHarness;
let worker: WorkerInstance;

const post = (path: string, body?: unknown, token?: string) =>
  worker.request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start();
  await client(worker.request, h.adminKey).createTenant("edge");
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 60_000);

describe("passkeys inside workerd", () => {
  it("registers a passkey, logs in with it (amr hwk, mfa) and refuses a counter that went back", async () => {
    const signup = await client(worker.request, h.adminKey).signup("edge", "wren@example.org");
    expect(signup.status).toBe(201);
    const user = (await signup.json()) as TokenBody & { user: { id: string } };
    const origin = new URL(h.publicUrl).origin;

    const answer = await post("/t/edge/v1/mfa/passkeys/registration/options", undefined, user.access_token);
    const options = (await answer.json()) as { challenge: string; rp: { id: string }; user: { id: string } };
    expect(options.rp).toEqual({ id: new URL(h.publicUrl).hostname, name: "edge" });
    const authenticator = await SoftAuthenticator.create();
    const registered = await post(
      "/t/edge/v1/mfa/passkeys/registration",
      { response: await authenticator.register(options, { origin }) },
      user.access_token,
    );
    expect(registered.status, await registered.clone().text()).toBe(201);

    const login = async () => {
      const started = (await (await post("/t/edge/v1/passkeys/authentication/options")).json()) as {
        challenge_id: string;
        options: { challenge: string; rpId: string };
      };
      return post("/t/edge/v1/passkeys/authentication", {
        challenge_id: started.challenge_id,
        response: await authenticator.assert(started.options, { origin }),
      });
    };
    const first = await login();
    expect(first.status, await first.clone().text()).toBe(200);
    expect(decode(((await first.json()) as TokenBody).access_token).claims).toMatchObject({
      sub: user.user.id,
      amr: ["hwk", "mfa"],
    });
    authenticator.counter = 0; // a clone signs with the counter already seen
    expectProblem(await readAnswer(await login()), 401, "passkey_refused");
  });
});
