/**
 * Reading back admin settings inside workerd (the built Worker: neon-http,
 * Upstash REST): tenants, redirect URIs, signing keys, an OAuth provider and
 * a SAML connection round trip, deletion stops the connection's metadata at
 * once, and no response carries a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, JSON_HEADERS } from "../support/accounts.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";
import { createSamlIdp } from "../support/saml-idp.js";

const TENANT = "edgeread";
const SECRET = "edge-provider-secret-7d3b";
let h: WorkerHarness;
let worker: WorkerInstance;
let admin: Record<string, string>;
const seen: string[] = [];

const call = async (method: string, path: string, body?: unknown) => {
  const response = await worker.request(path, {
    method,
    headers: admin,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  seen.push(await response.clone().text());
  return response;
};
const ok = async (response: Response) => {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start();
  admin = { Authorization: `Bearer ${h.adminKey}`, ...JSON_HEADERS };
  const api = client((path, init) => worker.request(path, init), h.adminKey);
  await api.createTenant(TENANT);
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 60_000);

describe("admin read-back in workerd", () => {
  it("reads back tenants, redirect URIs and signing keys", async () => {
    const tenant = await ok(await call("GET", `/v1/admin/tenants/${TENANT}`));
    expect(tenant).toMatchObject({ slug: TENANT, signing_alg: "RS256" });
    const list = (await ok(await call("GET", "/v1/admin/tenants?limit=100"))) as { tenants: unknown[] };
    expect(list.tenants).toContainEqual(tenant);
    expectProblem(await readAnswer(await call("GET", "/v1/admin/tenants?cursor=%21")), 400, "validation_failed");

    const uris = { redirect_uris: ["https://app.example.com/cb"] };
    expect(await ok(await call("PUT", `/t/${TENANT}/v1/admin/redirect-uris`, uris))).toEqual(uris);
    expect(await ok(await call("GET", `/t/${TENANT}/v1/admin/redirect-uris`))).toEqual(uris);

    const keys = (await ok(await call("GET", `/t/${TENANT}/v1/admin/signing-keys`))) as { keys: { state: string }[] };
    expect(keys.keys.map((k) => k.state)).toEqual(["next", "active"]);
  });

  it("round-trips a provider and a SAML connection, and deletes them", async () => {
    const provider = `/t/${TENANT}/v1/admin/oauth-providers/github`;
    const put = await ok(await call("PUT", provider, { client_id: "gh-client", client_secret: SECRET }));
    expect(await ok(await call("GET", provider))).toEqual({ ...put, last_error: null });
    expect(await ok(await call("GET", `/t/${TENANT}/v1/admin/oauth-providers`))).toEqual({
      providers: [put],
      next_cursor: null,
    });
    expect((await call("DELETE", provider)).status).toBe(204);
    expectProblem(await readAnswer(await call("GET", provider)), 404, "not_found");

    const idp = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
    const connection = `/t/${TENANT}/v1/admin/saml-connections/acme`;
    const stored = await ok(await call("PUT", connection, { idp_metadata_xml: idp.metadataXml, trust_email: true }));
    expect(await ok(await call("GET", connection))).toEqual(stored);
    const metadata = `/t/${TENANT}/v1/saml/acme/metadata`;
    expect((await worker.request(metadata)).status).toBe(200);
    expect((await call("DELETE", connection)).status).toBe(204);
    expectProblem(await readAnswer(await call("GET", connection)), 404, "not_found");
    expectProblem(await readAnswer(await worker.request(metadata)), 404, "not_found");

    const text = seen.join("\n");
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/PRIVATE KEY|sealed|secret/i);
  });
});
