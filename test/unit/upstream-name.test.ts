import { describe, expect, it } from "vitest";
import { upstreamName } from "../../src/core/accounts/upstream-name.js";

describe("an identity provider's display name", () => {
  it("is one well-formed line of at most 200 code points, or none", () => {
    expect(upstreamName("Bob\u0000\r\nX-Injected: 1\u0085end")).toBe("Bob X-Injected: 1 end");
    expect(upstreamName("half \ud83d pair \udca9")).toBe("half \ufffd pair \ufffd");
    // 200 code points, not UTF-16 units: a pair is never split.
    expect(upstreamName("😀".repeat(300))).toBe("😀".repeat(200));
    expect(upstreamName(" \t\r\n ")).toBeNull();
    expect(upstreamName(null)).toBeNull();
  });
});
