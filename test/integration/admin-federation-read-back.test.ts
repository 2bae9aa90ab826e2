/**
 * Reading back and deleting upstream OAuth providers and SAML connections on
 * real Postgres and Redis: PUT -> GET round trips, listings, the last upstream
 * error, secrets never returned, and logins stopping at once on DELETE.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { createSpKeyPair } from "../../src/core/saml/sp-certificate.js";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { type FakeOidc, startFakeOidc } from "../support/fake-oidc.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const APP = "https://app.example.com/callback";
const SECRET = "provider-secret-9f1c2a";
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
let t: TestApp;
let idp: FakeOidc;
let sql: pg.Client;
let idpMetadata: string;

const call = (method: string, path: string, body?: unknown) =>
  t.app.request(`/t/fed/v1/admin/${path}`, {
    method,
    headers: admin,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const ok = async (response: Response) => {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

/** Every response of these routes, to scan for secrets at the end. */
const seen: string[] = [];
const recorded = async (response: Response) => {
  seen.push(await response.clone().text());
  return response;
};

beforeAll(async () => {
  t = await startTestApp();
  const api = appClient(t);
  idp = await startFakeOidc("client-1", SECRET);
  await api.createTenant("fed");
  expect((await api.redirectUris("fed", [APP])).status).toBe(200);
  sql = new pg.Client({ connectionString: t.database.url });
  await sql.connect();
  const der = (await createSpKeyPair("idp", cryptoRandom, new Date())).certificatePem.replace(
    /-----[^-]+-----|\s/g,
    "",
  );
  idpMetadata = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/metadata">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
});
afterAll(async () => {
  await sql.end();
  await idp.close();
  await t.close();
});

/** authorize -> provider; resolves the callback URL the provider sends the browser to. */
async function atProvider(name: string): Promise<URL> {
  const query = new URLSearchParams({ redirect_uri: APP, state: "s" });
  const start = await t.app.request(`/t/fed/v1/oauth/${name}/authorize?${query}`);
  expect(start.status, await start.clone().text()).toBe(302);
  const answer = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  return new URL(answer.headers.get("location") ?? "");
}

async function callback(url: URL): Promise<URL> {
  const back = await t.app.request(url.pathname + url.search);
  expect(back.status).toBe(302);
  return new URL(back.headers.get("location") ?? "");
}

describe("OAuth providers", () => {
  it("reads back what PUT stored, lists it, and shows the last upstream error", async () => {
    const put = await ok(
      await recorded(
        await call("PUT", "oauth-providers/idp", { client_id: "client-1", client_secret: SECRET, issuer: idp.issuer }),
      ),
    );
    await ok(await recorded(await call("PUT", "oauth-providers/github", { client_id: "gh", client_secret: SECRET })));
    const one = await ok(await recorded(await call("GET", "oauth-providers/idp")));
    expect(one).toEqual({ ...put, last_error: null });
    const list = (await ok(await recorded(await call("GET", "oauth-providers")))) as { providers: unknown[] };
    expect(list).toMatchObject({ next_cursor: null });
    expect(list.providers).toEqual([
      expect.objectContaining({ provider: "github", scopes: ["read:user", "user:email"] }),
      put,
    ]);
    const paged = (await ok(await call("GET", "oauth-providers?limit=1"))) as { next_cursor: string };
    const rest = await ok(await call("GET", `oauth-providers?limit=1&cursor=${paged.next_cursor}`));
    expect(rest).toEqual({ providers: [put], next_cursor: null });

    idp.state.misbehave = "garbage";
    const back = await callback(await atProvider("idp"));
    expect(back.searchParams.get("error")).not.toBeNull();
    idp.state.misbehave = "none";
    const failed = await ok(await recorded(await call("GET", "oauth-providers/idp")));
    expect(failed.last_error).toEqual({ at: expect.any(String), step: "token", detail: expect.any(String) });
  });

  it("keeps the login's secrets out of the last error when the provider's refusal quotes the request", async () => {
    idp.state.misbehave = "echo-form";
    const atIdp = await atProvider("idp");
    const back = await callback(atIdp);
    idp.state.misbehave = "none";
    expect(back.searchParams.get("error")).not.toBeNull();
    const { last_error } = (await ok(await call("GET", "oauth-providers/idp"))) as { last_error: { detail: string } };
    expect(last_error.detail).toMatch(/^invalid_request \(unexpected form .*client_secret=\[redacted\]/);
    for (const secret of [SECRET, atIdp.searchParams.get("code") ?? "?"])
      expect(last_error.detail).not.toContain(secret);
    expect(last_error.detail).toMatch(/code_verifier=\[redacted\]/);
  });

  it("deletes a provider: GET 404, and logins through it stop at once, even one already at the provider", async () => {
    const pending = await atProvider("idp");
    const deleted = await call("DELETE", "oauth-providers/idp");
    expect(deleted.status).toBe(204);
    expectProblem(await readAnswer(await call("GET", "oauth-providers/idp")), 404, "not_found");
    expectProblem(await readAnswer(await call("DELETE", "oauth-providers/idp")), 404, "not_found");
    const list = (await ok(await call("GET", "oauth-providers"))) as { providers: { provider: string }[] };
    expect(list.providers.map((p) => p.provider)).toEqual(["github"]);

    const finished = await callback(pending);
    expect(finished.searchParams.get("error")).toBe("invalid_request");
    expect(finished.searchParams.get("code")).toBeNull();
    const start = await t.app.request(`/t/fed/v1/oauth/idp/authorize?${new URLSearchParams({ redirect_uri: APP })}`);
    expect(new URL(start.headers.get("location") ?? "").searchParams.get("error")).toBe("invalid_request");

    const audit = await ok(await call("GET", "audit-events?action=admin.oauth_providers.delete"));
    expect(audit.events).toMatchObject([{ target: { type: "oauth_provider", id: "idp" } }]);

    // Configured again, it starts clean: no old failure shows.
    await ok(
      await call("PUT", "oauth-providers/idp", { client_id: "client-1", client_secret: SECRET, issuer: idp.issuer }),
    );
    expect(await ok(await call("GET", "oauth-providers/idp"))).toMatchObject({ last_error: null });
  });

  it("refuses malformed names with 400 and unknown ones with 404", async () => {
    for (const method of ["GET", "DELETE"]) {
      expectProblem(await readAnswer(await call(method, "oauth-providers/Bad_Name")), 400, "validation_failed");
      expectProblem(await readAnswer(await call(method, "oauth-providers/nope")), 404, "not_found");
    }
    expectProblem(await readAnswer(await call("GET", "oauth-providers?cursor=%21")), 400, "validation_failed");
  });
});

describe("SAML connections", () => {
  it("reads back what PUT stored and lists it", async () => {
    const put = await ok(
      await recorded(
        await call("PUT", "saml-connections/okta", {
          idp_metadata_xml: idpMetadata,
          trust_email: true,
          attribute_mapping: { email: "mail" },
        }),
      ),
    );
    expect(put).toMatchObject({
      trust_email: true,
      sp_certificate: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/),
    });
    expect(await ok(await recorded(await call("GET", "saml-connections/okta")))).toEqual(put);
    await ok(await recorded(await call("PUT", "saml-connections/adfs", { idp_metadata_xml: idpMetadata })));
    const list = (await ok(await recorded(await call("GET", "saml-connections")))) as {
      connections: { connection: string }[];
    };
    expect(list.connections.map((c) => c.connection)).toEqual(["adfs", "okta"]);
    expect(list.connections[1]).toEqual(put);
  });

  it("deletes a connection: GET 404, its metadata (cached before) and logins stop at once", async () => {
    const metadata = `/t/fed/v1/saml/okta/metadata`;
    expect((await t.app.request(metadata)).status).toBe(200);
    const login = `/t/fed/v1/saml/okta/login?${new URLSearchParams({ redirect_uri: APP })}`;
    expect((await t.app.request(login)).status).toBe(302);
    expect((await call("DELETE", "saml-connections/okta")).status).toBe(204);
    expectProblem(await readAnswer(await call("GET", "saml-connections/okta")), 404, "not_found");
    expectProblem(await readAnswer(await call("DELETE", "saml-connections/okta")), 404, "not_found");
    expectProblem(await readAnswer(await t.app.request(metadata)), 404, "not_found");
    expectProblem(await readAnswer(await t.app.request(login)), 404, "not_found");
    const list = (await ok(await call("GET", "saml-connections"))) as { connections: { connection: string }[] };
    expect(list.connections.map((c) => c.connection)).toEqual(["adfs"]);
  });

  it("refuses malformed names with 400 and unknown ones with 404", async () => {
    for (const method of ["GET", "DELETE"]) {
      expectProblem(await readAnswer(await call(method, "saml-connections/Bad_Name")), 400, "validation_failed");
      expectProblem(await readAnswer(await call(method, "saml-connections/nope")), 404, "not_found");
    }
  });
});

describe("secrets", () => {
  it("never appear in a response: not the client secret, its sealed form, nor the SP private key", async () => {
    expect(seen.length).toBeGreaterThan(8);
    const text = seen.join("\n");
    const { rows: providers } = await sql.query("SELECT client_secret_sealed FROM oauth_providers");
    const { rows: connections } = await sql.query("SELECT sp_private_key_sealed FROM saml_connections");
    expect(providers.length).toBeGreaterThan(0);
    expect(connections.length).toBeGreaterThan(0);
    expect(text).not.toContain(SECRET);
    for (const row of providers) expect(text).not.toContain(row.client_secret_sealed);
    for (const row of connections) expect(text).not.toContain(row.sp_private_key_sealed);
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toMatch(/secret|sealed|private/i);
  });
});
