/**
 * The email rule gives the same answers in workerd as on Node: domains go to
 * A-labels through each runtime's own URL parser (WHATWG domain-to-ASCII,
 * UTS #46), local parts to NFKC and case folding for the lookup key, and the
 * invisible-character and mixed-script checks use each runtime's Unicode
 * properties, which are of different Unicode versions (Node 20.20: 17.0,
 * UTS #46 15.0; workerd: 16.0). A difference would make one mailbox two
 * accounts, or a look-alike valid, on one runtime only.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkEmail, type EmailCheck, lookupKeysOf } from "../../src/core/accounts/email.js";
import { type BundledWorker, startBundledWorker } from "../support/bundled-worker.js";
import { knownOutsideTable, sweepVerdicts } from "./email-worker.js";

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
  // Unicode 17 (Tolong Siki, Beria Erfe capitals): Node's regex knows them, workerd's does not.
  "\u{11DB0}\u{11DB1}123@example.com",
  "\u{16EA0}ABC@Example.com",
  "ann@\u{11DB0}.com",
  // Unicode 16 in a domain (Garay, Todhri): workerd's URL parser maps them, Node's refuses them.
  "x123@\u{10D50}\u{10D51}.com",
  "x123@\u{105C0}.com",
  // Case folding: one key for final and medial sigma, and for toLowerCase's exceptions.
  "ος123456@example.com",
  "ΟΣ123456@example.com",
  "\u1C80ера@example.com",
  "STRA\u1E9EE@example.com",
  "\u13A0\u13A1@example.com",
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
    const { results, keys } = await worker.post<{ results: EmailCheck[]; keys: unknown[] }>("/check", {
      inputs: INPUTS,
    });
    const onNode = INPUTS.map((input) => JSON.parse(JSON.stringify(checkEmail(input))) as EmailCheck);
    expect(results).toEqual(onNode);
    // Refused addresses too are looked up under one key on both.
    expect(keys).toEqual(INPUTS.map((input) => lookupKeysOf(input)));
    // And the mapping that makes the two spellings one account is there on both.
    expect(results[1]?.email?.lookupKey).toBe("ann@xn--exmple-cua.com");
    expect(results[2]?.email?.lookupKey).toBe("ann@xn--exmple-cua.com");
  });

  it("knows the characters the table assumes: exactly Unicode 16 outside it", async () => {
    expect((await worker.post<{ known: number }>("/known")).known).toBe(knownOutsideTable());
  });

  it("gives the verdict Node gives on an address holding any character Node knows", async () => {
    // Unassigned on Node is unassigned in workerd too (the count above); private use is refused alike.
    const codePoints: number[] = [];
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
      if (
        /\p{Assigned}/u.test(String.fromCodePoint(codePoint)) &&
        !/\p{Co}|\p{Cs}/u.test(String.fromCodePoint(codePoint))
      ) {
        codePoints.push(codePoint);
      }
    }
    const differing: string[] = [];
    for (let start = 0; start < codePoints.length; start += 20_000) {
      const chunk = codePoints.slice(start, start + 20_000);
      const { verdicts } = await worker.post<{ verdicts: string[] }>("/sweep", { codePoints: chunk });
      const onNode = sweepVerdicts(chunk);
      chunk.forEach((codePoint, i) => {
        if (verdicts[i] !== onNode[i]) differing.push(`U+${codePoint.toString(16).toUpperCase()}`);
      });
    }
    expect(differing).toEqual([]);
  }, 120_000);
});
