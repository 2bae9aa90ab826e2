/**
 * Passkeys on the hosted security page and as the login's second step, in
 * chromium on the built Node server: the scenario of
 * test/support/passkey-second-step.ts, which worker-hosted-browser-mfa.test.ts
 * runs on the Worker. PUBLIC_URL is http://localhost:{port}: an IP address
 * cannot be an RP ID.
 */

import { afterAll, beforeAll } from "vitest";
import { type ChromiumStage, startChromiumStage } from "../support/hosted-chromium.js";
import { describePasskeySecondStep } from "../support/passkey-second-step.js";

let stage: ChromiumStage;
let portal: string;

beforeAll(async () => {
  stage = await startChromiumStage({ slug: "pkmfa", name: "Plover Bank" }, { host: "localhost" });
  portal = await stage.registerClient("portal", { name: "Portal", first_party: true });
}, 90_000);

afterAll(async () => {
  await stage?.close();
}, 30_000);

describePasskeySecondStep(
  "node",
  () => ({ stage, slug: "pkmfa", portal }),
  "pia@example.com",
  "nine plovers on the shingle",
);
