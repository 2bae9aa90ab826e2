/**
 * SAML SP-initiated login inside workerd: the built Worker (samlify with the
 * xmllint.wasm schema validator it registers at module load) against the
 * independent test IdP. Admin connection from the IdP's metadata -> SP
 * metadata -> login redirect -> ACS -> one-time code -> exchange -> /v1/me,
 * a few attacks refused inside workerd, and across runtimes: a Node app on
 * the same Postgres and Redis keys finishes logins the Worker started.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadXmllintWasm } from "../../src/adapters/saml/node-xmllint.js";
import { createXmllintSchemaValidator } from "../../src/adapters/saml/xml-schema-validator.js";
import { client, decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import {
  type NodeTwin,
  startNodeTwin,
  startWorkerHarness,
  type WorkerHarness,
  type WorkerInstance,
} from "../support/runtime-worker.js";
import {
  alterCiphertext,
  createSamlIdp,
  type SamlIdp,
  type SamlResponseOptions,
  unknownContentAlgorithm,
} from "../support/saml-idp.js";

type Request = (path: string, init?: RequestInit) => Promise<Response>;

const APP = "https://app.example.com/after-sso";
const TENANT = "edgesaml";
const CONNECTION = "acme";
const SAML = `/t/${TENANT}/v1/saml/${CONNECTION}`;

let h: WorkerHarness;
let worker: WorkerInstance;
let idp: SamlIdp;
let onWorker: Request;
let onNode: Request;
let twin: NodeTwin;
let configured: Record<string, unknown>;

const putConnection = (headers: Record<string, string>) =>
  onWorker(`/t/${TENANT}/v1/admin/saml-connections/${CONNECTION}`, {
    method: "PUT",
    headers: { ...headers, ...JSON_HEADERS },
    body: JSON.stringify({ idp_metadata_xml: idp.metadataXml }),
  });

beforeAll(async () => {
  h = await startWorkerHarness();
  idp = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
  worker = await h.start();
  // Miniflare's dispatchFetch follows redirects unless told not to; the browser's hops are made here by hand.
  onWorker = (path, init) => worker.request(path, { redirect: "manual", ...init });

  // The Node app gets the Worker's own variables (PUBLIC_URL, keys, Redis prefix): same SP entityID and ACS URL.
  twin = await startNodeTwin(h);
  const app = twin.app;
  onNode = async (path, init) => app.request(path, init);

  const api = client(onWorker, h.adminKey);
  await api.createTenant(TENANT);
  expect((await api.redirectUris(TENANT, [APP])).status).toBe(200);
  const put = await putConnection({ Authorization: `Bearer ${h.adminKey}` });
  expect(put.status, `${await put.clone().text()}\n${worker.logs.join("\n")}`).toBe(200);
  configured = (await put.json()) as Record<string, unknown>;
}, 60_000);

afterAll(async () => {
  await twin?.close();
  await h?.close();
}, 60_000);

/** GET .../login on `start`; resolves the AuthnRequest the IdP receives. */
async function startLogin(start = onWorker, state = "client-state") {
  const query = new URLSearchParams({ redirect_uri: APP, state });
  const response = await start(`${SAML}/login?${query}`);
  expect(response.status, `${await response.clone().text()}\n${worker.logs.join("\n")}`).toBe(302);
  const location = response.headers.get("location") ?? "";
  expect(new URL(location).origin + new URL(location).pathname).toBe(idp.ssoUrl);
  return idp.parseAuthnRequest(location);
}

const post = (finish: Request, samlResponse: string, relayState: string | undefined) =>
  finish(`${SAML}/acs`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      SAMLResponse: samlResponse,
      ...(relayState ? { RelayState: relayState } : {}),
    }).toString(),
  });

/** A whole login as `nameId`: started on `start`, the IdP's response posted to `finish`; resolves the ACS answer. */
async function answer(options: Partial<SamlResponseOptions> = {}, start = onWorker, finish = onWorker) {
  const request = await startLogin(start);
  const saml = await idp.response({ nameId: "alice@corp.example", respondTo: request, ...options });
  return post(finish, saml, request.relayState);
}

/** The one-time code of a 302 back to the app with the client's state. */
async function codeOf(response: Response, state = "client-state"): Promise<string> {
  expect(response.status, `${await response.clone().text()}\n${worker.logs.join("\n")}`).toBe(302);
  expect(response.headers.get("cache-control")).toBe("no-store");
  const back = new URL(response.headers.get("location") ?? "");
  expect(back.origin + back.pathname).toBe(APP);
  expect(back.searchParams.get("state")).toBe(state);
  expect(back.searchParams.get("error"), back.href).toBeNull();
  const code = back.searchParams.get("code") ?? "";
  expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return code;
}

const exchange = (request: Request, code: string) =>
  request(`/t/${TENANT}/v1/token/exchange`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ code }) });

async function tokens(request: Request, code: string): Promise<TokenBody> {
  const response = await exchange(request, code);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as TokenBody;
}

async function me(request: Request, token: string): Promise<Record<string, unknown>> {
  const response = await client(request, h.adminKey).me(TENANT, token);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** No code was issued: a problem+json 400, or a 302 with error= and no code. */
async function expectRefused(response: Response) {
  if (response.status === 302) {
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.searchParams.get("code"), location.href).toBeNull();
    expect(location.searchParams.get("error"), location.href).toBeTruthy();
    return;
  }
  const body = await readAnswer(response);
  expect(body.status, body.text).toBe(400);
  expect(body.headers.get("content-type")).toBe("application/problem+json");
}

describe("SAML inside workerd", () => {
  it("configured the connection from the IdP's metadata and publishes SP metadata under PUBLIC_URL", async () => {
    const entityId = `${h.publicUrl}${SAML}/metadata`;
    expect(configured).toMatchObject({
      connection: CONNECTION,
      idp_entity_id: idp.entityId,
      sp_entity_id: entityId,
      acs_url: `${h.publicUrl}${SAML}/acs`,
      enabled: true,
    });
    // Without the admin key: refused.
    expect((await putConnection({})).status).toBe(401);
    expect((await putConnection({ Authorization: "Bearer not-the-admin-key" })).status).toBe(401);

    const metadata = await onWorker(`${SAML}/metadata`);
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get("content-type")).toMatch(/^application\/samlmetadata\+xml/);
    const xml = await metadata.text();
    expect(xml).toContain(`entityID="${entityId}"`);
    expect(xml).toContain(`Location="${h.publicUrl}${SAML}/acs"`);
    // What the Worker publishes is valid against the SAML metadata schema (checked on Node).
    const validator = createXmllintSchemaValidator(await loadXmllintWasm());
    expect(await validator.validate(xml)).toEqual({ valid: true, errors: [] });
  });

  it("goes login -> IdP -> ACS -> one-time code -> tokens -> /me, and the same NameID is the same user", async () => {
    const request = await startLogin();
    expect(request.issuer).toBe(`${h.publicUrl}${SAML}/metadata`);
    expect(request.acsUrl).toBe(`${h.publicUrl}${SAML}/acs`);
    const saml = await idp.response({ nameId: "alice@corp.example", respondTo: request });
    const code = await codeOf(await post(onWorker, saml, request.relayState));
    const first = await tokens(onWorker, code);
    const alice = decode(first.access_token).claims.sub;
    expect(await me(onWorker, first.access_token)).toMatchObject({ id: alice, email: "alice@corp.example" });
    expectProblem(await readAnswer(await exchange(onWorker, code)), 400, "invalid_grant");

    const second = await tokens(onWorker, await codeOf(await answer()));
    expect(decode(second.access_token).claims.sub).toBe(alice);
    expect(second.session_id).not.toBe(first.session_id);
    const bob = await tokens(onWorker, await codeOf(await answer({ nameId: "bob@corp.example" })));
    expect(decode(bob.access_token).claims.sub).not.toBe(alice);
    expect(await me(onWorker, bob.access_token)).toMatchObject({ email: "bob@corp.example" });
  });

  it.each([
    ["unsigned", { sign: "none" }],
    ["signed by a key the metadata does not list", { signWith: "other" }],
    ["edited after signing", { tamper: "nameId" }],
    ["wrapped (forged assertion before the signed one)", { sign: "assertion", wrap: "forged-assertion-before" }],
    ["with a DOCTYPE", { doctype: "entity" }],
    ["with billion laughs", { doctype: "billion-laughs" }],
    [
      "whose bearer confirmation expired (Conditions still valid)",
      {
        beforeSigning: {
          assertion: (xml) =>
            xml.replace(
              /(<saml:SubjectConfirmationData NotOnOrAfter=")[^"]*/,
              `$1${new Date(Date.now() - 300_000).toISOString()}`,
            ),
        },
      },
    ],
  ] as [string, Partial<SamlResponseOptions>][])("refuses a response %s", async (_name, options) => {
    await expectRefused(await answer(options));
  });

  it.each(["aes256-gcm", "aes128-gcm", "aes256-cbc", "aes128-cbc"] as const)(
    "logs in with an assertion encrypted to the connection's certificate (%s)",
    async (algorithm) => {
      const encrypt = { certificatePem: String(configured.sp_certificate), algorithm };
      await codeOf(await answer({ nameId: "erin@corp.example", encrypt }));
    },
  );

  it.each([
    ["whose ciphertext was altered", {}, alterCiphertext],
    ["encrypted to another certificate", { to: "other" }],
    ["encrypted with an algorithm it does not know", {}, unknownContentAlgorithm],
    ["whose key travels by RSA PKCS#1 v1.5", { keyTransport: "rsa-1_5" }],
  ] as const)("refuses an encrypted assertion %s: 400 invalid_saml_response", async (_name, how, edit?) => {
    const { to, ...rest } = { to: "sp", ...how };
    const certificatePem = to === "other" ? idp.otherKey.certificatePem : String(configured.sp_certificate);
    const response = await answer({
      nameId: "erin@corp.example",
      encrypt: { certificatePem, ...rest },
      ...(edit ? { beforeSigning: { response: edit } } : {}),
    });
    expectProblem(await readAnswer(response), 400, "invalid_saml_response");
  });

  it("refuses a replayed response", async () => {
    const request = await startLogin();
    const saml = await idp.response({ nameId: "carol@corp.example", respondTo: request });
    await codeOf(await post(onWorker, saml, request.relayState));
    await expectRefused(await post(onWorker, saml, request.relayState));
  });
});

describe("across runtimes, on one database and one Redis", () => {
  it("finishes on Node a login the Worker started, and the other way round: the same user", async () => {
    const onWorkerTokens = await tokens(onWorker, await codeOf(await answer({ nameId: "dave@corp.example" })));
    const dave = decode(onWorkerTokens.access_token).claims.sub;

    // Started on the Worker (request state in Redis through Upstash), the ACS on Node, the code redeemed on Node.
    const nodeFinished = await tokens(
      onNode,
      await codeOf(await answer({ nameId: "dave@corp.example" }, onWorker, onNode)),
    );
    expect(decode(nodeFinished.access_token).claims.sub).toBe(dave);

    // Started on Node, the ACS on the Worker, the code redeemed on the Worker; a replay on Node is refused.
    const request = await startLogin(onNode);
    const saml = await idp.response({ nameId: "dave@corp.example", respondTo: request });
    const mixed = await tokens(onWorker, await codeOf(await post(onWorker, saml, request.relayState)));
    expect(decode(mixed.access_token).claims.sub).toBe(dave);
    expect(await me(onNode, mixed.access_token)).toMatchObject({ id: dave, email: "dave@corp.example" });
    await expectRefused(await post(onNode, saml, request.relayState));
  });
});
