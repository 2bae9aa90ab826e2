/**
 * Text-direction controls in what users are shown. The names an admin sets
 * (a tenant's, a client's) refuse bidi embedding, override and isolate
 * controls and zero-width characters but ZWNJ and ZWJ, with a 400 naming
 * the field. Names stored before (made here through the services, as the
 * rule did not stop them) and every other value a hosted page shows are
 * isolated (<bdi>, or FSI ... PDI where no element can be), with what would
 * end the isolate early taken out, so they cannot reorder the page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { pkce, TestBrowser } from "../support/hosted.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const APP = "https://app.example.com/cb";
const ORIGIN = "http://localhost";
const EMAIL = "dana@example.com";
const RLO = "\u202e";
const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };

/** Direction controls, then invisible characters; and names with the joiners, marks and selectors scripts and emoji need. */
const REFUSED = [
  ..."\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
  ..."\u200b\u2060\u2063\ufeff\u180e\u00ad\u034f\u061c\u3164\u115f",
  "\u{e0041}",
];
const ACCEPTED = ["می\u200cخواهم", "👩\u200d💻 Labs", "שלום\u200f!", "Ünïcødé Ltd", "Café ☕\ufe0f"];

let t: TestApp;
let clientId: string;

beforeAll(async () => {
  t = await startTestApp();
  // As stored before names were checked: the services take them as given.
  const tenant = await t.services.tenants.create("bidi", `Ac\u2069${RLO}me\u0085`);
  const { client } = await t.services.clients.create(tenant, {
    name: `Cli${RLO}ent`,
    type: "public",
    redirectUris: [APP],
    scopes: ["openid", "profile"],
  });
  clientId = client.clientId;
  expect((await appClient(t).signup("bidi", EMAIL)).status).toBe(201);
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

describe("hosted pages", () => {
  /** The consent page of the stored client, signed in as EMAIL. */
  async function consentPage(): Promise<string> {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: APP,
      scope: "openid profile",
      state: "s",
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    });
    const login = await browser.follow(await browser.get(`/t/bidi/authorize?${query}`), ORIGIN);
    const signedIn = await browser.submit(await login.text(), { email: EMAIL, password: GOOD_PASSWORD });
    expect(signedIn.headers.get("location")).toMatch(/^\/t\/bidi\/consent\?request=/);
    const consent = await browser.follow(signedIn, ORIGIN);
    expect(consent.status).toBe(200);
    return consent.text();
  }

  it("isolates the client's name, the tenant's and the address on the consent page", async () => {
    const html = await consentPage();
    expect(html).toContain(`<h1><bdi>Cli${RLO}ent</bdi> wants to access your account</h1>`);
    expect(html).toContain(`<p>If you allow it, <bdi>Cli${RLO}ent</bdi> will be able to:</p>`);
    expect(html).toContain(`Signed in as <bdi>${EMAIL}</bdi>.`);
    // The stray PDI that would close the isolate early is gone; NEL, a paragraph separator, is a space.
    expect(html).toContain(`<header class="brand"><p><bdi>Ac${RLO}me </bdi></p></header>`);
    expect(html).toContain(`<title>Allow access · \u2068Ac${RLO}me \u2069</title>`);
    // No direction control outside an isolate: every RLO sits in a <bdi> or between FSI and PDI.
    const outside = html.replace(/<bdi>[^<]*<\/bdi>/g, "").replace(/\u2068[^\u2069]*\u2069/g, "");
    expect(outside).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });

  it("isolates the address on the signed-in page", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const login = await browser.get("/t/bidi/login");
    const signedIn = await browser.follow(
      await browser.submit(await login.text(), { email: EMAIL, password: GOOD_PASSWORD }),
      ORIGIN,
    );
    expect(await signedIn.text()).toContain(`You are signed in as <bdi>${EMAIL}</bdi>. You can close this page.`);
  });
});
