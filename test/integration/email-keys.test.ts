/**
 * Which account an address names, through the app: characters not every
 * runtime knows are refused alike (Node's answer must be the Worker's), an
 * address today's rule refuses can still recover a password made under an
 * earlier rule, and the lookup key is case-folded (final and medial sigma
 * are one address) without losing accounts indexed under the previous,
 * toLowerCase, key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { EMAIL_INDEX_PURPOSE } from "../../src/core/accounts/user-rows.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { reencryptAll } from "../../src/core/reencryption.js";
import { createApp } from "../../src/http/app.js";
import { buildServices } from "../../src/http/services.js";
import { client, decode, GOOD_PASSWORD, type TokenBody } from "../support/accounts.js";
import type { TestApp } from "../support/app.js";
import { type MailTestApp, startMailTestApp } from "../support/mail-app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const OTHER_PASSWORD = "another owner's passphrase 93";
let m: MailTestApp;
let t: TestApp;
let api: MailTestApp["api"];

beforeAll(async () => {
  m = await startMailTestApp();
  ({ t, api } = m);
});
afterAll(async () => {
  await m?.close();
});

const subOf = async (response: Response) => {
  expect(response.status, await response.clone().text()).toBe(200);
  return decode(((await response.json()) as TokenBody).access_token).claims.sub;
};

let n = 0;
/**
 * A user whose row is as an earlier rule wrote it: `address` sealed and
 * indexed under `key` (what that rule computed), with `password`.
 */
async function seedUser(address: string, key: string, password = GOOD_PASSWORD): Promise<string> {
  const signup = await api.signup("acme", `seed-${n++}@example.com`, password);
  expect(signup.status).toBe(201);
  const { user } = (await signup.json()) as { user: { id: string; tenant_id: string } };
  await m.db.query("UPDATE users SET email_index = $1, email_sealed = $2 WHERE id = $3", [
    await t.deps.sealer.blindIndex(key, EMAIL_INDEX_PURPOSE),
    await t.deps.sealer.seal(address, `users.email:${user.tenant_id}:${user.id}`),
    user.id,
  ]);
  return user.id;
}

describe("characters one runtime knows and the other does not", () => {
  it("refuses a Unicode 17 local part and a Unicode 16 domain at sign-up, as the Worker does", async () => {
    for (const [email, message] of [
      ["\u{11DB0}\u{11DB1}123@example.com", "must not contain unassigned or private-use characters"],
      ["x123@\u{10D50}\u{10D51}.com", "must be a valid email address"],
    ]) {
      const answer = await readAnswer(await api.signup("acme", email as string));
      expectProblem(answer, 400, "validation_failed");
      expect(answer.json.errors).toEqual([{ path: "email", message }]);
    }
  });

  it("answers password/forgot 202 for such an address, and a malformed one 400", async () => {
    for (const email of ["\u{11DB0}\u{11DB1}123@example.com", "x123@\u{10D50}\u{10D51}.com", "\u0430nn@example.com"]) {
      const response = await api.forgot("acme", email);
      expect(response.status, email).toBe(202);
      expect(await response.json()).toEqual({ status: "accepted" });
    }
    expectProblem(await readAnswer(await api.forgot("acme", "not-an-address")), 400, "validation_failed");
  });

  it("lets an account Node made under such an address log in and recover its password", async () => {
    // Made on Node before the rule: key NFKC + toLowerCase of the address, domain in A-labels.
    const address = "\u{11DB0}\u{11DB1}123@xn--exmple-cua.com";
    const id = await seedUser(address, address);
    for (const spelling of [address, "\u{11DB0}\u{11DB1}123@EXÄMPLE.com"]) {
      expect(await subOf(await api.login("acme", spelling)), spelling).toBe(id);
    }
    expect((await api.forgot("acme", "\u{11DB0}\u{11DB1}123@exämple.com")).status).toBe(202);
    const mail = await m.smtp.waitFor((sent) => sent.to.includes("\u{11DB0}\u{11DB1}123@"));
    expect(mail.text).toContain("/password/reset?token=");
  });
});

describe("case-insensitive uniqueness by case folding", () => {
  it("makes final and medial sigma one account: 409 for the other spellings, each logs in to it", async () => {
    const signup = await api.signup("acme", "ος123456@example.com");
    expect(signup.status).toBe(201);
    const { user } = (await signup.json()) as { user: { id: string } };
    for (const spelling of ["οσ123456@example.com", "ΟΣ123456@example.com", "Οσ123456@Example.com"]) {
      expectProblem(await readAnswer(await api.signup("acme", spelling, OTHER_PASSWORD)), 409, "email_taken");
      expect(await subOf(await api.login("acme", spelling)), spelling).toBe(user.id);
    }
  });

  it("still logs in an account indexed under the previous key, and blocks its duplicates", async () => {
    // toLowerCase made the key; typed with a final sigma, as Final_Sigma also lowers ΟΣ.
    const id = await seedUser("ος654321@example.com", "ος654321@example.com");
    for (const spelling of ["ος654321@example.com", "ΟΣ654321@example.com", "οσ654321@example.com"]) {
      expect(await subOf(await api.login("acme", spelling)), spelling).toBe(id);
      expectProblem(await readAnswer(await api.signup("acme", spelling, OTHER_PASSWORD)), 409, "email_taken");
    }
  });

  it("keeps two accounts the previous rule made of what is now one address, each to its own spelling", async () => {
    const medial = await seedUser("οσ777@example.com", "οσ777@example.com");
    const final = await seedUser("ος777@example.com", "ος777@example.com", OTHER_PASSWORD);
    expect(await subOf(await api.login("acme", "οσ777@example.com"))).toBe(medial);
    expect(await subOf(await api.login("acme", "ος777@example.com", OTHER_PASSWORD))).toBe(final);
    // As before: toLowerCase wrote ΟΣ with a final sigma.
    expect(await subOf(await api.login("acme", "ΟΣ777@example.com", OTHER_PASSWORD))).toBe(final);
  });

  // Last: it moves every row of this file's database to a new key version.
  it("keeps each such row's own key through a key rotation's re-indexing (no clash in the unique index)", async () => {
    const medial = await seedUser("οσ888@example.com", "οσ888@example.com");
    const final = await seedUser("ος888@example.com", "ος888@example.com", OTHER_PASSWORD);
    const fresh = { id: "t2", key: crypto.getRandomValues(new Uint8Array(32)) };
    const sealer = await Sealer.create([fresh, ...t.deps.config.ENCRYPTION_KEYS], cryptoRandom);
    const done = await reencryptAll(t.deps.db, sealer, silentLogger, new Date());
    expect(done).toMatchObject({ skipped: 0, unreadable: 0 });
    const deps = { ...t.deps, sealer };
    const app = createApp(deps, buildServices(deps));
    const rotated = client((path, init) => app.request(path, init));
    expect(await subOf(await rotated.login("acme", "οσ888@example.com"))).toBe(medial);
    expect(await subOf(await rotated.login("acme", "ος888@example.com", OTHER_PASSWORD))).toBe(final);
    const { rows } = await m.db.query("SELECT email_index FROM users WHERE id = ANY($1)", [[medial, final]]);
    expect(rows.map((row) => (row.email_index as string).split(":")[0])).toEqual(["t2", "t2"]);
  });
});
