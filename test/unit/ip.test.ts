import { describe, expect, it } from "vitest";
import { cidrContains, clientAddress, ipBucket, parseCidr, parseIp } from "../../src/core/net/ip.js";

const cidrs = (...list: string[]) => list.map((text) => parseCidr(text) ?? expect.unreachable(text));

describe("IP parsing", () => {
  it.each([
    ["192.0.2.1", 4, "192.0.2.1"],
    ["::1", 6, "6:0000000000000000"],
    ["2001:db8::1", 6, "6:20010db800000000"],
    ["2001:db8:0:0:1:2:3:4", 6, "6:20010db800000000"],
    ["2001:DB8:aaaa:bbbb:1::", 6, "6:20010db8aaaabbbb"],
    ["[2001:db8::5]", 6, "6:20010db800000000"],
    ["fe80::1%eth0", 6, "6:fe80000000000000"],
    ["::ffff:198.51.100.7", 4, "198.51.100.7"],
    ["64:ff9b::192.0.2.33", 6, "6:0064ff9b00000000"],
  ])("%s", (text, version, bucket) => {
    expect(parseIp(text)?.version).toBe(version);
    expect(ipBucket(text)).toBe(version === 4 ? `4:${bucket}` : bucket);
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "g::1",
    "1:2:3:4:5:6:7:8::",
    "::1.2.3",
    "not-an-ip",
  ])("refuses %j", (text) => {
    expect(parseIp(text)).toBeNull();
    expect(ipBucket(text)).toBe("unknown");
  });

  it("puts every address of one /64 in one bucket, and the next /64 in another", () => {
    expect(ipBucket("2001:db8:1:2:aaaa::1")).toBe(ipBucket("2001:db8:1:2:ffff:ffff:ffff:ffff"));
    expect(ipBucket("2001:db8:1:2::1")).not.toBe(ipBucket("2001:db8:1:3::1"));
  });

  it("matches CIDRs of either family, never across families", () => {
    const [ten, v6, one] = cidrs("10.0.0.0/8", "fd00::/8", "192.0.2.7");
    expect(cidrContains(ten as never, parseIp("10.200.3.4") as never)).toBe(true);
    expect(cidrContains(ten as never, parseIp("11.0.0.1") as never)).toBe(false);
    expect(cidrContains(v6 as never, parseIp("fd12::9") as never)).toBe(true);
    expect(cidrContains(v6 as never, parseIp("10.0.0.1") as never)).toBe(false);
    expect(cidrContains(one as never, parseIp("192.0.2.7") as never)).toBe(true);
    expect(cidrContains(one as never, parseIp("192.0.2.8") as never)).toBe(false);
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("10.0.0.0/8/1")).toBeNull();
  });
});

describe("client address behind trusted proxies", () => {
  const trusted = cidrs("10.0.0.0/8", "fd00::/8");

  it("ignores X-Forwarded-For from an untrusted peer (a client cannot choose its own address)", () => {
    expect(clientAddress("198.51.100.1", "203.0.113.5", trusted)).toBe("198.51.100.1");
    expect(clientAddress("198.51.100.1", "203.0.113.5", [])).toBe("198.51.100.1");
  });

  it("takes the rightmost address no trusted proxy owns", () => {
    expect(clientAddress("10.0.0.2", "203.0.113.5", trusted)).toBe("203.0.113.5");
    // The client prepended a forged hop; the real one is the last untrusted entry.
    expect(clientAddress("10.0.0.2", "1.1.1.1, 203.0.113.5, 10.1.1.1", trusted)).toBe("203.0.113.5");
    expect(clientAddress("fd00::2", "2001:db8::7", trusted)).toBe("2001:db8::7");
  });

  it("falls back to the peer on a malformed hop, and to the leftmost hop when every hop is trusted", () => {
    expect(clientAddress("10.0.0.2", "203.0.113.5, garbage", trusted)).toBe("10.0.0.2");
    expect(clientAddress("10.0.0.2", "10.9.9.9, 10.1.1.1", trusted)).toBe("10.9.9.9");
    expect(clientAddress("10.0.0.2", undefined, trusted)).toBe("10.0.0.2");
  });
});
