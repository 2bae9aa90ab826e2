/**
 * The SDK client's passkey methods against the real service, with the
 * software authenticator: register, list, rename, remove, and a
 * passwordless login whose tokens become the client's session.
 */
import { createClient } from "@authority/sdk/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PUBLIC_URL } from "../support/app.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";
import { email, expectFailure, GOOD_PASSWORD, type ServedApp, startServedApp, unwrap } from "./client-harness.js";

const TENANT = "passkey-sdk";
let s: ServedApp;

beforeAll(async () => {
  s = await startServedApp();
  unwrap(await s.admin.admin.createTenant({ slug: TENANT, name: "Passkey SDK" }));
});
afterAll(async () => {
  await s?.close();
});

describe("client: passkeys", () => {
  it("registers, lists, renames and removes a passkey, and logs in with it", async () => {
    const user = createClient({ baseUrl: s.baseUrl, tenant: TENANT });
    const address = email("pk");
    unwrap(await user.signup({ email: address, password: GOOD_PASSWORD }));
    const authenticator = await SoftAuthenticator.create();
    const creation = unwrap(await user.passkeyRegistrationOptions()) as Parameters<typeof authenticator.register>[0];
    const response = await authenticator.register(creation, { origin: TEST_PUBLIC_URL });
    const created = unwrap(await user.registerPasskey({ response, name: "Key" }));
    expect(created).toMatchObject({ kind: "passkey", name: "Key", device_type: "singleDevice" });
    expect(unwrap(await user.listPasskeys()).passkeys.map((p) => p.id)).toEqual([created.id]);
    expect(unwrap(await user.renamePasskey(created.id, "Desk key")).name).toBe("Desk key");

    const device = createClient({ baseUrl: s.baseUrl, tenant: TENANT });
    const started = unwrap(await device.passkeyLoginOptions());
    const assertion = await authenticator.assert(started.options as { challenge: string; rpId: string }, {
      origin: TEST_PUBLIC_URL,
    });
    unwrap(await device.loginWithPasskey({ challenge_id: started.challenge_id, response: assertion }));
    expect(unwrap(await device.me()).email).toBe(address);
    expectFailure(
      await device.loginWithPasskey({ challenge_id: started.challenge_id, response: assertion }),
      401,
      "passkey_refused",
    );

    // Removal is a step-up action: the password session is refused, the passkey session (amr mfa) may.
    expectFailure(await user.removePasskey(created.id), 403, "step_up_required");
    expect((await device.removePasskey(created.id)).ok).toBe(true);
    expectFailure(await device.removePasskey(created.id), 404, "not_found");
    expect(unwrap(await user.listPasskeys()).passkeys).toEqual([]);
  });
});
