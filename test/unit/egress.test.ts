/**
 * The egress policy that guards calls to tenant-given provider URLs: the
 * production policy refuses every local, private, special-purpose and
 * metadata destination, by name, literal address or embedded IPv4.
 */
import { describe, expect, it } from "vitest";
import { egressPolicyFor, localEgress, publicEgress } from "../../src/core/net/egress.js";

describe("production egress policy", () => {
  it.each([
    "http://idp.example.com",
    "http://127.0.0.1:8080",
    "https://user:pass@idp.example.com",
    "https://127.0.0.1",
    "https://127.1.2.3:8443",
    "https://2130706433", // 127.0.0.1 as a number; the URL parser makes it a dotted quad
    "https://0x7f.1",
    "https://0.0.0.0",
    "https://10.0.0.1",
    "https://172.16.5.4",
    "https://192.168.1.1",
    "https://100.64.0.1",
    "https://169.254.169.254",
    "https://192.0.0.8",
    "https://192.0.2.1",
    "https://198.18.0.1",
    "https://198.51.100.7",
    "https://203.0.113.9",
    "https://224.0.0.1",
    "https://240.0.0.1",
    "https://255.255.255.255",
    "https://[::1]",
    "https://[::]",
    "https://[::ffff:127.0.0.1]",
    "https://[::ffff:7f00:1]",
    "https://[::ffff:10.0.0.1]",
    "https://[::127.0.0.1]", // IPv4-compatible
    "https://[::ffff:0:169.254.169.254]", // SIIT
    "https://[64:ff9b::a9fe:a9fe]", // NAT64 of 169.254.169.254
    "https://[64:ff9b:1::1]",
    "https://[2002:7f00:1::]", // 6to4 of 127.0.0.1
    "https://[2002:c0a8:101::1]", // 6to4 of 192.168.1.1
    "https://[fd00:ec2::254]",
    "https://[fc00::1]",
    "https://[fe80::1]",
    "https://[fec0::1]",
    "https://[ff02::1]",
    "https://[100::1]",
    "https://[2001:db8::1]",
    "https://[2001::1]", // Teredo
    "https://[3fff::1]",
    "https://localhost",
    "https://LOCALHOST.",
    "https://idp.localhost",
    "https://metadata.google.internal",
    "https://metadata",
    "https://printer.local",
    "https://router.home.arpa",
    "https://intranet",
  ])("refuses %s", (raw) => {
    expect(publicEgress.refusal(new URL(raw))).not.toBeNull();
  });

  it.each([
    "https://accounts.google.com",
    "https://login.microsoftonline.com/tenant/v2.0",
    "https://idp.example.com:8443/realms/x",
    "https://8.8.8.8",
    "https://[2606:4700::1111]",
    "https://[64:ff9b::808:808]", // NAT64 of a public address
    "https://[2002:808:808::1]", // 6to4 of a public address
  ])("allows %s", (raw) => {
    expect(publicEgress.refusal(new URL(raw))).toBeNull();
  });

  it("judges resolved addresses the same way", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fd00:ec2::254"]) {
      expect(publicEgress.allowsAddress(address), address).toBe(false);
    }
    expect(publicEgress.allowsAddress("not an address")).toBe(false);
    expect(publicEgress.allowsAddress("93.184.215.14")).toBe(true);
    expect(publicEgress.allowsAddress("2606:4700::1111")).toBe(true);
  });

  it("is the policy of APP_ENV=production only", () => {
    expect(egressPolicyFor("production")).toBe(publicEgress);
    expect(egressPolicyFor("test")).toBe(localEgress);
    expect(egressPolicyFor("development")).toBe(localEgress);
    expect(localEgress.refusal(new URL("http://127.0.0.1:1"))).toBeNull();
    expect(localEgress.refusal(new URL("http://idp.example.com"))).not.toBeNull();
  });
});
