/**
 * The last upstream failure of a provider, kept for its admins: when, at
 * which step and why (one line, query strings and secrets left out,
 * truncated), for three days, per tenant and provider.
 */
import { describe, expect, it } from "vitest";
import { MemoryKeyValueStore } from "../../src/adapters/redis/memory.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import type { FederatedLogins } from "../../src/core/federation/federated-logins.js";
import { FederationService } from "../../src/core/federation/federation.js";
import { UpstreamClient } from "../../src/core/federation/upstream.js";
import { localEgress } from "../../src/core/net/egress.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { Database, OAuthProviderRecord, Tenant } from "../../src/core/ports/database.js";
import { testConfig } from "../support/app.js";
import { recordingLogger } from "../support/recorders.js";

const DAY = 24 * 60 * 60_000;
const tenant = { id: "t-1", settings: { redirect_uris: ["https://app.example.com/cb"] } } as unknown as Tenant;
const other = { ...tenant, id: "t-2" } as Tenant;

async function setUp(fail: () => Promise<Response>) {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const clock = { now: () => new Date(now) };
  const kv = new MemoryKeyValueStore(clock);
  const sealer = await Sealer.create(testConfig().ENCRYPTION_KEYS, cryptoRandom);
  const rows = new Map<string, OAuthProviderRecord>();
  const db = {
    oauthProviders: {
      find: async (tenantId: string, name: string) => rows.get(`${tenantId}:${name}`) ?? null,
      upsert: async (row: OAuthProviderRecord) => {
        rows.set(`${row.tenantId}:${row.name}`, row);
        return row;
      },
    },
  } as unknown as Database;
  const logs = recordingLogger();
  const federation = new FederationService({
    db,
    kv,
    sealer,
    logins: {} as FederatedLogins,
    upstream: new UpstreamClient(fail, localEgress, () => now),
    egress: localEgress,
    clock,
    random: cryptoRandom,
    logger: logs.logger,
  });
  const configure = (t: Tenant, name: string) =>
    federation.configure(t, name, {
      clientId: "c",
      clientSecret: "the-client-secret",
      issuer: "https://idp.example.com",
      scopes: [],
      enabled: true,
    });
  const login = (t: Tenant, name: string) =>
    federation.authorize(t, name, "https://auth.example/cb", {
      redirectUri: "https://app.example.com/cb",
      state: null,
      codeChallenge: null,
      codeChallengeMethod: null,
    });
  return { federation, configure, login, logs, advance: (ms: number) => (now += ms) };
}

describe("a provider's last upstream error", () => {
  it("is recorded with its time, step and cause, for three days, per tenant and provider", async () => {
    const refused = new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 203.0.113.7:443") });
    const { federation, configure, login, advance } = await setUp(() => Promise.reject(refused));
    await configure(tenant, "corp");
    await configure(other, "corp");
    expect(await federation.lastUpstreamError(tenant, "corp")).toBeNull();

    const back = new URL((await login(tenant, "corp")).location);
    expect(back.searchParams.get("error")).toBe("temporarily_unavailable");
    expect(await federation.lastUpstreamError(tenant, "corp")).toEqual({
      at: new Date("2026-01-01T00:00:00Z"),
      step: "discovery",
      detail: "fetch failed: connect ECONNREFUSED 203.0.113.7:443",
    });
    expect(await federation.lastUpstreamError(other, "corp")).toBeNull();
    expect(await federation.lastUpstreamError(tenant, "other")).toBeNull();

    advance(3 * DAY - 1);
    expect(await federation.lastUpstreamError(tenant, "corp")).not.toBeNull();
    advance(1);
    expect(await federation.lastUpstreamError(tenant, "corp")).toBeNull();
  });

  it("keeps one line of at most 300 characters without query strings or the client secret", async () => {
    const noisy = new Error(`bad\nanswer from https://idp.example.com/x?code=secret-code&token=t1 ${"y".repeat(400)}`);
    const { federation, configure, login, logs } = await setUp(() => Promise.reject(noisy));
    await configure(tenant, "corp");
    await login(tenant, "corp");
    const record = await federation.lastUpstreamError(tenant, "corp");
    expect(record?.detail).toMatch(/^bad answer from https:\/\/idp\.example\.com\/x\?… y+$/);
    expect(record?.detail.length).toBe(300);
    const line = logs.lines.find((l) => l.event === "federation_failed");
    expect(line).toMatchObject({ level: "warn", fields: { step: "discovery", reason: record?.detail } });
    expect(JSON.stringify([record, logs.lines])).not.toMatch(/secret-code|the-client-secret|t1 /);
  });
});
