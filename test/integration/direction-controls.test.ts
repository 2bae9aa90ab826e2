/**
 * Text-direction controls in what users are shown. The names an admin sets
 * (a tenant's, a client's) refuse bidi embedding, override and isolate
 * controls and zero-width characters but ZWNJ and ZWJ, with a 400 naming
 * the field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const APP = "https://app.example.com/cb";
const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };

/** Direction controls, then zero-width characters; and names with the joiners and marks scripts need. */
const REFUSED = [..."\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", ..."\u200b\u2060\u2063\ufeff\u180e"];
const ACCEPTED = ["می\u200cخواهم", "👩\u200d💻 Labs", "שלום\u200f!", "Ünïcødé Ltd"];

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await appClient(t).createTenant("names");
});
afterAll(async () => {
  await t.close();
});

async function refusedNaming(response: Response, field: string): Promise<void> {
  const answer = await readAnswer(response);
  expectProblem(answer, 400, "validation_failed");
  expect(answer.json.errors).toContainEqual({ path: field, message: expect.stringContaining("text-direction") });
}

describe("names users are shown", () => {
  it("refuses direction controls and zero-width characters in a tenant's name, naming the field", async () => {
    for (const [i, bad] of REFUSED.entries()) {
      const body = JSON.stringify({ slug: `refused-${i}`, name: `Ac${bad}me` });
      await refusedNaming(await t.app.request("/v1/admin/tenants", { method: "POST", headers: admin, body }), "name");
    }
    for (const [i, name] of ACCEPTED.entries()) {
      const body = JSON.stringify({ slug: `accepted-${i}`, name });
      const response = await t.app.request("/v1/admin/tenants", { method: "POST", headers: admin, body });
      expect(response.status, name).toBe(201);
    }
  });

  it("refuses them in a client's name, at creation and in a change", async () => {
    const create = (name: string) =>
      t.app.request("/t/names/v1/admin/clients", {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ name, type: "public", redirect_uris: [APP] }),
      });
    const created = await create("Photos");
    const { client_id } = (await created.json()) as { client_id: string };
    for (const bad of REFUSED) {
      await refusedNaming(await create(`Pho${bad}tos`), "name");
      const change = await t.app.request(`/t/names/v1/admin/clients/${client_id}`, {
        method: "PATCH",
        headers: admin,
        body: JSON.stringify({ name: `Pho${bad}tos` }),
      });
      await refusedNaming(change, "name");
    }
    for (const name of ACCEPTED) expect((await create(name)).status, name).toBe(201);
  });
});
