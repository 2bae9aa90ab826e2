/**
 * Which account an address names, through the app: characters not every
 * runtime knows are refused alike (Node's answer must be the Worker's), and
 * an account made under an earlier rule with an address today's rule
 * refuses can still log in and recover its password.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMAIL_INDEX_PURPOSE } from "../../src/core/accounts/accounts.js";
import { decode, GOOD_PASSWORD, type TokenBody } from "../support/accounts.js";
import type { TestApp } from "../support/app.js";
import { type MailTestApp, startMailTestApp } from "../support/mail-app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

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
