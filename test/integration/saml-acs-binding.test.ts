/**
 * What the ACS reads from a verified response, as an attack suite: every
 * value a decision rests on comes from the signed assertion's elements
 * (never from comment text, which exclusive C14N drops so signatures still
 * verify), the request it answers from its bearer SubjectConfirmationData
 * (SAML Profiles §4.1.4.2-4.1.4.3), and every Condition and bearer
 * confirmation window is honoured (SAML Core §2.5.1.4). Real Postgres and
 * Redis, the independent test IdP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { asSamlResponse } from "../support/saml-forge.js";
import { createSamlIdp, type SamlIdp, type SamlResponseOptions } from "../support/saml-idp.js";

const APP = "https://app.example.com/after-sso";
let t: TestApp;
let idp: SamlIdp;

const sp = (connection: string) => ({
  audience: `${TEST_PUBLIC_URL}/t/corp/v1/saml/${connection}/metadata`,
  recipient: `${TEST_PUBLIC_URL}/t/corp/v1/saml/${connection}/acs`,
});

beforeAll(async () => {
  t = await startTestApp();
  const api = appClient(t);
  await api.createTenant("corp");
  expect((await api.redirectUris("corp", [APP])).status).toBe(200);
  idp = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
  for (const [name, allow] of [
    ["acme", false],
    ["open", true],
  ] as const) {
    const put = await t.app.request(`/t/corp/v1/admin/saml-connections/${name}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
      body: JSON.stringify({ idp_metadata_xml: idp.metadataXml, allow_idp_initiated: allow }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
  }
});
afterAll(async () => {
  await t.close();
});

async function startLogin(connection = "acme") {
  const query = new URLSearchParams({ redirect_uri: APP, state: "client-state" });
  const response = await t.app.request(`/t/corp/v1/saml/${connection}/login?${query}`);
  expect(response.status).toBe(302);
  return idp.parseAuthnRequest(response.headers.get("location") ?? "");
}

const post = (connection: string, saml: string, relayState: string | undefined) =>
  t.app.request(`/t/corp/v1/saml/${connection}/acs`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ SAMLResponse: saml, ...(relayState ? { RelayState: relayState } : {}) }).toString(),
  });

/** A login at `acme` answered with these options. */
async function answer(options: Partial<SamlResponseOptions>) {
  const request = await startLogin();
  return post(
    "acme",
    await idp.response({ nameId: "alice@corp.example", respondTo: request, ...options }),
    request.relayState,
  );
}

/** The redirect back to the app; resolves its parameters. */
async function redirected(response: Response): Promise<URLSearchParams> {
  expect(response.status, await response.clone().text()).toBe(302);
  const back = new URL(response.headers.get("location") ?? "");
  expect(back.origin + back.pathname).toBe(APP);
  return back.searchParams;
}

const codeOf = async (response: Response) => {
  const params = await redirected(response);
  expect(params.get("error_description"), params.toString()).toBeNull();
  return params.get("code") ?? "";
};

/** Refused after the login was known: back to the app with an error, no code; resolves its description. */
async function refusedBack(response: Response): Promise<string> {
  const params = await redirected(response);
  expect(params.get("code")).toBeNull();
  expect(params.get("error")).toBe("access_denied");
  return params.get("error_description") ?? "";
}

/** Sets (or adds) the Response element's InResponseTo: unsigned when only the assertion is signed. */
const responseInResponseTo = (id: string | null) => (xml: string) =>
  xml.replace(/<samlp:Response\b[^>]*>/, (tag) => {
    const without = tag.replace(/\sInResponseTo="[^"]*"/, "");
    return id === null ? without : without.replace(/>$/, ` InResponseTo="${id}">`);
  });

describe("the replay key is the signed assertion's ID", () => {
  it.each([
    ["after the Response start tag", /(<samlp:Response\b[^>]*>)/],
    ["inside the Assertion", /(<saml:Assertion\b[^>]*><saml:Issuer>[^<]*<\/saml:Issuer>)/],
  ])("refuses a replay with a fake Assertion start tag in a comment %s", async (_where, at) => {
    const saml = await idp.responseXml({ nameId: "replay@corp.example", ...sp("open"), sign: "both" });
    expect(await codeOf(await post("open", asSamlResponse(saml), APP))).toMatch(/^[\w-]{43}$/);
    for (const fake of ["_fake1", "_fake2"]) {
      // Exclusive C14N drops comments: both signatures still verify.
      const replayed = saml.replace(at, `$1<!-- <saml:Assertion ID="${fake}"> -->`);
      expect(replayed).not.toBe(saml);
      expect(await refusedBack(await post("open", asSamlResponse(replayed), APP))).toBe(
        "The assertion was already used.",
      );
    }
  });

  it("reads NameID as signed, whole, when a comment splits its text", async () => {
    const saml = await idp.response({
      ...sp("open"),
      nameId: "victim@corp.example.evil.test",
      attributes: {},
      sign: "both",
      tamper: { commentInNameId: "victim@corp.example" },
    });
    const code = await codeOf(await post("open", saml, APP));
    const exchange = await t.app.request("/t/corp/v1/token/exchange", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ code }),
    });
    const tokens = (await exchange.json()) as TokenBody;
    const me = (await (await appClient(t).me("corp", tokens.access_token)).json()) as Record<string, unknown>;
    expect(me.email).toBe("victim@corp.example.evil.test");
  });
});

describe("the request a response answers is the one its assertion names", () => {
  it("refuses a victim's assertion whose Response InResponseTo was rewritten to another login's request", async () => {
    const victim = await startLogin();
    const attacker = await startLogin();
    const saml = await idp.responseXml({ nameId: "victim@corp.example", respondTo: victim, sign: "assertion" });
    const redirected = responseInResponseTo(attacker.id)(saml);
    expectProblem(
      await readAnswer(await post("acme", asSamlResponse(redirected), attacker.relayState)),
      400,
      "invalid_saml_response",
    );
    // Nothing was spent: the victim's own login still finishes.
    expect(await codeOf(await post("acme", asSamlResponse(saml), victim.relayState))).toMatch(/^[\w-]{43}$/);
  });

  it.each(["acme", "open"])(
    "refuses an unsolicited assertion given an InResponseTo on its Response (%s)",
    async (connection) => {
      const attacker = await startLogin(connection);
      const unsolicited = await idp.responseXml({ nameId: "victim@corp.example", ...sp(connection) });
      const saml = asSamlResponse(responseInResponseTo(attacker.id)(unsolicited));
      expectProblem(await readAnswer(await post(connection, saml, attacker.relayState)), 400, "invalid_saml_response");
    },
  );

  it("binds a response by its assertion's InResponseTo when the Response carries none", async () => {
    expect(await codeOf(await answer({ tamper: responseInResponseTo(null) }))).toMatch(/^[\w-]{43}$/);
  });

  it("refuses an assertion answering no request of ours even with the Response naming ours", async () => {
    const request = await startLogin();
    const saml = await idp.responseXml({
      nameId: "alice@corp.example",
      respondTo: request,
      inResponseTo: "_another-sps-request",
      tamper: responseInResponseTo(request.id),
    });
    expectProblem(
      await readAnswer(await post("acme", asSamlResponse(saml), request.relayState)),
      400,
      "invalid_saml_response",
    );
  });
});

/** Edits the assertion before the IdP signs it: a correctly signed assertion that says this. */
const signed = (edit: (assertion: string) => string): Partial<SamlResponseOptions> => ({
  beforeSigning: { assertion: edit },
});
const confirmationData = (edit: (attributes: string) => string) =>
  signed((xml) =>
    xml.replace(/<saml:SubjectConfirmationData\b([^>]*)\/>/, (_m, a) => `<saml:SubjectConfirmationData${edit(a)}/>`),
  );
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const withNotOnOrAfter = (when: string | null) =>
  confirmationData((a) => a.replace(/ NotOnOrAfter="[^"]*"/, when === null ? "" : ` NotOnOrAfter="${when}"`));
const secondRestriction = (audiences: string[]) =>
  signed((xml) =>
    xml.replace(
      "</saml:AudienceRestriction>",
      `</saml:AudienceRestriction><saml:AudienceRestriction>${audiences.map((a) => `<saml:Audience>${a}</saml:Audience>`).join("")}</saml:AudienceRestriction>`,
    ),
  );

describe("conditions and the bearer confirmation", () => {
  it.each([
    ["has expired while the Conditions have not", withNotOnOrAfter(at(-5 * 60_000)), "expired"],
    ["has no NotOnOrAfter", withNotOnOrAfter(null), "NotOnOrAfter"],
    ["is not valid yet (NotBefore)", confirmationData((a) => `${a} NotBefore="${at(5 * 60_000)}"`), "not valid yet"],
  ] as const)("refuses an assertion whose bearer SubjectConfirmationData %s", async (_name, options, reason) => {
    expect(await refusedBack(await answer(options))).toContain(reason);
  });

  it("allows the same 60 s clock skew on the bearer confirmation as on the Conditions", async () => {
    expect(await codeOf(await answer(withNotOnOrAfter(at(-30_000))))).toMatch(/^[\w-]{43}$/);
  });

  it("refuses a second AudienceRestriction that does not name this service provider", async () => {
    const reason = await refusedBack(await answer(secondRestriction(["https://other-sp.example/metadata"])));
    expect(reason).toBe("The assertion's Audience is not this service provider.");
  });

  it("refuses a Response whose own Issuer is not the IdP (Profiles §4.1.4.2)", async () => {
    const otherIssuer = (xml: string) =>
      xml.replace(/(<samlp:Response\b[^>]*><saml:Issuer>)[^<]*/, "$1https://evil.example/idp");
    const reason = await refusedBack(await answer({ tamper: otherIssuer }));
    expect(reason).toBe("The Response's Issuer is not the IdP.");
  });

  it("accepts two AudienceRestrictions that both name this service provider", async () => {
    const both = secondRestriction(["https://other-sp.example/metadata", sp("acme").audience]);
    expect(await codeOf(await answer(both))).toMatch(/^[\w-]{43}$/);
  });
});

describe("the IdP's failure status (no assertion)", () => {
  const RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder";

  it("quotes the IdP's status in error_description only in the characters RFC 6749 §4.1.2.1 allows", async () => {
    const request = await startLogin();
    const failed = await idp.response({ nameId: "a@corp.example", respondTo: request, statusCode: "urn:x:Réfusé§\\" });
    const params = await redirected(await post("acme", failed, request.relayState));
    expect(params.get("error_description")).toBe(
      "The identity provider did not sign the user in (urn:x:R?fus?section /).",
    );
  });

  it("ends the pending login at the client with access_denied, once; elsewhere it is 400", async () => {
    const request = await startLogin();
    const failed = await idp.response({ nameId: "alice@corp.example", respondTo: request, statusCode: RESPONDER });
    const params = await redirected(await post("acme", failed, request.relayState));
    expect(Object.fromEntries(params)).toEqual({
      error: "access_denied",
      error_description: "The identity provider did not sign the user in (Responder).",
      state: "client-state",
    });
    // The pending login is spent: the same answer again, or with another RelayState, finds none.
    expectProblem(await readAnswer(await post("acme", failed, request.relayState)), 400, "invalid_saml_response");
    const other = await startLogin();
    const misdirected = await idp.response({ nameId: "a@corp.example", respondTo: other, statusCode: RESPONDER });
    expectProblem(
      await readAnswer(await post("acme", misdirected, "not-its-relay-state")),
      400,
      "invalid_saml_response",
    );
    // A Success status without an assertion is no answer at all.
    const xml = (await idp.responseXml({ nameId: "a@corp.example", respondTo: other, statusCode: RESPONDER })).replace(
      RESPONDER,
      "urn:oasis:names:tc:SAML:2.0:status:Success",
    );
    const empty = Buffer.from(xml).toString("base64");
    expectProblem(await readAnswer(await post("acme", empty, other.relayState)), 400, "invalid_saml_response");
  });
});
