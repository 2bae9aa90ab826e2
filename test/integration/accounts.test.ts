import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, decode, GOOD_PASSWORD, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";

let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant("acme");
  await api.createTenant("other");
});
afterAll(async () => {
  await db.end();
  await t.close();
});

async function problem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.code).toBe(code);
  return body;
}

describe("signup", () => {
  it("creates the account, a session, and returns the user with a token response", async () => {
    const response = await api.signup("acme", "  Ann.Smith@Example.COM ", GOOD_PASSWORD, "Ann Smith");
    expect(response.status).toBe(201);
    const body = (await response.json()) as TokenBody & { user: Record<string, unknown> };
    expect(body.user).toMatchObject({
      email: "Ann.Smith@example.com",
      name: "Ann Smith",
      email_verified: false,
    });
    expect(body.user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(String(body.user.created_at)).toISOString()).toBe(body.user.created_at);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 600 });
    expect(body.session_id).toMatch(/^[0-9a-f-]{36}$/);
    const { claims } = decode(body.access_token);
    expect(claims.sub).toBe(body.user.id);
    expect(claims.sid).toBe(body.session_id);
    expect(claims.tid).toBe(body.user.tenant_id);

    const { rows } = await db.query("select * from users where id = $1", [body.user.id]);
    const row = rows[0];
    // Row-level encryption: neither the email nor the name is stored in clear.
    expect(JSON.stringify(row).toLowerCase()).not.toContain("ann");
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const sessions = await db.query("select user_id, auth_method, amr from sessions where id = $1", [body.session_id]);
    expect(sessions.rows).toEqual([{ user_id: body.user.id, auth_method: "password", amr: ["pwd"] }]);
  });

  it("answers 409 email_taken for the same address in any letter case", async () => {
    expect((await api.signup("acme", "dup@example.com")).status).toBe(201);
    await problem(await api.signup("acme", "DUP@EXAMPLE.COM", "another good passphrase"), 409, "email_taken");
  });

  it("lets the same address sign up in another tenant as a distinct user", async () => {
    const a = (await (await api.signup("acme", "twin@example.com")).json()) as { user: { id: string } };
    const b = (await (await api.signup("other", "twin@example.com")).json()) as { user: { id: string } };
    expect(a.user.id).not.toBe(b.user.id);
  });

  it.each([
    [{ email: "not-an-email", password: GOOD_PASSWORD }, "email", "valid email"],
    [{ email: "a@b", password: GOOD_PASSWORD }, "email", "valid email"],
    [{ email: "two@@example.com", password: GOOD_PASSWORD }, "email", "valid email"],
    [{ email: "short@example.com", password: "1234567" }, "password", "at least 8"],
    [{ email: "emoji@example.com", password: "🔑🔑🔑🔑🔑🔑🔑" }, "password", "at least 8"],
    // Counted as given, not after NFKC: one code point that is 18 in NFKC, three that are nine.
    [{ email: "ligature@example.com", password: "\ufdfa" }, "password", "at least 8"],
    [{ email: "ellipsis@example.com", password: "\u2026\u2026\u2026" }, "password", "at least 8"],
    [{ email: "long@example.com", password: "x".repeat(257) }, "password", "at most 256"],
    [{ email: "common@example.com", password: "qwertyuiop" }, "password", "most common"],
    [{ email: "common2@example.com", password: "Password123" }, "password", "most common"],
    [{ email: "self@example.com", password: "self@example.com" }, "password", "email"],
    [{ email: "x@example.com" }, "password", "is required"],
    [{ password: GOOD_PASSWORD }, "email", "is required"],
    [{ email: 42, password: GOOD_PASSWORD }, "email", "expected string"],
  ])("refuses %j with validation_failed on %s", async (body, path, message) => {
    const response = await api.post("/t/acme/v1/signup", body);
    const problemBody = await problem(response, 400, "validation_failed");
    const errors = problemBody.errors as { path: string; message: string }[];
    expect(
      errors.some((e) => e.path === path && e.message.includes(message)),
      JSON.stringify(errors),
    ).toBe(true);
  });

  it("counts characters, not bytes: eight emoji are a valid length", async () => {
    expect((await api.signup("acme", "emoji8@example.com", "🔑🦊🔑🦊🔑🦊🔑🦊")).status).toBe(201);
  });

  it("counts the maximum as given too, so NFKC's expansion neither refuses a password nor lets the hashed input grow past 8,448 bytes", async () => {
    const hashed: number[] = [];
    const { passwords } = t.deps;
    const hash = passwords.hash;
    passwords.hash = (password) => {
      hashed.push(new TextEncoder().encode(password).length);
      return hash.call(passwords, password);
    };
    try {
      // 256 code points of the longest NFKC expansion (U+FDFA: 18 code points, 33 bytes of UTF-8).
      const longest = "\ufdfa".repeat(256);
      expect((await api.signup("acme", "expands@example.com", longest)).status).toBe(201);
      expect(hashed).toEqual([256 * 33]);
      const over = await api.signup("acme", "expands2@example.com", "\ufdfa".repeat(257));
      expect(((await problem(over, 400, "validation_failed")).errors as unknown[])[0]).toMatchObject({
        path: "password",
        message: "must be at most 256 characters long",
      });
    } finally {
      passwords.hash = hash;
    }
    expect((await api.login("acme", "expands@example.com", "\ufdfa".repeat(256))).status).toBe(200);
  });

  it("answers 404 tenant_not_found for an unknown tenant", async () => {
    await problem(await api.signup("nope", "a@example.com"), 404, "tenant_not_found");
  });
});

describe("login", () => {
  beforeAll(async () => {
    expect((await api.signup("acme", "bob@example.com")).status).toBe(201);
  });

  it("compares passwords in NFKC (NIST SP 800-63B §5.1.1.2): composed or not, full-width or not", async () => {
    const typed = "Cre\u0300me brûlée très sûre";
    expect((await api.signup("acme", "nfkc@example.com", typed)).status).toBe(201);
    for (const spelling of ["Crème brûlée très sûre", "Ｃrème ｂrûlée très sûre", typed]) {
      expect((await api.login("acme", "nfkc@example.com", spelling)).status, spelling).toBe(200);
    }
    expect((await api.login("acme", "nfkc@example.com", "Creme brulee tres sure")).status).toBe(401);
  });

  it("still takes a password hashed before the NFKC rule (in NFC), and remakes its hash", async () => {
    const password = "ｆｕｌｌ-width passphrase 7";
    const signup = (await (await api.signup("acme", "former@example.com")).json()) as { user: { id: string } };
    // As the row was written before the rule: the hash of the NFC form, which keeps the full-width letters.
    const former = await t.deps.passwords.hash(password.normalize("NFC"));
    await db.query("UPDATE users SET password_hash = $1 WHERE id = $2", [former, signup.user.id]);
    expect((await api.login("acme", "former@example.com", password)).status).toBe(200);
    const { rows } = await db.query("SELECT password_hash FROM users WHERE id = $1", [signup.user.id]);
    expect(rows[0].password_hash).not.toBe(former);
    // Remade in NFKC: the ASCII spelling opens it now too.
    expect((await api.login("acme", "former@example.com", "full-width passphrase 7")).status).toBe(200);
  });

  it("returns a token response with a new session", async () => {
    const response = await api.login("acme", "Bob@Example.com");
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenBody;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 600 });
    const { header, claims } = decode(body.access_token);
    expect(header).toMatchObject({ alg: "RS256", typ: "at+jwt" });
    expect(typeof header.kid).toBe("string");
    const issuer = `${TEST_PUBLIC_URL}/t/acme`;
    expect(claims).toMatchObject({ iss: issuer, aud: issuer, client_id: "first-party", amr: ["pwd"] });
    expect(claims.scope).toBe("openid profile email");
    expect(claims.sid).toBe(body.session_id);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.auth_time).toBe(claims.iat);
    expect(String(claims.jti)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("gives the same answer for a wrong password and an unknown email", async () => {
    const wrong = await api.login("acme", "bob@example.com", "not the password at all");
    const unknown = await api.login("acme", "nobody@example.com", "not the password at all");
    const malformed = await api.login("acme", "not an email", "not the password at all");
    const bodies = await Promise.all([wrong, unknown, malformed].map(async (r) => [r.status, await r.json()]));
    expect(bodies[0]).toEqual([401, expect.objectContaining({ code: "invalid_credentials" })]);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it("spends the same argon2id work on unknown emails as on wrong passwords", async () => {
    const calls: string[] = [];
    const counting = await startTestApp({
      passwords: {
        hash: (p) => t.deps.passwords.hash(p),
        verify: (phc, p) => {
          calls.push(phc.slice(0, 31));
          return t.deps.passwords.verify(phc, p);
        },
      },
    });
    try {
      const other = appClient(counting);
      await other.createTenant("timing");
      await other.signup("timing", "known@example.com");
      for (const email of ["known@example.com", "unknown@example.com"]) {
        calls.length = 0;
        expect((await other.login("timing", email, "wrong password here")).status).toBe(401);
        // One full verification with the current parameters either way.
        expect(calls).toEqual(["$argon2id$v=19$m=19456,t=2,p=1$"]);
      }
    } finally {
      await counting.close();
    }
  });

  it("never lets a user of one tenant log in to another", async () => {
    await problem(await api.login("other", "bob@example.com"), 401, "invalid_credentials");
  });

  it("upgrades a stored hash with weaker parameters on the next successful login", async () => {
    const { hash } = await import("@node-rs/argon2");
    expect((await api.signup("acme", "legacy@example.com")).status).toBe(201);
    const weak = await hash(GOOD_PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const tenant = await db.query("select id from tenants where slug = 'acme'");
    const updated = await db.query(
      "update users set password_hash = $1 where tenant_id = $2 and password_hash like '$argon2id$%' and id = (select id from users where tenant_id = $2 order by created_at desc limit 1) returning id",
      [weak, tenant.rows[0].id],
    );
    expect(updated.rowCount).toBe(1);
    expect((await api.login("acme", "legacy@example.com")).status).toBe(200);
    const { rows } = await db.query("select password_hash from users where id = $1", [updated.rows[0].id]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await api.login("acme", "legacy@example.com")).status).toBe(200);
  });

  it("refuses bodies that are not a login", async () => {
    await problem(await api.post("/t/acme/v1/login", { email: "bob@example.com" }), 400, "validation_failed");
    await problem(
      await t.app.request("/t/acme/v1/login", {
        method: "POST",
        body: "email=x",
        headers: { "Content-Type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
  });
});

describe("me", () => {
  let token: string;
  beforeAll(async () => {
    const body = (await (await api.signup("acme", "carol@example.com", GOOD_PASSWORD, "Carol")).json()) as TokenBody;
    token = body.access_token;
  });

  it("returns the user of the token", async () => {
    const response = await api.me("acme", token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ email: "carol@example.com", name: "Carol", email_verified: false });
  });

  it("answers 401 without a token, with a bare challenge (RFC 6750 §3.1)", async () => {
    const response = await t.app.request("/t/acme/v1/me");
    await problem(response, 401, "unauthorized");
    expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}/t/acme"`);
  });

  it.each(["Basic dXNlcjpwYXNz", "Digest username=x", "Token abc"])(
    "answers another scheme (%s) like no credentials: no error code in the challenge (RFC 6750 §3.1)",
    async (authorization) => {
      const response = await t.app.request("/t/acme/v1/me", { headers: { Authorization: authorization } });
      await problem(response, 401, "unauthorized");
      expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}/t/acme"`);
    },
  );

  it.each([["garbage"], ["a.b.c"], ["eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."]])(
    "answers 401 invalid_token for %s",
    async (bad) => {
      const response = await api.me("acme", bad);
      await problem(response, 401, "invalid_token");
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
    },
  );

  it("refuses a token of another tenant", async () => {
    await problem(await api.me("other", token), 401, "invalid_token");
  });

  it("refuses a token whose payload was altered", async () => {
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(Buffer.from(p ?? "", "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: crypto.randomUUID() })).toString("base64url");
    await problem(await api.me("acme", `${h}.${forged}.${s}`), 401, "invalid_token");
  });
});

describe("without a mailer (production with no SMTP_URL or Postmark token)", () => {
  it("still signs users up, and says mail is unavailable where a mail is the whole point", async () => {
    const response = await api.signup("acme", "no-mailer@example.com");
    expect(response.status).toBe(201);
    const { access_token } = (await response.json()) as TokenBody;
    await problem(await api.forgot("acme", "no-mailer@example.com"), 503, "mail_unavailable");
    await problem(await api.requestVerification("acme", access_token), 503, "mail_unavailable");
    await problem(await api.changeEmail("acme", access_token, "elsewhere@example.com"), 503, "mail_unavailable");
    // A reset or verification token can still be redeemed: unknown ones are refused as ever.
    await problem(await api.verifyEmail("acme", "A".repeat(43)), 400, "invalid_token");
  });
});
