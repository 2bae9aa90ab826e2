import { describe, expect, it } from "vitest";
import { isRegistrableSuffix, relyingPartyOf } from "../../src/core/mfa/relying-party.js";
import type { Tenant } from "../../src/core/ports/database.js";

const tenant = (settings: Record<string, unknown>): Tenant => ({
  id: "00000000-0000-4000-8000-000000000001",
  slug: "acme",
  name: "Acme Ünïcode",
  settings,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

describe("Passkey RP ID", () => {
  it("accepts the host itself and its parent domains, nothing else", () => {
    expect(isRegistrableSuffix("auth.example.com", "auth.example.com")).toBe(true);
    expect(isRegistrableSuffix("example.com", "auth.example.com")).toBe(true);
    expect(isRegistrableSuffix("EXAMPLE.com", "auth.example.com")).toBe(true);
    expect(isRegistrableSuffix("com", "auth.example.com")).toBe(false);
    expect(isRegistrableSuffix("ample.com", "auth.example.com")).toBe(false);
    expect(isRegistrableSuffix("other.com", "auth.example.com")).toBe(false);
    expect(isRegistrableSuffix("sub.auth.example.com", "auth.example.com")).toBe(false);
    expect(isRegistrableSuffix(".example.com", "auth.example.com")).toBe(false);
    expect(isRegistrableSuffix("0.1", "127.0.0.1")).toBe(false);
    expect(isRegistrableSuffix("localhost", "localhost")).toBe(true);
  });

  it("uses PUBLIC_URL's host and origin and the tenant's name; a valid tenant setting overrides the RP ID", () => {
    expect(relyingPartyOf(tenant({}), "https://auth.example.com:8443/base")).toEqual({
      rp: { id: "auth.example.com", origin: "https://auth.example.com:8443", name: "Acme Ünïcode" },
      ignoredSetting: null,
    });
    expect(relyingPartyOf(tenant({ passkey_rp_id: "example.com" }), "https://auth.example.com").rp.id).toBe(
      "example.com",
    );
  });

  it("ignores (and reports) a tenant setting that is not a registrable suffix of the host", () => {
    expect(relyingPartyOf(tenant({ passkey_rp_id: "evil.example" }), "https://auth.example.com")).toEqual({
      rp: { id: "auth.example.com", origin: "https://auth.example.com", name: "Acme Ünïcode" },
      ignoredSetting: "evil.example",
    });
    expect(relyingPartyOf(tenant({ passkey_rp_id: 42 }), "https://auth.example.com").ignoredSetting).toBe("42");
    expect(relyingPartyOf(tenant({ passkey_rp_id: null }), "https://auth.example.com").ignoredSetting).toBeNull();
  });
});
