/**
 * Look-alike email addresses, as attacks: an address that displays like an
 * existing one but is a distinct account (invisible characters, bidi
 * controls, mixed scripts), and one mailbox spelled two ways (a Unicode
 * domain and its A-label) that became two accounts.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMAIL_INDEX_PURPOSE } from "../../src/core/accounts/user-rows.js";
import { appClient, decode, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const TENANT = "lookalike";
const ATTACKER_PASSWORD = "attacker's own password 4711";
let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant(TENANT);
  expect((await api.signup(TENANT, "ann@example.com")).status).toBe(201);
});
afterAll(async () => {
  await db?.end();
  await t?.close();
});

const subOf = async (response: Response) => {
  expect(response.status, await response.clone().text()).toBe(200);
  return decode(((await response.json()) as TokenBody).access_token).claims.sub;
};

/** Addresses that display like ann@example.com (or close to it) but are other strings. */
const LOOKALIKES: [string, string][] = [
  ["a zero-width space", "an\u200Bn@example.com"],
  ["a zero-width non-joiner", "ann\u200C@example.com"],
  ["a zero-width joiner", "a\u200Dnn@example.com"],
  ["a word joiner", "ann\u2060@example.com"],
  ["a soft hyphen", "an\u00ADn@example.com"],
  ["a combining grapheme joiner", "ann\u034F@example.com"],
  ["a Hangul filler", "ann\u3164@example.com"],
  ["a right-to-left override", "\u202Enn@example.com"],
  ["a left-to-right mark", "ann\u200E@example.com"],
  ["an Arabic letter mark", "ann\u061C@example.com"],
  ["isolate controls", "\u2066ann\u2069@example.com"],
  ["tag characters", "ann\u{E0061}\u{E007F}@example.com"],
  ["a variation selector", "ann\uFE0F@example.com"],
  ["a Cyrillic а among Latin letters", "\u0430nn@example.com"],
  ["a Greek ο among Latin letters", "ann.sm\u03BFith@example.com"],
  ["a private-use character", "ann\uE000@example.com"],
];

describe("look-alike addresses", () => {
  it.each(LOOKALIKES)("refuses a sign-up whose address holds %s (400 on email)", async (_name, email) => {
    const answer = await readAnswer(await api.signup(TENANT, email, ATTACKER_PASSWORD));
    expectProblem(answer, 400, "validation_failed");
    expect(answer.json.errors).toMatchObject([{ path: "email" }]);
  });

  it.each([
    ["Latin", "jose.garcia@example.com"],
    ["Latin with accents", "José.Ñúñez@example.com"],
    ["Cyrillic", "иван.петров@example.com"],
    ["Greek", "ελένη@example.gr"],
    ["Japanese (Han, Hiragana, Katakana with Latin)", "yamada山田たろうタロウ@example.jp"],
    ["Korean (Hangul, Han)", "김철수金@example.kr"],
    ["Devanagari with a combining sign", "अनु@example.in"],
  ])("accepts a local part of one script: %s", async (_name, email) => {
    expect((await api.signup(TENANT, email)).status).toBe(201);
  });

  it("fails a login with a look-alike of a real address like an unknown email (401, the same body)", async () => {
    const unknown = await readAnswer(await api.login(TENANT, "nobody@example.com", ATTACKER_PASSWORD));
    expectProblem(unknown, 401, "invalid_credentials");
    for (const [, email] of LOOKALIKES) {
      // The attacker tried to register it first; neither that password nor the real owner's opens anything.
      await api.signup(TENANT, email, ATTACKER_PASSWORD);
      for (const password of [ATTACKER_PASSWORD, GOOD_PASSWORD]) {
        const answer = await readAnswer(await api.login(TENANT, email, password));
        expectProblem(answer, 401, "invalid_credentials");
        expect(answer.json, email).toEqual(unknown.json);
      }
    }
  });
});

describe("one mailbox, two domain spellings", () => {
  it("makes a Unicode domain and its A-label one account (409 email_taken; both log in to it)", async () => {
    const signup = await api.signup(TENANT, "bea@exämple.com");
    expect(signup.status).toBe(201);
    const { user } = (await signup.json()) as { user: { id: string; email: string } };
    // Stored and shown in A-labels: the form every mail server accepts, and in which a homograph shows.
    expect(user.email).toBe("bea@xn--exmple-cua.com");
    for (const spelling of ["bea@xn--exmple-cua.com", "BEA@EXÄMPLE.COM", "bea@XN--EXMPLE-CUA.com"]) {
      expectProblem(await readAnswer(await api.signup(TENANT, spelling, ATTACKER_PASSWORD)), 409, "email_taken");
      expect(await subOf(await api.login(TENANT, spelling))).toBe(user.id);
    }
  });

  it("finds a row indexed under the former lookup key (the Unicode spelling) by either spelling", async () => {
    const signup = await api.signup(TENANT, "cleo@exämple.com");
    const { user } = (await signup.json()) as { user: { id: string; tenant_id: string } };
    // As the row was written before domains were compared as A-labels: Unicode address, Unicode key.
    const { sealer } = t.deps;
    await db.query("UPDATE users SET email_index = $1, email_sealed = $2 WHERE id = $3", [
      await sealer.blindIndex("cleo@exämple.com", EMAIL_INDEX_PURPOSE),
      await sealer.seal("cleo@exämple.com", `users.email:${user.tenant_id}:${user.id}`),
      user.id,
    ]);
    for (const spelling of ["cleo@exämple.com", "cleo@xn--exmple-cua.com", "Cleo@EXÄMPLE.com"]) {
      expect(await subOf(await api.login(TENANT, spelling))).toBe(user.id);
      expectProblem(await readAnswer(await api.signup(TENANT, spelling, ATTACKER_PASSWORD)), 409, "email_taken");
    }
  });

  it("lets an account made before the rules under a now-refused address still log in, and no one sign up as it", async () => {
    const lookalike = "\u0430nna@example.com"; // Cyrillic а, then Latin
    const signup = await api.signup(TENANT, "anna.placeholder@example.com");
    const { user } = (await signup.json()) as { user: { id: string; tenant_id: string } };
    // As the row was written before the rules: the address and its key as typed, lower-cased.
    await db.query("UPDATE users SET email_index = $1, email_sealed = $2 WHERE id = $3", [
      await t.deps.sealer.blindIndex(lookalike, EMAIL_INDEX_PURPOSE),
      await t.deps.sealer.seal(lookalike, `users.email:${user.tenant_id}:${user.id}`),
      user.id,
    ]);
    expect(await subOf(await api.login(TENANT, lookalike))).toBe(user.id);
    expectProblem(await readAnswer(await api.login(TENANT, lookalike, ATTACKER_PASSWORD)), 401, "invalid_credentials");
    expectProblem(await readAnswer(await api.signup(TENANT, lookalike, ATTACKER_PASSWORD)), 400, "validation_failed");
  });

  it("finds the mailbox a compatibility form stands for (NFKC), and takes no new address in one", async () => {
    const signup = await api.signup(TENANT, "norm@example.com");
    const { user } = (await signup.json()) as { user: { id: string; tenant_id: string } };
    for (const spelling of ["ｎｏｒｍ@example.com", "ＮＯＲＭ@example.com"]) {
      expect(await subOf(await api.login(TENANT, spelling))).toBe(user.id);
    }
    // Mail would go to the spelling as typed: an account under it would hold norm@'s place without reaching it.
    for (const squat of ["ｓｑｕａｔ@example.com", "ſtrasse@example.com", "ﬁle@example.com"]) {
      const answer = await readAnswer(await api.signup(TENANT, squat, ATTACKER_PASSWORD));
      expectProblem(answer, 400, "validation_failed");
      expect(answer.json.errors).toMatchObject([{ path: "email", message: expect.stringMatching(/full-width/) }]);
    }
    // A row indexed before the rule, under its address as typed, is still found by that spelling.
    const old = await api.signup(TENANT, "old.placeholder@example.com");
    const made = (await old.json()) as { user: { id: string; tenant_id: string } };
    await db.query("UPDATE users SET email_index = $1, email_sealed = $2 WHERE id = $3", [
      await t.deps.sealer.blindIndex("ｏｌｄ@example.com", EMAIL_INDEX_PURPOSE),
      await t.deps.sealer.seal("ｏｌｄ@example.com", `users.email:${made.user.tenant_id}:${made.user.id}`),
      made.user.id,
    ]);
    expect(await subOf(await api.login(TENANT, "ｏｌｄ@example.com"))).toBe(made.user.id);
  });

  it("counts failed logins of both spellings on one throttle counter", async () => {
    expect((await api.signup(TENANT, "dora@exämple.com")).status).toBe(201);
    const login = (email: string) =>
      t.app.request(`/t/${TENANT}/v1/login`, {
        method: "POST",
        headers: { ...JSON_HEADERS, "X-Test-Client-Ip": "192.0.2.77" },
        body: JSON.stringify({ email, password: "a wrong password 1" }),
      });
    // Five failures from one network, alternating spellings; the sixth attempt waits.
    for (const email of ["dora@exämple.com", "dora@xn--exmple-cua.com"].flatMap((e) => [e, e, e]).slice(0, 5)) {
      expectProblem(await readAnswer(await login(email)), 401, "invalid_credentials");
    }
    expectProblem(await readAnswer(await login("dora@xn--exmple-cua.com")), 429, "rate_limited");
  });
});
