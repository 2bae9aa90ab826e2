import { describe, expect, it } from "vitest";
import { limitsOf } from "../../src/core/rate-limit/limits.js";
import { allowedOrigins, settingsOf } from "../../src/core/tenant-settings.js";

describe("settings derived per tenant object", () => {
  const tenant = {
    settings: {
      access_token_ttl: 120,
      redirect_uris: ["https://app.example.com/cb", "com.example.app:/cb", "not a uri"],
      rate_limits: { login: { limit: 5, window_seconds: 10 }, signup: { limit: 0, window_seconds: 10 } },
    },
  };

  it("parses once and hands the same value back for the same tenant object", () => {
    expect(settingsOf(tenant)).toBe(settingsOf(tenant));
    expect(allowedOrigins(tenant)).toBe(allowedOrigins(tenant));
    expect(limitsOf(tenant)).toBe(limitsOf(tenant));
  });

  it("applies valid values, falls back to defaults for invalid ones, and drops opaque origins", () => {
    expect(settingsOf(tenant).accessTokenTtl).toBe(120);
    expect([...allowedOrigins(tenant)]).toEqual(["https://app.example.com"]);
    expect(limitsOf(tenant).login).toEqual({ limit: 5, windowSeconds: 10 });
    expect(limitsOf(tenant).signup).toEqual({ limit: 10, windowSeconds: 60 });
    expect(limitsOf(undefined).login).toEqual({ limit: 30, windowSeconds: 60 });
  });

  it("derives anew for a changed tenant (an update returns a new object)", () => {
    const updated = { settings: { ...tenant.settings, access_token_ttl: 900, redirect_uris: [] } };
    expect(settingsOf(updated).accessTokenTtl).toBe(900);
    expect(allowedOrigins(updated).size).toBe(0);
    expect(settingsOf(tenant).accessTokenTtl).toBe(120);
  });
});
