/**
 * The email rule gives the same answers in workerd as on Node: domains go to
 * A-labels through each runtime's own URL parser (WHATWG domain-to-ASCII,
 * UTS #46), local parts to NFKC for the lookup key, and the
 * invisible-character and mixed-script checks use each runtime's Unicode
 * properties. A difference would make one mailbox two
 * accounts, or a look-alike valid, on one runtime only.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkEmail, type EmailCheck } from "../../src/core/accounts/email.js";
import { type BundledWorker, startBundledWorker } from "../support/bundled-worker.js";

const WORKER_SOURCE = fileURLToPath(new URL("./email-worker.ts", import.meta.url));

/** Addresses whose domain mapping or refusal could differ between URL parsers or Unicode versions. */
const INPUTS = [
  "ann@example.com",
  "Ann@Exämple.COM",
  "ann@xn--exmple-cua.com",
  "ann@XN--EXMPLE-CUA.COM",
  "ann@faß.de",
  "ann@straße.de",
  "иван@пример.рф",
  "ann@ｅxample.com",
  "ｎｏｒｍ@example.com",
  "ſtrasse@example.com",
  "ﬁle@example.com",
  "ann@ﬁ.com",
  "ann@a⑴.com",
  "ann@ex⒈com",
  "ann@xn--abc.com",
  "ann@xn--.com",
  "ann@a.0x7f",
  "ann@1.2.3.4",
  "ann@例え.テスト",
  "ann@مثال.إختبار",
  "ann@bücher.example",
  `ann@${"ä".repeat(60)}.com`,
  "an\u200Bn@example.com",
  "an\u00ADn@example.com",
  "\u202Enn@example.com",
  "ann\u{E0061}@example.com",
  "ann\uFE0F@example.com",
  "\u0430nn@example.com",
  "ann.sm\u03BFith@example.com",
  "yamada山田たろうタロウ@example.jp",
  "김철수金@example.kr",
  "अनु@example.in",
  "ann\uE000@example.com",
  "ann\u{1E5D0}@example.com",
  "\u{10D50}\u{10D51}@example.com",
];

let worker: BundledWorker;

beforeAll(async () => {
  worker = await startBundledWorker(WORKER_SOURCE);
}, 120_000);

afterAll(async () => {
  await worker?.close();
});

describe("the email rule inside workerd", () => {
  it("normalises, maps and refuses exactly as on Node", async () => {
    const { results } = await worker.post<{ results: EmailCheck[] }>("/check", { inputs: INPUTS });
    const onNode = INPUTS.map((input) => JSON.parse(JSON.stringify(checkEmail(input))) as EmailCheck);
    expect(results).toEqual(onNode);
    // And the mapping that makes the two spellings one account is there on both.
    expect(results[1]?.email?.lookupKey).toBe("ann@xn--exmple-cua.com");
    expect(results[2]?.email?.lookupKey).toBe("ann@xn--exmple-cua.com");
  });
});
