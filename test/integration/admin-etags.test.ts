/**
 * ETags and conditional writes at the admin API (RFC 9110 §8.8.3, §13.1.1,
 * §13.1.2), on real Postgres: automation reads a resource, changes it, and
 * writes it back with If-Match, so a change made meanwhile is never lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { createSpKeyPair } from "../../src/core/saml/sp-certificate.js";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  const tenant = await send("POST", "/v1/admin/tenants", { slug: "acme", name: "Acme" });
  expect(tenant.status, tenant.text).toBe(201);
});
afterAll(() => t.close());

const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const ADMIN = "/t/acme/v1/admin";

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const raw = body === undefined ? undefined : JSON.stringify(body);
  return readAnswer(await t.app.request(path, { method, headers: { ...admin, ...headers }, body: raw }));
}

/** The resource's current ETag, read as automation would. */
async function etagOf(path: string): Promise<string> {
  const read = await send("GET", path);
  expect(read.status, read.text).toBe(200);
  const etag = read.headers.get("etag");
  expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
  return etag as string;
}

/** A GET and PUT resource: a body to write, and another that differs from it. */
const SETTINGS: [string, unknown, unknown][] = [
  ["redirect-uris", { redirect_uris: ["https://a.example/cb"] }, { redirect_uris: ["https://b.example/cb"] }],
  ["mfa-policy", { policy: "optional" }, { policy: "required" }],
  ["passkey-settings", { rp_id: null }, { rp_id: "test.example" }],
  ["rate-limits", {}, { login: { limit: 7, window_seconds: 60 } }],
  ["branding", brand("#000000"), brand("#ffffff")],
];

function brand(accent: string) {
  return { logo_url: null, accent_color: accent, language: "en" };
}

describe.each(SETTINGS)("%s", (name, first, second) => {
  const path = `${ADMIN}/${name}`;

  it("sends a strong ETag that stays while the representation does and changes with it", async () => {
    const written = await send("PUT", path, first);
    expect(written.status, written.text).toBe(200);
    const etag = await etagOf(path);
    expect(written.headers.get("etag")).toBe(etag);
    expect(await etagOf(path)).toBe(etag);
    expect((await send("PUT", path, first)).headers.get("etag")).toBe(etag);
    const changed = await send("PUT", path, second);
    expect(changed.status, changed.text).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(await etagOf(path)).toBe(changed.headers.get("etag"));
  });

  it("writes with the current ETag, refuses a stale or weak one with 412 and changes nothing", async () => {
    await send("PUT", path, first);
    const stale = await etagOf(path);
    const current = await send("PUT", path, second, { "If-Match": stale });
    expect(current.status, current.text).toBe(200);
    const now = await etagOf(path);
    expectProblem(await send("PUT", path, first, { "If-Match": stale }), 412, "precondition_failed");
    expectProblem(await send("PUT", path, first, { "If-Match": `W/${now}` }), 412, "precondition_failed");
    expect(await etagOf(path)).toBe(now);
    const listed = await send("PUT", path, first, { "If-Match": `"other", ${now}` });
    expect(listed.status, listed.text).toBe(200);
    expect(await etagOf(path)).toBe(stale);
  });

  it("keeps `*` (the tenant's settings exist) and answers 304 to If-None-Match", async () => {
    const star = await send("PUT", path, first, { "If-Match": "*" });
    expect(star.status, star.text).toBe(200);
    const etag = await etagOf(path);
    const unchanged = await send("GET", path, undefined, { "If-None-Match": etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe("");
    expect(unchanged.headers.get("etag")).toBe(etag);
    expect((await send("GET", path, undefined, { "If-None-Match": '"other"' })).status).toBe(200);
  });
});

describe("the redirect allowlist's read-modify-write", () => {
  it("lets one of two concurrent writers naming the same ETag through and answers the other 412", async () => {
    const path = `${ADMIN}/redirect-uris`;
    await send("PUT", path, { redirect_uris: ["https://base.example/cb"] });
    const read = await send("GET", path);
    const etag = read.headers.get("etag") as string;
    const add = (uri: string) => ({ redirect_uris: [...(read.json.redirect_uris as string[]), uri] });
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([
        send("PUT", path, add(`https://one.example/${round}`), { "If-Match": etag }),
        send("PUT", path, add(`https://two.example/${round}`), { "If-Match": etag }),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
      const [won] = answers.filter((answer) => answer.status === 200);
      expect((await send("GET", path)).json).toEqual(won?.json);
      await send("PUT", path, read.json, { "If-Match": won?.headers.get("etag") as string });
    }
  });
});

describe("an OAuth provider", () => {
  const path = `${ADMIN}/oauth-providers/github`;
  const provider = (secret: string, enabled = true) => ({ client_id: "c", client_secret: secret, enabled });

  it("tags its configuration and its secret: every write that carries a secret changes the ETag", async () => {
    const written = await send("PUT", path, provider("one"));
    expect(written.status, written.text).toBe(200);
    const etag = await etagOf(path);
    expect(written.headers.get("etag")).toBe(etag);
    expect(await etagOf(path)).toBe(etag);
    const rotated = await send("PUT", path, provider("two"), { "If-Match": etag });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.headers.get("etag")).not.toBe(etag);
    // An operator holding the old ETag cannot overwrite the new secret unknowingly.
    expectProblem(await send("PUT", path, provider("one", false), { "If-Match": etag }), 412, "precondition_failed");
    const now = rotated.headers.get("etag") as string;
    expectProblem(
      await send("PUT", path, provider("one", false), { "If-Match": `W/${now}` }),
      412,
      "precondition_failed",
    );
    expect((await send("GET", path)).json.enabled).toBe(true);
    const disabled = await send("PUT", path, provider("two", false), { "If-Match": now });
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.json.enabled).toBe(false);
  });

  it("deletes with If-Match only when it names the current ETag", async () => {
    await send("PUT", path, provider("one"));
    const stale = await etagOf(path);
    await send("PUT", path, provider("two"));
    expectProblem(await send("DELETE", path, undefined, { "If-Match": stale }), 412, "precondition_failed");
    expect((await send("GET", path)).status).toBe(200);
    expect((await send("DELETE", path, undefined, { "If-Match": await etagOf(path) })).status).toBe(204);
    expectProblem(await send("DELETE", path, undefined, { "If-Match": stale }), 412, "precondition_failed");
  });
});

describe("a SAML connection", () => {
  const path = `${ADMIN}/saml-connections/okta`;

  /** IdP metadata naming this SSO location (the view shows only the entity id). */
  async function metadata(sso: string): Promise<string> {
    const der = (await createSpKeyPair("idp", cryptoRandom, new Date())).certificatePem.replace(
      /-----[^-]+-----|\s/g,
      "",
    );
    return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/metadata">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${sso}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  }

  it("tags the connection, takes the current ETag, refuses a stale or weak one, and deletes conditionally", async () => {
    const first = await metadata("https://idp.example/sso");
    const written = await send("PUT", path, { idp_metadata_xml: first });
    expect(written.status, written.text).toBe(200);
    const etag = await etagOf(path);
    expect(written.headers.get("etag")).toBe(etag);
    expect((await send("GET", path, undefined, { "If-None-Match": etag })).status).toBe(304);
    const second = await send(
      "PUT",
      path,
      { idp_metadata_xml: await metadata("https://idp.example/new") },
      {
        "If-Match": etag,
      },
    );
    expect(second.status, second.text).toBe(200);
    const now = second.headers.get("etag") as string;
    expect(now).not.toBe(etag);
    expectProblem(
      await send("PUT", path, { idp_metadata_xml: first }, { "If-Match": etag }),
      412,
      "precondition_failed",
    );
    expectProblem(
      await send("PUT", path, { idp_metadata_xml: first }, { "If-Match": `W/${now}` }),
      412,
      "precondition_failed",
    );
    expectProblem(await send("DELETE", path, undefined, { "If-Match": etag }), 412, "precondition_failed");
    expect(await etagOf(path)).toBe(now);
    expect((await send("DELETE", path, undefined, { "If-Match": now })).status).toBe(204);
  });
});

describe("an OAuth client", () => {
  it("tags the client and its secret; PATCH, rotate-secret and DELETE take only the current ETag", async () => {
    const created = await send("POST", `${ADMIN}/clients`, {
      name: "Billing",
      type: "confidential",
      redirect_uris: ["https://billing.example/cb"],
    });
    expect(created.status, created.text).toBe(201);
    const path = `${ADMIN}/clients/${created.json.client_id}`;
    const first = await etagOf(path);
    expect(await etagOf(path)).toBe(first);
    expect((await send("GET", path, undefined, { "If-None-Match": first })).status).toBe(304);
    const renamed = await send("PATCH", path, { name: "Invoices" }, { "If-Match": first });
    expect(renamed.status, renamed.text).toBe(200);
    const second = renamed.headers.get("etag") as string;
    expect(second).not.toBe(first);
    expect(await etagOf(path)).toBe(second);
    expectProblem(await send("PATCH", path, { name: "Lost" }, { "If-Match": first }), 412, "precondition_failed");
    expectProblem(
      await send("PATCH", path, { name: "Lost" }, { "If-Match": `W/${second}` }),
      412,
      "precondition_failed",
    );
    // A rotation changes the ETag, so an operator's write based on the read before it is refused.
    const rotated = await send("POST", `${path}/rotate-secret`, { overlap_seconds: 0 }, { "If-Match": second });
    expect(rotated.status, rotated.text).toBe(200);
    const third = rotated.headers.get("etag") as string;
    expect(third).not.toBe(second);
    expect(await etagOf(path)).toBe(third);
    expectProblem(await send("PATCH", path, { type: "public" }, { "If-Match": second }), 412, "precondition_failed");
    expectProblem(await send("POST", `${path}/rotate-secret`, {}, { "If-Match": second }), 412, "precondition_failed");
    expectProblem(await send("DELETE", path, undefined, { "If-Match": second }), 412, "precondition_failed");
    expect((await send("GET", path)).json.name).toBe("Invoices");
    expect((await send("DELETE", path, undefined, { "If-Match": third })).status).toBe(204);
  });
});

describe("a user", () => {
  /** A new user of acme, signed up: its admin path and a live access token. */
  async function signedUp(): Promise<{ path: string; token: string }> {
    const signed = await appClient(t).signup("acme", `u-${crypto.randomUUID()}@example.com`);
    const body = (await signed.json()) as { user: { id: string }; access_token: string };
    expect(signed.status).toBe(201);
    return { path: `${ADMIN}/users/${body.user.id}`, token: body.access_token };
  }
  const stillSignedIn = async (token: string) => expect((await appClient(t).me("acme", token)).status).toBe(200);

  it("tags the AdminUser view: stable, changed by a change or a login; PATCH takes only the current ETag", async () => {
    const { path } = await signedUp();
    const first = await etagOf(path);
    expect(await etagOf(path)).toBe(first);
    const unchanged = await send("GET", path, undefined, { "If-None-Match": first });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get("etag")).toBe(first);
    const renamed = await send("PATCH", path, { name: "Ada" }, { "If-Match": first });
    expect(renamed.status, renamed.text).toBe(200);
    const second = renamed.headers.get("etag") as string;
    expect(second).not.toBe(first);
    expect(await etagOf(path)).toBe(second);
    expectProblem(await send("PATCH", path, { name: "Lost" }, { "If-Match": first }), 412, "precondition_failed");
    expectProblem(
      await send("PATCH", path, { name: "Lost" }, { "If-Match": `W/${second}` }),
      412,
      "precondition_failed",
    );
    expect((await send("GET", path)).json.name).toBe("Ada");
    const email = (await send("GET", path)).json.email as string;
    // last_login_at (whole seconds, as auth_time) is part of the view: a login in a later second changes the ETag.
    await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
    expect((await appClient(t).login("acme", email)).status).toBe(200);
    const third = await etagOf(path);
    expect(third).not.toBe(second);
    expectProblem(await send("PATCH", path, { name: "Lost" }, { "If-Match": second }), 412, "precondition_failed");
    expect((await send("PATCH", path, { name: "Ada L." }, { "If-Match": `"other", ${third}` })).status).toBe(200);
    expect((await send("PATCH", path, { name: "Any" }, { "If-Match": "*" })).status).toBe(200);
    expect((await send("PATCH", path, { name: "None" })).status).toBe(200);
  });

  it("refuses a stale disable or delete with 412 before any session or key is touched", async () => {
    const { path, token } = await signedUp();
    const stale = await etagOf(path);
    expect((await send("PATCH", path, { scopes: ["reports"] })).status).toBe(200);
    expectProblem(await send("PATCH", path, { disabled: true }, { "If-Match": stale }), 412, "precondition_failed");
    expectProblem(await send("DELETE", path, undefined, { "If-Match": stale }), 412, "precondition_failed");
    await stillSignedIn(token);
    expect((await send("GET", path)).json).toMatchObject({ disabled: false, scopes: ["reports"] });
    const current = await etagOf(path);
    expectProblem(await send("DELETE", path, undefined, { "If-Match": `W/${current}` }), 412, "precondition_failed");
    await stillSignedIn(token);
    expect((await send("DELETE", path, undefined, { "If-Match": current })).status).toBe(204);
    expect((await appClient(t).me("acme", token)).status).toBe(401);
    expectProblem(await send("DELETE", path, undefined, { "If-Match": current }), 412, "precondition_failed");
  });

  it("lets one of two concurrent PATCHes naming the same ETag through and answers the other 412", async () => {
    const { path, token } = await signedUp();
    for (let round = 0; round < 5; round++) {
      const etag = await etagOf(path);
      const answers = await Promise.all([
        send("PATCH", path, { scopes: [`one${round}`] }, { "If-Match": etag }),
        send("PATCH", path, { disabled: true }, { "If-Match": etag }),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
      const [won] = answers.filter((answer) => answer.status === 200);
      const now = await send("GET", path);
      expect(now.json).toEqual(won?.json);
      expect(now.headers.get("etag")).toBe(won?.headers.get("etag"));
      if (won?.json.disabled) return;
    }
    // The scope change won every round: the disable never happened, nor its revocations.
    await stillSignedIn(token);
  });
});
