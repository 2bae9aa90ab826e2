/**
 * /docs renders Swagger UI from files the app serves itself: no third-party
 * URL anywhere in the page, scripts and stylesheet allowed only by this
 * response's CSP nonce and pinned by Subresource Integrity, and the assets
 * under content-addressed URLs with long caching and ETags.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { ASSET_TYPES, extensionOf, referencedUrls, sameOriginPaths } from "../support/docs-page.js";

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

async function docsPage() {
  const response = await t.app.request("/docs");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  return { html: await response.text(), policy: response.headers.get("content-security-policy") ?? "" };
}

describe("/docs", () => {
  it("references only its own origin (and data: for the favicon), with nothing from a CDN", async () => {
    const { html } = await docsPage();
    const urls = referencedUrls(html);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const url of urls) expect(url.startsWith("data:") || sameOriginPaths(html).includes(url), url).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('"/openapi.json"');
  });

  it("allows scripts and styles only by a nonce fresh on every response, matching the page's tags", async () => {
    const first = await docsPage();
    const second = await docsPage();
    const nonce = /script-src 'nonce-([A-Za-z0-9_-]{22})'/.exec(first.policy)?.[1];
    expect(nonce, first.policy).toBeDefined();
    expect(first.policy).toBe(
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; ` +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    expect(first.policy).not.toMatch(/unsafe-|https:|\*/);
    expect(second.policy).not.toContain(nonce);
    // Every <script> and stylesheet carries the nonce; nothing else can run.
    const tags = [...first.html.matchAll(/<(?:script|link rel="stylesheet")(?:\s[^>]*)?>/g)].map((m) => m[0]);
    expect(tags.length).toBe(3);
    for (const tag of tags) expect(tag).toContain(`nonce="${nonce}"`);
  });

  it("serves every referenced asset with its Content-Type, its integrity hash, a year's caching and an ETag", async () => {
    const { html } = await docsPage();
    const assets = sameOriginPaths(html).filter((path) => path.startsWith("/docs/assets/"));
    expect(assets.map(extensionOf).sort()).toEqual(["css", "js"]);
    for (const path of assets) {
      const response = await t.app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toMatch(ASSET_TYPES[extensionOf(path)] as RegExp);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      const body = Buffer.from(await response.arrayBuffer());
      const integrity = `sha256-${createHash("sha256").update(body).digest("base64")}`;
      expect(html).toContain(`${path}" integrity="${integrity}"`);
      const etag = response.headers.get("etag") ?? "";
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      const again = await t.app.request(path, { headers: { "If-None-Match": `W/"other", ${etag}` } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
    }
  });

  it("answers 404 for any other asset name", async () => {
    for (const path of ["/docs/assets/swagger-ui-bundle.js", "/docs/assets/..%2Fopenapi.json", "/docs/assets/x"]) {
      expect((await t.app.request(path)).status, path).toBe(404);
    }
  });
});
