/**
 * The account lifecycle by email on the built Worker: every mail leaves
 * through Postmark's HTTP API (the local stand-in) from its request's
 * waitUntil, and each link is read from the message the stand-in accepted.
 * The Node app on the same database, mailing over SMTP, redeems the Worker's
 * links and the Worker redeems Node's. A production Worker without a Postmark
 * token refuses what needs a mail (503) and still signs users up.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpMailer } from "../../src/adapters/mail/smtp.js";
import { client, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { asReceived, type PostmarkBridge, startPostmarkBridge } from "../support/postmark-bridge.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import {
  type NodeTwin,
  startNodeTwin,
  startWorkerHarness,
  type WorkerHarness,
  type WorkerInstance,
} from "../support/runtime-worker.js";
import { linkToken, type ReceivedMail, startSmtpServer, type TestSmtpServer } from "../support/smtp-server.js";

const MAIL_FROM = "Edge Accounts <accounts@edge.test>";
const NEW_PASSWORD = "a brand new passphrase 42";
const TENANT = "edge";

let postmark: PostmarkBridge;
let smtp: TestSmtpServer;
let h: WorkerHarness;
let worker: WorkerInstance;
let twin: NodeTwin;
let onWorker: ReturnType<typeof client>;
let onNode: ReturnType<typeof client>;
let db: pg.Client;

beforeAll(async () => {
  postmark = await startPostmarkBridge({ token: `postmark-${randomBytes(16).toString("hex")}` });
  smtp = await startSmtpServer();
  h = await startWorkerHarness({
    POSTMARK_SERVER_TOKEN: postmark.token,
    POSTMARK_API_URL: postmark.url,
    MAIL_FROM,
  });
  worker = await h.start();
  // Node as operators run it: its mail over SMTP.
  twin = await startNodeTwin(h, { mailer: createSmtpMailer(smtp.url, MAIL_FROM) });
  onWorker = client((path, init) => worker.request(path, init), h.adminKey);
  onNode = client((path, init) => twin.app.request(path, init), h.adminKey);
  await onWorker.createTenant(TENANT);
  db = new pg.Client({ connectionString: h.database.url });
  await db.connect();
}, 60_000);

afterAll(async () => {
  await db?.end();
  await twin?.close();
  await h?.close();
  await Promise.allSettled([postmark?.close(), smtp?.close()]);
}, 60_000);

let n = 0;
const address = (label: string) => `${label}-${n++}@example.org`;
type Signed = TokenBody & { user: { id: string; email: string; email_verified: boolean } };

async function signup(api: ReturnType<typeof client>, email: string): Promise<Signed> {
  const response = await api.signup(TENANT, email);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Signed;
}

const postmarkMails = (): ReceivedMail[] => postmark.accepted.map(asReceived);
const mailsTo = (email: string) => postmarkMails().filter((m) => m.to.includes(email));

/** The `nth` mail the Postmark stand-in accepted that matches; the Worker sends it after its answer. */
async function postmarkMail(match: (mail: ReceivedMail) => boolean, nth = 1): Promise<ReceivedMail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = postmarkMails().filter(match)[nth - 1];
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`No matching mail arrived in time; refused: ${postmark.refused.length}`);
    await sleep(25);
  }
}

/** The audit entries of a request, once there are any (some are written after its answer). */
async function auditEntries(requestId: string): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { rows } = await db.query(
      "SELECT action, target_id, host(ip) AS ip FROM audit_events WHERE request_id = $1 ORDER BY at",
      [requestId],
    );
    if (rows.length > 0 || Date.now() > deadline) return rows;
    await sleep(50);
  }
}

type Page = "email/verify" | "password/reset";
const linkMail = (email: string, page: Page, nth = 1) =>
  postmarkMail((m) => m.to.includes(email) && m.text.includes(`/${page}?token=`), nth);
const linkFromWorker = async (email: string, page: Page, nth = 1) => linkToken(await linkMail(email, page, nth), page);
const linkFromNode = async (email: string, page: Page) =>
  linkToken(await smtp.waitFor((m) => m.to.includes(email) && m.text.includes(`/${page}?token=`)), page);
const passwordChangedNotice = (email: string) =>
  postmarkMail((m) => m.to.includes(email) && /password was changed/i.test(m.subject));

describe("on the Worker, mail through Postmark", () => {
  it("mails a verification link at signup and on request; a link verifies once", async () => {
    const email = address("verify");
    const user = await signup(onWorker, email);
    expect(user.user.email_verified).toBe(false);

    const mail = await linkMail(email, "email/verify");
    expect(mail.from).toBe(MAIL_FROM);
    expect(mail.text).toContain(`${h.publicUrl}/t/${TENANT}/email/verify?token=`);
    expect(mail.html).toContain(`${h.publicUrl}/t/${TENANT}/email/verify?token=`);
    const sent = postmark.accepted.find((m) => m.To.includes(email));
    expect(sent).toMatchObject({ Tag: "verify_email", MessageStream: "outbound" });

    expect((await onWorker.requestVerification(TENANT, user.access_token)).status).toBe(202);
    const again = await linkFromWorker(email, "email/verify", 2);
    expect(again).not.toBe(linkToken(mail, "email/verify"));

    const verified = await readAnswer(await onWorker.verifyEmail(TENANT, again));
    expect(verified.status, verified.text).toBe(200);
    expect(verified.json).toMatchObject({ id: user.user.id, email, email_verified: true });
    const me = (await (await onWorker.me(TENANT, user.access_token)).json()) as Signed["user"];
    expect(me.email_verified).toBe(true);
    expectProblem(await readAnswer(await onWorker.verifyEmail(TENANT, again)), 400, "invalid_token");
    expect(postmark.refused).toEqual([]);
  });

  it("resets a forgotten password: every session ends at once, the new password logs in", async () => {
    const email = address("reset");
    const first = await signup(onWorker, email);
    const second = (await (await onWorker.login(TENANT, email)).json()) as TokenBody;
    const asker = { ...JSON_HEADERS, "X-Request-Id": "edge-forgot-reset", "CF-Connecting-IP": "203.0.113.5" };
    const forgot = await readAnswer(await onWorker.forgot(TENANT, email, asker));
    expect(forgot.status).toBe(202);
    expect(forgot.json).toEqual({ status: "accepted" });
    const mail = await linkMail(email, "password/reset");
    expect(mail.text).toContain(`${h.publicUrl}/t/${TENANT}/password/reset?token=`);
    const token = linkToken(mail, "password/reset");
    // Raised by the work after the answer, written within its waitUntil, with the asker's address.
    expect(await auditEntries("edge-forgot-reset")).toEqual([
      { action: "user.password_reset_requested", target_id: first.user.id, ip: "203.0.113.5" },
    ]);

    expect((await onWorker.reset(TENANT, token, NEW_PASSWORD)).status).toBe(204);
    for (const session of [first, second]) {
      expect((await onWorker.me(TENANT, session.access_token)).status).toBe(401);
      expectProblem(await readAnswer(await onWorker.refresh(TENANT, session.refresh_token)), 401, "invalid_grant");
    }
    expectProblem(await readAnswer(await onWorker.login(TENANT, email)), 401, "invalid_credentials");
    expect((await onWorker.login(TENANT, email, NEW_PASSWORD)).status).toBe(200);
    expectProblem(
      await readAnswer(await onWorker.reset(TENANT, token, "yet another passphrase 7")),
      400,
      "invalid_token",
    );
    await passwordChangedNotice(email);
  });

  it("answers a forgotten unknown address exactly like a known one, and mails nothing", async () => {
    const known = address("known");
    await signup(onWorker, known);
    const unknown = address("nobody");
    const forUnknown = await readAnswer(await onWorker.forgot(TENANT, unknown));
    const forKnown = await readAnswer(await onWorker.forgot(TENANT, known));
    expect([forUnknown.status, forUnknown.text]).toEqual([forKnown.status, forKnown.text]);
    for (const header of ["content-type", "content-length", "cache-control", "ratelimit-policy"]) {
      expect(forUnknown.headers.get(header)).toBe(forKnown.headers.get(header));
    }
    // The unknown address's background work (one lookup) began first and is shorter than
    // the known one's (lookup, token, Postmark); a moment more covers any straggler.
    await linkMail(known, "password/reset");
    await sleep(500);
    expect(mailsTo(unknown)).toEqual([]);
  });

  it("changes the password: the current one is needed, this session stays, the others end", async () => {
    const email = address("change");
    const here = await signup(onWorker, email);
    const elsewhere = (await (await onWorker.login(TENANT, email)).json()) as TokenBody;
    const wrong = await readAnswer(
      await onWorker.changePassword(TENANT, here.access_token, "not it at all", NEW_PASSWORD),
    );
    expectProblem(wrong, 401, "invalid_credentials");

    expect((await onWorker.changePassword(TENANT, here.access_token, GOOD_PASSWORD, NEW_PASSWORD)).status).toBe(204);
    expect((await onWorker.me(TENANT, here.access_token)).status).toBe(200);
    expect((await onWorker.me(TENANT, elsewhere.access_token)).status).toBe(401);
    expect((await onWorker.login(TENANT, email, NEW_PASSWORD)).status).toBe(200);
    await passwordChangedNotice(email);
  });

  it("changes the address: the new one gets the link, the old one a notice, the link moves the account", async () => {
    const old = address("old");
    const next = address("new");
    const user = await signup(onWorker, old);
    expect((await onWorker.changeEmail(TENANT, user.access_token, next)).status).toBe(202);
    const link = await linkFromWorker(next, "email/verify");
    const notice = await postmarkMail((m) => m.to.includes(old) && m.text.includes(next));
    expect(notice.text).not.toContain("token=");
    // Nothing moved yet.
    expect(((await (await onWorker.me(TENANT, user.access_token)).json()) as { email: string }).email).toBe(old);

    const moved = await readAnswer(await onWorker.verifyEmail(TENANT, link));
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json).toMatchObject({ id: user.user.id, email: next, email_verified: true });
    expect((await onWorker.login(TENANT, next)).status).toBe(200);
    expectProblem(await readAnswer(await onWorker.login(TENANT, old)), 401, "invalid_credentials");
    expect(postmark.refused).toEqual([]);
  });
});

describe("links across runtimes, on one database", () => {
  it("resets on Node with the Worker's link, and on the Worker with Node's", async () => {
    const email = address("cross-reset");
    await signup(onWorker, email);
    expect((await onWorker.forgot(TENANT, email)).status).toBe(202);
    expect((await onNode.reset(TENANT, await linkFromWorker(email, "password/reset"), NEW_PASSWORD)).status).toBe(204);
    expect((await onWorker.login(TENANT, email, NEW_PASSWORD)).status).toBe(200);

    expect((await onNode.forgot(TENANT, email)).status).toBe(202);
    const fromNode = await linkFromNode(email, "password/reset");
    expect((await onWorker.reset(TENANT, fromNode, "third passphrase of the day")).status).toBe(204);
    expect((await onNode.login(TENANT, email, "third passphrase of the day")).status).toBe(200);
  });

  it("gives one verdict on both runtimes for addresses with characters only one of them knows", async () => {
    // Tolong Siki (Unicode 17) only Node's regex knows; Garay (Unicode 16) in a domain only workerd's URL parser maps.
    for (const email of [`\u{11DB0}\u{11DB1}${n++}@example.org`, `x${n++}@\u{10D50}\u{10D51}.com`]) {
      const [worker, node] = [await onWorker.signup(TENANT, email), await onNode.signup(TENANT, email)];
      expect([worker.status, node.status], email).toEqual([400, 400]);
      expect(await worker.json()).toEqual(await node.json());
      // Each answers password/forgot 202, as for any address (an account made before the rule may have it).
      expect([(await onWorker.forgot(TENANT, email)).status, (await onNode.forgot(TENANT, email)).status]).toEqual([
        202, 202,
      ]);
    }
    // Final and medial sigma are one account on both.
    const greek = `ος${n++}@example.org`;
    await signup(onWorker, greek);
    for (const api of [onWorker, onNode]) {
      expectProblem(await readAnswer(await api.signup(TENANT, greek.replace("ς", "σ"))), 409, "email_taken");
      expect((await api.login(TENANT, greek.replace("ος", "ΟΣ"))).status).toBe(200);
    }
  });

  it("verifies on the Worker an address Node mailed, and on Node one the Worker mailed", async () => {
    const viaNode = address("cross-node");
    await signup(onNode, viaNode);
    const onWorkerVerified = await readAnswer(
      await onWorker.verifyEmail(TENANT, await linkFromNode(viaNode, "email/verify")),
    );
    expect(onWorkerVerified.json).toMatchObject({ email: viaNode, email_verified: true });

    const viaWorker = address("cross-worker");
    await signup(onWorker, viaWorker);
    const onNodeVerified = await readAnswer(
      await onNode.verifyEmail(TENANT, await linkFromWorker(viaWorker, "email/verify")),
    );
    expect(onNodeVerified.json).toMatchObject({ email: viaWorker, email_verified: true });
  });
});

describe("a production Worker without POSTMARK_SERVER_TOKEN", () => {
  it("signs users up but refuses what needs a mail with 503 mail_unavailable", async () => {
    const production = await h.start({ APP_ENV: "production", POSTMARK_SERVER_TOKEN: undefined });
    const api = client((path, init) => production.request(path, init), h.adminKey);
    const email = address("prod");
    const user = await signup(api, email);
    expectProblem(await readAnswer(await api.forgot(TENANT, email)), 503, "mail_unavailable");
    expectProblem(await readAnswer(await api.forgot(TENANT, address("prod-nobody"))), 503, "mail_unavailable");
    expectProblem(await readAnswer(await api.requestVerification(TENANT, user.access_token)), 503, "mail_unavailable");
    expectProblem(
      await readAnswer(await api.changeEmail(TENANT, user.access_token, address("prod-new"))),
      503,
      "mail_unavailable",
    );
    // Changing a password needs no mail: only the notice is left out.
    expect((await api.changePassword(TENANT, user.access_token, GOOD_PASSWORD, NEW_PASSWORD)).status).toBe(204);
    // workerd's output reaches the test through a pipe: the signup's line may still be on its way.
    const skipped = /verification_mail_skipped[^\n]*mail_unavailable/;
    for (let i = 0; i < 40 && !skipped.test(production.logs.join("\n")); i++) await sleep(50);
    expect(production.logs.join("\n")).toMatch(skipped);
    expect(mailsTo(email)).toEqual([]);
  });
});
