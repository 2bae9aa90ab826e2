/**
 * The tenant's logo through the whole app: fetched once from the URL an admin
 * sets (a local image server), refused with 400 naming logo_url when it is not
 * a usable raster image, served from the service's own origin, and the only
 * logo the hosted pages and their CSP allow (no third-party asset).
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeEgressFetch } from "../../src/adapters/net/node-egress-fetch.js";
import { localEgress } from "../../src/core/net/egress.js";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { TestBrowser } from "../support/hosted.js";
import { GIF, PNG, startImageServer } from "../support/image-server.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
let t: TestApp;
let images: Awaited<ReturnType<typeof startImageServer>>;

const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';

beforeAll(async () => {
  // Node's own upstream fetch (the resolved-address check), under the test policy that allows loopback.
  t = await startTestApp({ upstreamFetch: createNodeEgressFetch(localEgress) });
  await appClient(t).createTenant("logos");
  images = await startImageServer({
    "/logo.png": { type: "image/png", body: PNG },
    "/logo.gif": { type: "image/gif", body: GIF },
    "/logo.svg": { type: "image/svg+xml", body: SVG },
    "/svg-as-png": { type: "image/png", body: SVG },
    "/text-as-png": { type: "image/png", body: "<html>hello</html>" },
    "/big.png": { type: "image/png", body: Uint8Array.from({ length: 300 * 1024 }, (_, i) => PNG[i] ?? 0) },
    "/moved": { status: 302, headers: { Location: "/logo.png" } },
  });
});
afterAll(async () => {
  await images?.close();
  await t.close();
});

const put = (logo_url: string | null) =>
  t.app.request("/t/logos/v1/admin/branding", {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({ logo_url, accent_color: null, language: "en" }),
  });
const branding = async () => (await t.app.request("/t/logos/v1/admin/branding", { headers: admin })).json();
const loginPage = async () => {
  const response = await new TestBrowser(t.app.request.bind(t.app)).get("/t/logos/login");
  return { csp: response.headers.get("content-security-policy") ?? "", html: await response.text() };
};

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the branding logo", () => {
  it("is fetched once when set, served from this origin, and the only image the pages load", async () => {
    const before = images.hits("/logo.png");
    const set = await put(images.url("/logo.png"));
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ logo_url: images.url("/logo.png"), accent_color: null, language: "en" });
    expect(await branding()).toMatchObject({ logo_url: images.url("/logo.png") });

    const { csp, html } = await loginPage();
    const src = /<img src="([^"]+)" alt="logos" height="40"\/>/.exec(html)?.[1] ?? "";
    expect(src).toMatch(/^\/t\/logos\/branding\/logo\?v=[\w-]{43}$/);
    expect(html).not.toContain("127.0.0.1");
    expect(csp).toContain("img-src 'self';");
    expect(csp).not.toContain("https:");

    const served = await t.app.request(src);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(served.headers.get("x-content-type-options")).toBe("nosniff");
    expect(served.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const etag = served.headers.get("etag") ?? "";
    expect(etag).toBe(`"${src.split("v=")[1]}"`);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(PNG);
    // Without the version the answer may change with the branding: revalidated with its ETag.
    const unversioned = await t.app.request("/t/logos/branding/logo");
    expect(unversioned.headers.get("cache-control")).toBe("no-cache");
    const again = await t.app.request("/t/logos/branding/logo", { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    const any = await t.app.request("/t/logos/branding/logo", { headers: { "If-None-Match": "*" } });
    expect(any.status).toBe(304); // RFC 9110 §13.1.2: `*` matches any current representation
    // Pages and the logo route never went back to the image host.
    expect(images.hits("/logo.png")).toBe(before + 1);
  });

  it("follows a new logo at once in this process, and is gone when cleared", async () => {
    expect((await put(images.url("/logo.gif"))).status).toBe(200);
    const src = /<img src="([^"]+)"/.exec((await loginPage()).html)?.[1] ?? "";
    const served = await t.app.request(src);
    expect(served.headers.get("content-type")).toBe("image/gif");
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(GIF);

    expect((await put(null)).status).toBe(200);
    expect(await branding()).toMatchObject({ logo_url: null });
    expect((await loginPage()).html).not.toContain("<img");
    expectProblem(await readAnswer(await t.app.request("/t/logos/branding/logo")), 404, "not_found");
  });

  it.each([
    ["an SVG image", "/logo.svg", /SVG/],
    ["SVG sent as image/png", "/svg-as-png", /SVG/],
    ["not an image", "/text-as-png", /not a PNG, JPEG, GIF or WebP image/],
    ["too big", "/big.png", /larger than 262144 bytes/],
    ["a redirect", "/moved", /redirect \(HTTP 302\)/],
    ["missing", "/nothing-here", /HTTP 404/],
  ])("refuses a logo that is %s with 400 naming logo_url, keeping the branding", async (_, path, why) => {
    expect((await put(images.url("/logo.png"))).status).toBe(200);
    const kept = await branding();
    const answer = await readAnswer(await put(images.url(path)));
    expectProblem(answer, 400, "validation_failed");
    expect(answer.json.errors).toEqual([{ path: "logo_url", message: expect.stringMatching(why) }]);
    expect(await branding()).toEqual(kept);
    expect((await t.app.request("/t/logos/branding/logo")).headers.get("content-type")).toBe("image/png");
  });

  it("refuses an unreachable logo, and one the egress policy forbids", async () => {
    const down = await readAnswer(await put(`http://127.0.0.1:${await closedPort()}/logo.png`));
    expectProblem(down, 400, "validation_failed");
    expect(down.json.errors).toEqual([{ path: "logo_url", message: expect.stringMatching(/could not be fetched/) }]);
    const plain = await readAnswer(await put("http://images.example/logo.png"));
    expectProblem(plain, 400, "validation_failed");
    expect(plain.json.errors).toEqual([{ path: "logo_url", message: expect.stringMatching(/must be https/) }]);
    // Credentials in the URL would be kept and shown to every admin (and one runtime fetched without them).
    const credentials = await readAnswer(await put("https://user:s3cret@images.example/logo.png"));
    expectProblem(credentials, 400, "validation_failed");
    expect(credentials.json.errors).toEqual([
      { path: "logo_url", message: "must not contain a user name or password" },
    ]);
    expect(JSON.stringify(await branding())).not.toContain("s3cret");
  });
});
