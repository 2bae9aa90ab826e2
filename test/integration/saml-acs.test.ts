/**
 * The SAML assertion consumer service through the whole app on real Postgres
 * and Redis, against a test IdP that does not use samlify, and its attack
 * suite: every forged, replayed or misdirected response is refused and no
 * one-time code is issued.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadXmllintWasm } from "../../src/adapters/saml/node-xmllint.js";
import { createXmllintSchemaValidator } from "../../src/adapters/saml/xml-schema-validator.js";
import { appClient, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import {
  alterCiphertext,
  createSamlIdp,
  type SamlIdp,
  type SamlResponseOptions,
  unknownContentAlgorithm,
  WRAP_VARIANTS,
} from "../support/saml-idp.js";

const APP = "https://app.example.com/after-sso";
const ENCRYPTED_REFUSAL = "The encrypted assertion does not decrypt to a valid, signed assertion.";
let t: TestApp;
let idp: SamlIdp;

beforeAll(async () => {
  t = await startTestApp();
  const api = appClient(t);
  await api.createTenant("corp");
  expect((await api.redirectUris("corp", [APP])).status).toBe(200);
  idp = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
  const put = await t.app.request("/t/corp/v1/admin/saml-connections/acme", {
    method: "PUT",
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
    body: JSON.stringify({ idp_metadata_xml: idp.metadataXml }),
  });
  expect(put.status, await put.clone().text()).toBe(200);
});
afterAll(async () => {
  await t.close();
});

/** Starts a login and resolves the parsed AuthnRequest. */
async function startLogin() {
  const query = new URLSearchParams({ redirect_uri: APP, state: "client-state" });
  const response = await t.app.request(`/t/corp/v1/saml/acme/login?${query}`);
  expect(response.status).toBe(302);
  return idp.parseAuthnRequest(response.headers.get("location") ?? "");
}

function post(samlResponse: string, relayState: string | undefined) {
  const form = new URLSearchParams({ SAMLResponse: samlResponse, ...(relayState ? { RelayState: relayState } : {}) });
  return t.app.request("/t/corp/v1/saml/acme/acs", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
}

/** A full login with these response options; resolves the ACS answer. */
async function answer(options: Partial<SamlResponseOptions> = {}) {
  const request = await startLogin();
  const saml = await idp.response({ nameId: "alice@corp.example", respondTo: request, ...options });
  return post(saml, request.relayState);
}

/** The connection's SP certificate (PUT again: the connection keeps its keys). */
async function spCertificate(): Promise<string> {
  const connection = await t.app.request("/t/corp/v1/admin/saml-connections/acme", {
    method: "PUT",
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
    body: JSON.stringify({ idp_metadata_xml: idp.metadataXml }),
  });
  return ((await connection.json()) as { sp_certificate: string }).sp_certificate;
}

/** No code was issued: a problem+json 400, or a redirect with error= and no code. */
async function expectRefused(response: Response) {
  if (response.status === 302) {
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.searchParams.get("code")).toBeNull();
    expect(location.searchParams.get("error")).toBeTruthy();
    return;
  }
  const body = await readAnswer(response);
  expect(body.status, body.text).toBe(400);
  expect(body.headers.get("content-type")).toBe("application/problem+json");
}

describe("SAML login", () => {
  it("goes login -> IdP -> ACS -> one-time code -> tokens -> /me, and the same NameID is the same user", async () => {
    const first = await answer();
    expect(first.status, await first.clone().text()).toBe(302);
    const back = new URL(first.headers.get("location") ?? "");
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get("state")).toBe("client-state");
    const exchange = (code: string | null) =>
      t.app.request("/t/corp/v1/token/exchange", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ code }),
      });
    const tokens = (await (await exchange(back.searchParams.get("code"))).json()) as TokenBody;
    const me = (await (await appClient(t).me("corp", tokens.access_token)).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ email: "alice@corp.example" });
    const again = new URL((await answer()).headers.get("location") ?? "");
    const second = (await (await exchange(again.searchParams.get("code"))).json()) as TokenBody;
    const sub = (token: string) => JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).sub;
    expect(sub(second.access_token)).toBe(sub(tokens.access_token));
  });
});

describe("SAML variants", () => {
  it("accepts an assertion encrypted to the connection's certificate", async () => {
    const response = await answer({ nameId: "erin@corp.example", encrypt: { certificatePem: await spCertificate() } });
    expect(response.status, await response.clone().text()).toBe(302);
    expect(new URL(response.headers.get("location") ?? "").searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ["whose ciphertext was altered", {}, alterCiphertext],
    ["encrypted to another certificate", { to: "other" }],
    ["encrypted with an algorithm it does not know", {}, unknownContentAlgorithm],
    ["encrypted with 3DES", { algorithm: "tripledes-cbc" }],
    ["whose key travels by RSA PKCS#1 v1.5", { keyTransport: "rsa-1_5" }],
  ] as const)("refuses an encrypted assertion %s: 400 invalid_saml_response", async (_name, how, edit?) => {
    const { to, ...rest } = { to: "sp", ...how };
    const certificatePem = to === "other" ? idp.otherKey.certificatePem : await spCertificate();
    const response = await answer({
      nameId: "erin@corp.example",
      encrypt: { certificatePem, ...rest },
      ...(edit ? { beforeSigning: { response: edit } } : {}),
    });
    const answered = await readAnswer(response);
    expectProblem(answered, 400, "invalid_saml_response");
    // One answer for every failure, so none tells a plaintext that parses from one that does not.
    expect(answered.json.detail).toBe(ENCRYPTED_REFUSAL);
  });

  it("answers an encrypted assertion whose signature fails as one that does not decrypt (no oracle)", async () => {
    const certificatePem = await spCertificate();
    const response = await answer({ nameId: "erin@corp.example", tamper: "nameId", encrypt: { certificatePem } });
    const answered = await readAnswer(response);
    expectProblem(answered, 400, "invalid_saml_response");
    expect(answered.json.detail).toBe(ENCRYPTED_REFUSAL);
  });

  it("accepts IdP-initiated responses only on a connection that allows them, to an allowlisted RelayState", async () => {
    const put = (allow: boolean) =>
      t.app.request("/t/corp/v1/admin/saml-connections/open", {
        method: "PUT",
        headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
        body: JSON.stringify({ idp_metadata_xml: idp.metadataXml, allow_idp_initiated: allow }),
      });
    expect((await put(true)).status).toBe(200);
    const unsolicited = () =>
      idp.response({
        nameId: "frank@corp.example",
        audience: "https://auth.test.example/t/corp/v1/saml/open/metadata",
        recipient: "https://auth.test.example/t/corp/v1/saml/open/acs",
      });
    const postTo = (saml: string, relayState: string) =>
      t.app.request("/t/corp/v1/saml/open/acs", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ SAMLResponse: saml, RelayState: relayState }).toString(),
      });
    const ok = await postTo(await unsolicited(), APP);
    expect(ok.status, await ok.clone().text()).toBe(302);
    expect(new URL(ok.headers.get("location") ?? "").searchParams.get("code")).toBeTruthy();
    expectProblem(
      await readAnswer(await postTo(await unsolicited(), "https://evil.example/")),
      400,
      "invalid_redirect_uri",
    );
    expect((await put(false)).status).toBe(200);
    expectProblem(await readAnswer(await postTo(await unsolicited(), APP)), 400, "invalid_saml_response");
  });
});

describe("certificate rollover and metadata", () => {
  it("accepts responses signed by either certificate the IdP publishes during a rollover", async () => {
    const next = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
    // Metadata with the current and the next certificate; responses signed by either verify.
    const rolling = createSamlIdp({
      entityId: "https://idp.test/metadata",
      ssoUrl: "https://idp.test/sso",
      keys: { signing: { certificatePem: idp.certificatePem, privateKeyPem: idp.privateKeyPem } },
      extraSigningCertificates: [next.certificatePem],
    });
    const put = await t.app.request("/t/corp/v1/admin/saml-connections/roll", {
      method: "PUT",
      headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
      body: JSON.stringify({ idp_metadata_xml: rolling.metadataXml }),
    });
    expect(put.status).toBe(200);
    for (const signer of [idp, next]) {
      const query = new URLSearchParams({ redirect_uri: APP, state: "r" });
      const start = await t.app.request(`/t/corp/v1/saml/roll/login?${query}`);
      const request = signer.parseAuthnRequest(start.headers.get("location") ?? "");
      const saml = await signer.response({ nameId: "roll@corp.example", respondTo: request });
      const response = await t.app.request("/t/corp/v1/saml/roll/acs", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ SAMLResponse: saml, RelayState: request.relayState ?? "" }).toString(),
      });
      expect(
        new URL(response.headers.get("location") ?? "").searchParams.get("code"),
        await response.clone().text(),
      ).toBeTruthy();
    }
  });

  it("publishes SP metadata that is valid against the SAML metadata schema", async () => {
    const xml = await (await t.app.request("/t/corp/v1/saml/acme/metadata")).text();
    const validator = createXmllintSchemaValidator(await loadXmllintWasm());
    expect(await validator.validate(xml)).toEqual({ valid: true, errors: [] });
  });
});

describe("attacks on the ACS", () => {
  it.each([
    ["unsigned", { sign: "none" }],
    ["signed by another key", { signWith: "other" }],
    ["edited after signing", { tamper: "nameId" }],
    ["signature value flipped", { tamper: "signatureValue" }],
    ["wrong audience", { audience: "https://someone-else.example/sp" }],
    ["wrong recipient", { recipient: "https://evil.example/acs" }],
    ["wrong destination", { destination: "https://evil.example/acs" }],
    ["expired", { now: new Date(Date.now() - 3_600_000), notOnOrAfter: new Date(Date.now() - 1_800_000) }],
    ["not yet valid", { notBefore: new Date(Date.now() + 3_600_000), notOnOrAfter: new Date(Date.now() + 7_200_000) }],
    ["unknown InResponseTo", { inResponseTo: "_not-a-request-of-ours" }],
    ["DOCTYPE with an entity", { doctype: "entity" }],
    ["billion laughs", { doctype: "billion-laughs" }],
    ["another issuer", { issuer: "https://evil.example/idp" }],
  ] as [string, Partial<SamlResponseOptions>][])("refuses a response %s", async (_name, options) => {
    await expectRefused(await answer(options));
  });

  it.each(WRAP_VARIANTS)("refuses signature wrapping: %s", async (variant) => {
    const sign = variant.startsWith("response") ? "response" : "assertion";
    await expectRefused(await answer({ sign, wrap: variant }));
  });

  it("refuses a replayed response and a reused request", async () => {
    const request = await startLogin();
    const saml = await idp.response({ nameId: "bob@corp.example", respondTo: request });
    expect((await post(saml, request.relayState)).status).toBe(302);
    await expectRefused(await post(saml, request.relayState));
  });

  it("refuses a RelayState that is not the request's", async () => {
    const request = await startLogin();
    const saml = await idp.response({ nameId: "carol@corp.example", respondTo: request });
    await expectRefused(await post(saml, "some-other-relay-state"));
  });

  it("refuses unsolicited responses unless the connection allows them", async () => {
    const saml = await idp.response({
      nameId: "dave@corp.example",
      audience: `https://auth.test.example/t/corp/v1/saml/acme/metadata`,
      recipient: "https://auth.test.example/t/corp/v1/saml/acme/acs",
    });
    expectProblem(await readAnswer(await post(saml, APP)), 400, "invalid_saml_response");
  });

  it("refuses oversized input (413) and garbage base64 (400)", async () => {
    expectProblem(await readAnswer(await post("A".repeat(300 * 1024), undefined)), 413, "payload_too_large");
    expectProblem(await readAnswer(await post("%%%not base64%%%", undefined)), 400, "invalid_saml_response");
    expectProblem(await readAnswer(await post(btoa("<not-xml"), undefined)), 400, "invalid_saml_response");
  });
});

describe("pending requests and trusted emails", () => {
  /** Starts a login on a tenant's connection and answers it at that tenant's SP. */
  async function loginAt(tenant: string, connection: string, nameId: string) {
    const query = new URLSearchParams({ redirect_uri: APP, state: "s" });
    const start = await t.app.request(`/t/${tenant}/v1/saml/${connection}/login?${query}`);
    const request = idp.parseAuthnRequest(start.headers.get("location") ?? "");
    return { request, saml: await idp.response({ nameId, respondTo: request }) };
  }
  const postTo = (tenant: string, connection: string, saml: string, relayState: string | undefined) =>
    t.app.request(`/t/${tenant}/v1/saml/${connection}/acs`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ SAMLResponse: saml, RelayState: relayState ?? "" }).toString(),
    });
  const putConnection = (tenant: string, name: string, extra: Record<string, unknown> = {}) =>
    t.app.request(`/t/${tenant}/v1/admin/saml-connections/${name}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
      body: JSON.stringify({ idp_metadata_xml: idp.metadataXml, ...extra }),
    });

  it("a response posted to another tenant's ACS does not spend the pending login", async () => {
    const api = appClient(t);
    await api.createTenant("other");
    expect((await api.redirectUris("other", [APP])).status).toBe(200);
    expect((await putConnection("other", "acme")).status).toBe(200);
    const { request, saml } = await loginAt("corp", "acme", "grace@corp.example");
    expectProblem(
      await readAnswer(await postTo("other", "acme", saml, request.relayState)),
      400,
      "invalid_saml_response",
    );
    const mine = await postTo("corp", "acme", saml, request.relayState);
    expect(
      new URL(mine.headers.get("location") ?? "").searchParams.get("code"),
      await mine.clone().text(),
    ).toBeTruthy();
  });

  it("keeps a pending request sealed at rest under its own key: no RelayState in Redis, no opening elsewhere", async () => {
    const tenant = await t.services.tenants.require("corp");
    const started = async () => {
      const request = await startLogin();
      const key = `saml-request:${tenant.id}:acme:${request.id}`;
      return { request, key, stored: (await t.deps.kv.get(key)) ?? "" };
    };
    const codeOf = (response: Response) => new URL(response.headers.get("location") ?? "").searchParams.get("code");
    const first = await started();
    const second = await started();
    // Neither the RelayState (which, with the request ID in the key's name, spends the login) nor the return target.
    expect(first.stored).toMatch(/^s1\./);
    for (const text of [first.request.relayState ?? "-", "app.example.com", "client-state"]) {
      expect(first.stored).not.toContain(text);
    }
    // The first request's state moved under the second's ID does not open there: an answer to the second with the
    // first's RelayState finds no pending request.
    await t.deps.kv.set(second.key, first.stored, { ttlMs: 60_000 });
    const moved = await idp.response({ nameId: "judy@corp.example", respondTo: second.request });
    expectProblem(await readAnswer(await post(moved, first.request.relayState)), 400, "invalid_saml_response");
    // The first still completes.
    const own = await idp.response({ nameId: "judy@corp.example", respondTo: first.request });
    expect(codeOf(await post(own, first.request.relayState))).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A request an instance of the release before stored in clear still completes (rolling upgrade).
    const third = await started();
    await t.deps.kv.set(third.key, await t.deps.sealer.open(third.stored, third.key), { ttlMs: 60_000 });
    const legacy = await idp.response({ nameId: "judy@corp.example", respondTo: third.request });
    expect(codeOf(await post(legacy, third.request.relayState))).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("counts the IdP's email as verified only on a connection with trust_email", async () => {
    const stored = await putConnection("corp", "trusted", { trust_email: true });
    expect(await stored.json()).toMatchObject({ trust_email: true });
    const emailVerified = async (connection: string, nameId: string) => {
      const { request, saml } = await loginAt("corp", connection, nameId);
      const back = new URL((await postTo("corp", connection, saml, request.relayState)).headers.get("location") ?? "");
      const exchange = await t.app.request("/t/corp/v1/token/exchange", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ code: back.searchParams.get("code") }),
      });
      const tokens = (await exchange.json()) as TokenBody;
      return ((await (await appClient(t).me("corp", tokens.access_token)).json()) as Record<string, unknown>)
        .email_verified;
    };
    expect(await emailVerified("acme", "heidi@corp.example")).toBe(false);
    expect(await emailVerified("trusted", "ivan@corp.example")).toBe(true);
  });
});
