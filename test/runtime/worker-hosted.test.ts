/**
 * The hosted pages inside workerd on the built Worker: the login page with
 * its nonce and CSRF cookie, a form login that starts the provider session,
 * the authorization endpoint handing a first-party client its code, and the
 * tenant's logo fetched by the Worker from a loopback image host and served
 * from its own origin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, GOOD_PASSWORD } from "../support/accounts.js";
import { pkce, registerClient, TestBrowser } from "../support/hosted.js";
import { PNG, startImageServer } from "../support/image-server.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";

const APP = "https://portal.example/cb";
let h: WorkerHarness;
let worker: WorkerInstance;

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start();
  const api = client((path, init) => worker.request(path, init), h.adminKey);
  await api.createTenant("edgepages");
  expect((await api.signup("edgepages", "wren@example.com")).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await h?.close();
}, 60_000);

describe("hosted pages inside workerd", () => {
  it("renders the login page, signs in through the form and answers the authorization request", async () => {
    const request = (path: string, init?: RequestInit) => worker.request(path, init);
    const { client_id } = await registerClient(
      request,
      "edgepages",
      {
        name: "Portal",
        redirect_uris: [APP],
        first_party: true,
      },
      h.adminKey,
    );
    const browser = new TestBrowser(request);
    const query = new URLSearchParams({
      response_type: "code",
      client_id,
      redirect_uri: APP,
      scope: "openid",
      state: "edge",
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    });
    const start = await browser.get(`/t/edgepages/authorize?${query}`);
    expect(start.status).toBe(302);
    const login = await browser.follow(start, "http://localhost");
    expect(login.status).toBe(200);
    expect(login.headers.get("content-security-policy")).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9_-]{22}'/);
    expect(browser.cookies.has("__Host-csrf-edgepages")).toBe(true);
    const done = await browser.submit(await login.text(), { email: "wren@example.com", password: GOOD_PASSWORD });
    expect(done.status).toBe(303);
    const back = new URL(done.headers.get("location") ?? "");
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browser.cookies.has("__Host-sso-edgepages")).toBe(true);
  });

  it("fetches the tenant's logo once and serves it from its own origin", async () => {
    const images = await startImageServer({
      "/logo.png": { type: "image/png", body: PNG },
      "/logo.svg": { type: "image/svg+xml", body: "<svg xmlns='http://www.w3.org/2000/svg'/>" },
    });
    try {
      const put = (logo_url: string) =>
        worker.request("/t/edgepages/v1/admin/branding", {
          method: "PUT",
          headers: { Authorization: `Bearer ${h.adminKey}`, "Content-Type": "application/json" },
          body: JSON.stringify({ logo_url, accent_color: null, language: "en" }),
        });
      expect((await put(images.url("/logo.png"))).status).toBe(200);
      expect((await put(images.url("/logo.svg"))).status).toBe(400);
      const login = await new TestBrowser((path, init) => worker.request(path, init)).get("/t/edgepages/login");
      expect(login.headers.get("content-security-policy")).toContain("img-src 'self';");
      const src = /<img src="([^"]+)"/.exec(await login.text())?.[1] ?? "";
      expect(src).toMatch(/^\/t\/edgepages\/branding\/logo\?v=/);
      const logo = await worker.request(src);
      expect(logo.status).toBe(200);
      expect(logo.headers.get("content-type")).toBe("image/png");
      expect(logo.headers.get("x-content-type-options")).toBe("nosniff");
      expect(new Uint8Array(await logo.arrayBuffer())).toEqual(PNG);
      expect(images.hits("/logo.png")).toBe(1);
    } finally {
      await images.close();
    }
  });
});
