import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOOD_PASSWORD, type TokenBody } from "../support/accounts.js";
import { TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { withFailingScript } from "../support/failing-store.js";
import { type MailTestApp, startMailTestApp } from "../support/mail-app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { linkToken, type TestSmtpServer } from "../support/smtp-server.js";
import { totpCode } from "../support/totp.js";

const NEW_PASSWORD = "a brand new passphrase 42";
let m: MailTestApp;
let smtp: TestSmtpServer;
let t: TestApp;
let api: MailTestApp["api"];
let db: MailTestApp["db"];

beforeAll(async () => {
  m = await startMailTestApp();
  ({ smtp, t, api, db } = m);
});
afterAll(async () => {
  await m.close();
});

let n = 0;
const address = (label: string) => `${label}-${n++}@example.com`;

async function signup(email: string, tenant = "acme"): Promise<TokenBody & { user: { id: string } }> {
  const response = await api.signup(tenant, email);
  expect(response.status).toBe(201);
  return (await response.json()) as TokenBody & { user: { id: string } };
}

const mailsTo = async (email: string) => (await smtp.received()).filter((m) => m.to.includes(email));
const resetMail = (email: string, nth = 1) =>
  smtp.waitFor((m) => m.to.includes(email) && m.text.includes("/password/reset?token="), { nth });

async function forgotToken(email: string, nth = 1): Promise<string> {
  const response = await api.forgot("acme", email);
  expect(response.status).toBe(202);
  return linkToken(await resetMail(email, nth), "password/reset");
}

/** An account of `email` with a confirmed TOTP app, enrolled through the API. */
async function withTotp(email: string) {
  const user = await signup(email);
  const auth = { "Content-Type": "application/json", Authorization: `Bearer ${user.access_token}` };
  const enrollment = (await (await api.post("/t/acme/v1/mfa/totp", {}, auth)).json()) as {
    id: string;
    secret: string;
  };
  const code = await totpCode(decodeBase32IgnorePadding(enrollment.secret));
  const confirmed = await api.post(`/t/acme/v1/mfa/totp/${enrollment.id}/confirm`, { code }, auth);
  expect(confirmed.status).toBe(200);
  return { ...user, recoveryCodes: ((await confirmed.json()) as { recovery_codes: string[] }).recovery_codes };
}
const loginAnswer = async (email: string) =>
  (await (await api.login("acme", email, NEW_PASSWORD)).json()) as Record<string, unknown>;

describe("forgot password", () => {
  it("mails an existing account a reset link under the tenant's URL, valid for 30 minutes", async () => {
    const email = address("forgot");
    await signup(email);
    const response = await api.forgot("acme", email);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "accepted" });
    const mail = await resetMail(email);
    expect(mail.text).toContain(`${TEST_PUBLIC_URL}/t/acme/password/reset?token=`);
    expect(mail.text).toMatch(/30 minutes/);
    expect(mail.html).toContain(`${TEST_PUBLIC_URL}/t/acme/password/reset?token=`);
    expect(linkToken(mail, "password/reset")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Stored as a hash only.
    const { rows } = await db.query("select token_hash from account_tokens where purpose = 'password_reset'");
    expect(rows.map((r) => r.token_hash)).not.toContain(linkToken(mail, "password/reset"));
  });

  it("answers an unknown address exactly like a known one, and sends nothing", async () => {
    const known = address("known");
    await signup(known);
    const unknown = address("nobody");
    const a = await readAnswer(await api.forgot("acme", known));
    const b = await readAnswer(await api.forgot("acme", unknown));
    expect([a.status, a.text]).toEqual([b.status, b.text]);
    for (const header of ["content-type", "content-length", "cache-control", "ratelimit-policy"]) {
      expect(a.headers.get(header)).toBe(b.headers.get(header));
    }
    await resetMail(known);
    await t.services.background.drain();
    await t.services.mailOutbox?.drain();
    expect(await mailsTo(unknown)).toEqual([]);
  });

  it("does the same work before answering for an unknown address as for a known one (no timing oracle)", async () => {
    const known = address("parity");
    await signup(known);
    const counted = async (email: string) => {
      const calls: string[] = [];
      const db = t.deps.db;
      const users = db.users;
      const original = { find: users.findByEmailIndex, run: t.deps.kv.run };
      users.findByEmailIndex = (...args) => {
        calls.push("users.findByEmailIndex");
        return original.find.apply(users, args);
      };
      t.deps.kv.run = ((...args: Parameters<typeof t.deps.kv.run>) => {
        calls.push(`kv.run:${args[0].name}`);
        return original.run.apply(t.deps.kv, args);
      }) as typeof t.deps.kv.run;
      try {
        expect((await api.forgot("acme", email)).status).toBe(202);
        // What ran before the answer; the background (lookup, token, mail) follows it.
        return [...calls];
      } finally {
        users.findByEmailIndex = original.find;
        t.deps.kv.run = original.run;
        await t.services.background.drain();
      }
    };
    const forKnown = await counted(known);
    const forUnknown = await counted(address("parity-nobody"));
    expect(forKnown).toEqual(forUnknown);
    expect(forKnown).not.toContain("users.findByEmailIndex");
  });

  it("refuses what is not an address, and addresses carrying header injection, sending nothing", async () => {
    for (const email of ["not-an-address", "ann@example.com\r\nBcc: evil@attacker.test", "x".repeat(400)]) {
      const answer = await readAnswer(await api.forgot("acme", email));
      expectProblem(answer, 400, "validation_failed");
    }
    expect((await smtp.received()).filter((m) => m.to.includes("attacker.test"))).toEqual([]);
  });

  it("limits the mails one address can be sent, however many networks ask (429 for known and unknown alike)", async () => {
    const known = address("bomb");
    await signup(known); // the verification mail is another kind and not counted here
    const unknown = address("bomb-nobody");
    for (const email of [known, unknown]) {
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await api.forgot("acme", email)).status);
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    }
    await t.services.background.drain();
    await t.services.mailOutbox?.drain();
    expect((await mailsTo(known)).filter((m) => m.text.includes("/password/reset?token="))).toHaveLength(5);
  });

  it("limits mail-sending requests per client network", async () => {
    const headers = { "Content-Type": "application/json", "X-Test-Client-Ip": "203.0.113.77" };
    const statuses = [];
    for (let i = 0; i < 21; i++) statuses.push((await api.forgot("acme", address("net"), headers)).status);
    expect(statuses.slice(0, 20).every((s) => s === 202)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});

describe("reset password", () => {
  it("sets the password, ends every session at once, and spends the link", async () => {
    const email = address("reset");
    const first = await signup(email);
    const second = (await (await api.login("acme", email)).json()) as TokenBody;
    const token = await forgotToken(email);

    expect((await api.reset("acme", token, NEW_PASSWORD)).status).toBe(204);
    for (const session of [first, second]) {
      expect((await api.me("acme", session.access_token)).status).toBe(401);
      expectProblem(await readAnswer(await api.refresh("acme", session.refresh_token)), 401, "invalid_grant");
    }
    expectProblem(await readAnswer(await api.login("acme", email)), 401, "invalid_credentials");
    expect((await api.login("acme", email, NEW_PASSWORD)).status).toBe(200);
    expectProblem(await readAnswer(await api.reset("acme", token, "yet another passphrase 7")), 400, "invalid_token");
    // The owner is told.
    await smtp.waitFor((m) => m.to.includes(email) && /password was changed/i.test(m.subject));
  });

  it("keeps the link usable when ending the sessions fails (Redis down), and its retry ends them all", async () => {
    const email = address("outage");
    const first = await signup(email);
    const token = await forgotToken(email);
    const reset = await withFailingScript(t.deps.kv, "revoke_session_state", () =>
      api.reset("acme", token, NEW_PASSWORD),
    );
    expect(reset.status).toBeGreaterThanOrEqual(500);
    // Nothing was spent or changed: the old password still works, and the link too.
    expect((await api.login("acme", email)).status).toBe(200);
    expect((await api.reset("acme", token, NEW_PASSWORD)).status).toBe(204);
    expect((await api.me("acme", first.access_token)).status).toBe(401);
    expectProblem(await readAnswer(await api.refresh("acme", first.refresh_token)), 401, "invalid_grant");
  });

  it("keeps the link usable when the new password is refused by the policy", async () => {
    const email = address("weak");
    await signup(email);
    const token = await forgotToken(email);
    const answer = await readAnswer(await api.reset("acme", token, "short"));
    expectProblem(answer, 400, "validation_failed");
    expect(JSON.stringify(answer.json.errors)).toContain("password");
    // Counted in code points as given, not after NFKC (where U+FDFA is 18 of them).
    const expanding = await readAnswer(await api.reset("acme", token, "\ufdfa"));
    expectProblem(expanding, 400, "validation_failed");
    expect(expanding.json.errors).toEqual([{ path: "password", message: "must be at least 8 characters long" }]);
    expect((await api.reset("acme", token, NEW_PASSWORD)).status).toBe(204);
  });

  it("refuses unknown, tampered, other-tenant, other-purpose and expired tokens", async () => {
    const email = address("attack");
    const user = await signup(email);
    const token = await forgotToken(email);
    const tampered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    for (const bad of [tampered, "A".repeat(43), "", "../../etc", "x".repeat(256)]) {
      expectProblem(await readAnswer(await api.reset("acme", bad, NEW_PASSWORD)), 400, "invalid_token");
    }
    expectProblem(await readAnswer(await api.reset("acme", "x".repeat(257), NEW_PASSWORD)), 400, "validation_failed");
    // Another tenant's endpoint does not know it, and does not spend it.
    expectProblem(await readAnswer(await api.reset("other", token, NEW_PASSWORD)), 400, "invalid_token");
    // A reset token is no verification token.
    expectProblem(await readAnswer(await api.verifyEmail("acme", token)), 400, "invalid_token");
    // A verification token is no reset token.
    const verification = linkToken(
      await smtp.waitFor((m) => m.to.includes(email) && m.text.includes("/email/verify?token=")),
      "email/verify",
    );
    expectProblem(await readAnswer(await api.reset("acme", verification, NEW_PASSWORD)), 400, "invalid_token");
    // 30 minutes later it has expired.
    m.advance(30 * 60_000 + 1_000);
    try {
      expectProblem(await readAnswer(await api.reset("acme", token, NEW_PASSWORD)), 400, "invalid_token");
    } finally {
      m.advance(0);
    }
    expect((await api.me("acme", user.access_token)).status).toBe(200);
  });

  it("lets an older link work beside a newer one, until the password changes", async () => {
    const email = address("two-links");
    await signup(email);
    const older = await forgotToken(email, 1);
    const newer = await forgotToken(email, 2);
    expect(older).not.toBe(newer);
    expect((await api.reset("acme", older, NEW_PASSWORD)).status).toBe(204);
    expectProblem(await readAnswer(await api.reset("acme", newer, "another passphrase 99")), 400, "invalid_token");
  });

  it("lifts the account's lock and every network's backoff", async () => {
    const email = address("locked");
    await signup(email);
    // 20 failures from 4 networks lock the account (docs/guides/rate-limits.md).
    for (const network of ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]) {
      const headers = { "Content-Type": "application/json", "X-Test-Client-Ip": network };
      for (let i = 0; i < 5; i++) {
        await api.post("/t/acme/v1/login", { email, password: "wrong password here" }, headers);
      }
    }
    const lockedOut = { "Content-Type": "application/json", "X-Test-Client-Ip": "203.0.113.9" };
    const locked = await api.post("/t/acme/v1/login", { email, password: GOOD_PASSWORD }, lockedOut);
    expect(locked.status).toBe(423);
    expect((await api.reset("acme", await forgotToken(email), NEW_PASSWORD)).status).toBe(204);
    for (const network of ["203.0.113.9", "203.0.113.1"]) {
      const headers = { "Content-Type": "application/json", "X-Test-Client-Ip": network };
      expect((await api.post("/t/acme/v1/login", { email, password: NEW_PASSWORD }, headers)).status).toBe(200);
    }
  });

  it("verifies the address it proved, and ends API keys made while it was unproven", async () => {
    const email = address("squatted");
    // Someone registered the address first and made a key.
    const squatter = await signup(email);
    const key = (await (
      await api.post(
        "/t/acme/v1/api-keys",
        { name: "squat", scopes: [] },
        { "Content-Type": "application/json", Authorization: `Bearer ${squatter.access_token}` },
      )
    ).json()) as { id: string };
    expect((await api.reset("acme", await forgotToken(email), NEW_PASSWORD)).status).toBe(204);
    const { rows } = await db.query("select email_verified from users where id = $1", [squatter.user.id]);
    expect(rows[0].email_verified).toBe(true);
    const keys = await db.query("select revoked_at from api_keys where id = $1", [key.id]);
    expect(keys.rows[0].revoked_at).not.toBeNull();
  });

  it("removes second factors enrolled while the address was unproven: whoever claimed it first loses the account", async () => {
    const squatted = address("factor-squat");
    const squatter = await withTotp(squatted);
    expect((await api.reset("acme", await forgotToken(squatted), NEW_PASSWORD)).status).toBe(204);
    // The owner of the mailbox signs in with the password alone: the squatter's app is gone.
    expect(await loginAnswer(squatted)).toHaveProperty("access_token");
    const left = await db.query("select id from mfa_totp where user_id = $1 and deleted_at is null", [
      squatter.user.id,
    ]);
    expect(left.rows).toEqual([]);

    // An address already proven keeps its factors: a reset does not skip the second step.
    const owned = address("factor-owned");
    const owner = await withTotp(owned);
    await db.query("update users set email_verified = true where id = $1", [owner.user.id]);
    // A second step begun with the old password (whoever held it) cannot finish after the reset.
    const pending = (await (await api.login("acme", owned)).json()) as { mfa_token: string };
    expect((await api.reset("acme", await forgotToken(owned), NEW_PASSWORD)).status).toBe(204);
    const finish = await api.post("/t/acme/v1/mfa/verify", {
      mfa_token: pending.mfa_token,
      type: "recovery_code",
      code: "0000-0000",
    });
    expectProblem(await readAnswer(finish), 401, "invalid_mfa_token");
    expect(await loginAnswer(owned)).toMatchObject({ mfa_required: true });
  });

  it("sends no link to a disabled account", async () => {
    const email = address("disabled");
    const user = await signup(email);
    await db.query("update users set disabled_at = now() where id = $1", [user.user.id]);
    expect((await api.forgot("acme", email)).status).toBe(202);
    await t.services.background.drain();
    await t.services.mailOutbox?.drain();
    expect((await mailsTo(email)).filter((m) => m.text.includes("/password/reset?token="))).toEqual([]);
  });
});

describe("change password", () => {
  it("needs the current password, keeps the caller's session and ends the others", async () => {
    const email = address("change");
    const here = await signup(email);
    const elsewhere = (await (await api.login("acme", email)).json()) as TokenBody;
    const pending = await forgotToken(email);

    const wrong = await readAnswer(
      await api.changePassword("acme", here.access_token, "not the password", NEW_PASSWORD),
    );
    expectProblem(wrong, 401, "invalid_credentials");
    expect(wrong.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}/t/acme"`);
    const weak = await readAnswer(await api.changePassword("acme", here.access_token, GOOD_PASSWORD, "short"));
    expectProblem(weak, 400, "validation_failed");
    expect(JSON.stringify(weak.json.errors)).toContain("new_password");
    // Three code points as given, though nine in NFKC.
    const dots = await readAnswer(
      await api.changePassword("acme", here.access_token, GOOD_PASSWORD, "\u2026".repeat(3)),
    );
    expectProblem(dots, 400, "validation_failed");
    expect(dots.json.errors).toEqual([{ path: "new_password", message: "must be at least 8 characters long" }]);

    expect((await api.changePassword("acme", here.access_token, GOOD_PASSWORD, NEW_PASSWORD)).status).toBe(204);
    expect((await api.me("acme", here.access_token)).status).toBe(200);
    expect((await api.refresh("acme", here.refresh_token)).status).toBe(200);
    expect((await api.me("acme", elsewhere.access_token)).status).toBe(401);
    expect((await api.login("acme", email, NEW_PASSWORD)).status).toBe(200);
    // A reset link mailed before the change no longer works.
    expectProblem(await readAnswer(await api.reset("acme", pending, "yet another passphrase")), 400, "invalid_token");
    await smtp.waitFor((m) => m.to.includes(email) && /password was changed/i.test(m.subject));
  });

  it("ends a second step begun with the old password", async () => {
    const email = address("change-pending");
    const { recoveryCodes } = await withTotp(email);
    const mfaToken = async () => ((await (await api.login("acme", email)).json()) as { mfa_token: string }).mfa_token;
    // A change needs a second step within 5 minutes: the owner's, by a recovery code.
    const stepped = await api.post("/t/acme/v1/mfa/verify", {
      mfa_token: await mfaToken(),
      type: "recovery_code",
      code: recoveryCodes[0],
    });
    const fresh = ((await stepped.json()) as { access_token: string }).access_token;
    const pending = { mfa_token: await mfaToken() };
    const changed = await api.post(
      "/t/acme/v1/password/change",
      { current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD },
      { "Content-Type": "application/json", Authorization: `Bearer ${fresh}` },
    );
    expect(changed.status, await changed.clone().text()).toBe(204);
    const finish = await api.post("/t/acme/v1/mfa/verify", {
      mfa_token: pending.mfa_token,
      type: "recovery_code",
      code: "0000-0000",
    });
    expectProblem(await readAnswer(finish), 401, "invalid_mfa_token");
  });

  it("changes nothing when ending the other sessions fails (Redis down), so the retry ends them", async () => {
    const email = address("change-outage");
    const here = await signup(email);
    const elsewhere = (await (await api.login("acme", email)).json()) as TokenBody;
    const failed = await withFailingScript(t.deps.kv, "revoke_session_state", () =>
      api.changePassword("acme", here.access_token, GOOD_PASSWORD, NEW_PASSWORD),
    );
    expect(failed.status).toBeGreaterThanOrEqual(500);
    // The old password still opens the account: the user retries the change, and it ends the other session.
    expect((await api.login("acme", email)).status).toBe(200);
    expect((await api.changePassword("acme", here.access_token, GOOD_PASSWORD, NEW_PASSWORD)).status).toBe(204);
    expect((await api.me("acme", elsewhere.access_token)).status).toBe(401);
    expectProblem(await readAnswer(await api.refresh("acme", elsewhere.refresh_token)), 401, "invalid_grant");
    expect((await api.me("acme", here.access_token)).status).toBe(200);
  });

  it("needs a bearer token", async () => {
    const answer = await readAnswer(
      await api.post("/t/acme/v1/password/change", { current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD }),
    );
    expect(answer.status).toBe(401);
  });
});

describe("audit trail", () => {
  it("records who asked for a reset link, though the entry is raised after the answer", async () => {
    const email = address("audited");
    const user = await signup(email);
    const headers = {
      "Content-Type": "application/json",
      "X-Test-Client-Ip": "203.0.113.66",
      "X-Request-Id": "forgot-1",
    };
    expect((await api.forgot("acme", email, headers)).status).toBe(202);
    await t.services.background.drain();
    const { rows } = await db.query(
      "select action, target_id, host(ip) as ip from audit_events where request_id = 'forgot-1'",
    );
    expect(rows).toEqual([{ action: "user.password_reset_requested", target_id: user.user.id, ip: "203.0.113.66" }]);
  });

  it("records resets and changes", async () => {
    await t.services.background.drain();
    const { rows } = await db.query("select distinct action from audit_events where action like 'user.password%'");
    expect(rows.map((r) => r.action).sort()).toEqual(
      expect.arrayContaining([
        "user.password_changed",
        "user.password_confirmation_failed",
        "user.password_reset",
        "user.password_reset_requested",
      ]),
    );
  });
});
