import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, OAuthProviderInput } from "../../src/core/ports/database.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { seedTenant, seedUser } from "./seed.js";

const at = new Date("2026-03-04T05:06:07.089Z");
const later = (ms: number) => new Date(at.getTime() + ms);

/** Upstream providers and linked identities on every driver (PGlite, pg, neon-http). */
export function federationRepositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`Federation repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let otherTenantId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await newTenant("F");
      otherTenantId = await newTenant("G");
    });
    afterAll(async () => {
      await h.close();
    });

    const newTenant = (label: string) => seedTenant(db, label.toLowerCase(), at);

    const newUser = (tenant = tenantId) => seedUser(db, tenant, at);

    const provider = (overrides: Partial<OAuthProviderInput> = {}): OAuthProviderInput => ({
      id: crypto.randomUUID(),
      tenantId,
      name: `corp-${crypto.randomUUID().slice(0, 8)}`,
      clientId: "client-1",
      clientSecretSealed: "sealed-1",
      issuer: "https://idp.example.com",
      scopes: ["openid", "email"],
      enabled: true,
      now: at,
      ...overrides,
    });

    const identity = (
      userId: string,
      overrides: { tenantId?: string; provider?: string; subject?: string; now?: Date; emailVerified?: boolean } = {},
    ) => ({
      id: crypto.randomUUID(),
      tenantId,
      userId,
      provider: "oauth:github",
      subject: crypto.randomUUID(),
      emailVerified: true,
      profileSealed: "sealed-profile",
      now: at,
      ...overrides,
    });

    describe("oauthProviders", () => {
      it("inserts a provider and resolves the stored row", async () => {
        const input = provider({ issuer: null, scopes: [] });
        const { now: _now, ...fields } = input;
        const stored = await db.oauthProviders.upsert(input);
        expect(stored).toEqual({ ...fields, createdAt: at, updatedAt: at });
        expect(await db.oauthProviders.find(tenantId, input.name)).toEqual(stored);
      });

      it("replaces the live provider of the same name, keeping its id and creation time", async () => {
        const first = await db.oauthProviders.upsert(provider({ name: "github" }));
        const second = await db.oauthProviders.upsert(
          provider({
            id: crypto.randomUUID(), // a caller that did not look first: the stored row keeps its id
            name: "github",
            clientId: "client-2",
            clientSecretSealed: "sealed-2",
            issuer: null,
            scopes: ["read:user", "user:email"],
            enabled: false,
            now: later(60_000),
          }),
        );
        expect(second).toEqual({
          id: first.id,
          tenantId,
          name: "github",
          clientId: "client-2",
          clientSecretSealed: "sealed-2",
          issuer: null,
          scopes: ["read:user", "user:email"],
          enabled: false,
          createdAt: at,
          updatedAt: later(60_000),
        });
        expect(await db.oauthProviders.find(tenantId, "github")).toEqual(second);

        const third = await db.oauthProviders.upsert(
          provider({ id: first.id, name: "github", enabled: true, now: later(120_000) }),
        );
        expect(third).toMatchObject({ id: first.id, enabled: true, createdAt: at, updatedAt: later(120_000) });
      });

      it("finds a provider within its tenant only", async () => {
        const stored = await db.oauthProviders.upsert(
          provider({ name: "google", issuer: "https://accounts.google.com" }),
        );
        expect(await db.oauthProviders.find(tenantId, "google")).toEqual(stored);
        expect(await db.oauthProviders.find(otherTenantId, "google")).toBeNull();
        expect(await db.oauthProviders.find(crypto.randomUUID(), "google")).toBeNull();
        expect(await db.oauthProviders.find(tenantId, "Google")).toBeNull();
        expect(await db.oauthProviders.find(tenantId, "no-such-provider")).toBeNull();

        // The same name in another tenant is a row of its own.
        const other = await db.oauthProviders.upsert(
          provider({ tenantId: otherTenantId, name: "google", clientId: "other-client" }),
        );
        expect(other.id).not.toBe(stored.id);
        expect((await db.oauthProviders.find(tenantId, "google"))?.clientId).toBe("client-1");
        expect((await db.oauthProviders.find(otherTenantId, "google"))?.clientId).toBe("other-client");
      });

      it("settles concurrent upserts of one name on one live row without an error", async () => {
        const name = "discord";
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            db.oauthProviders.upsert(provider({ name, clientId: `client-${i}`, now: later(i) })),
          ),
        );
        const ids = new Set(results.map((r) => r.id));
        expect(ids.size).toBe(1);
        const found = await db.oauthProviders.find(tenantId, name);
        expect(found?.id).toBe(results[0]?.id);
        expect(results.map((r) => r.clientId)).toContain(found?.clientId);
      });

      it("replaces or deletes only while the sealed secret read is stored; of two such writers one wins", async () => {
        const tenant = await newTenant("C");
        const first = await db.oauthProviders.upsert(provider({ tenantId: tenant, name: "github" }));
        const next = (sealed: string, clientId: string) =>
          provider({
            id: first.id,
            tenantId: tenant,
            name: "github",
            clientSecretSealed: sealed,
            clientId,
            now: later(1),
          });
        expect(await db.oauthProviders.replaceIf(next("sealed-2", "x"), "sealed-other")).toBeNull();
        expect(await db.oauthProviders.replaceIf(next("sealed-2", "x"), "sealed-1")).toMatchObject({
          id: first.id,
          clientId: "x",
          clientSecretSealed: "sealed-2",
          createdAt: first.createdAt,
          updatedAt: later(1),
        });
        const both = await Promise.all([
          db.oauthProviders.replaceIf(next("sealed-3", "y"), "sealed-2"),
          db.oauthProviders.replaceIf(next("sealed-4", "z"), "sealed-2"),
        ]);
        expect(both.filter((result) => result !== null)).toHaveLength(1);
        const stored = await db.oauthProviders.find(tenant, "github");
        expect(await db.oauthProviders.softDelete(tenant, "github", later(2), "sealed-2")).toBe(false);
        expect(await db.oauthProviders.find(tenant, "github")).toEqual(stored);
        expect(await db.oauthProviders.softDelete(tenant, "github", later(2), stored?.clientSecretSealed)).toBe(true);
        expect(await db.oauthProviders.replaceIf(next("sealed-5", "w"), stored?.clientSecretSealed ?? "")).toBeNull();
      });
    });

    describe("oauthProviders listing and deletion", () => {
      it("lists a tenant's live providers by name, page after page, never another tenant's", async () => {
        const tenant = await newTenant("L");
        const names = ["okta", "a-z", "a", "a0", "google"];
        const stored = [];
        for (const name of names) stored.push(await db.oauthProviders.upsert(provider({ tenantId: tenant, name })));
        await db.oauthProviders.upsert(provider({ tenantId: otherTenantId, name: "b-other" }));
        await db.oauthProviders.softDelete(tenant, "okta", later(1));
        const all = await db.oauthProviders.list(tenant, null, 100);
        expect(all.map((p) => p.name)).toEqual(["a", "a-z", "a0", "google"]);
        expect(all[0]).toEqual(stored[2]);
        expect((await db.oauthProviders.list(tenant, "a-z", 1)).map((p) => p.name)).toEqual(["a0"]);
        expect(await db.oauthProviders.list(tenant, "google", 100)).toEqual([]);
      });

      it("soft-deletes once: find misses it, and the name can be configured again as a new row", async () => {
        const tenant = await newTenant("D");
        const first = await db.oauthProviders.upsert(provider({ tenantId: tenant, name: "github" }));
        expect(await db.oauthProviders.softDelete(otherTenantId, "github", later(1))).toBe(false);
        expect(await db.oauthProviders.softDelete(tenant, "github", later(1))).toBe(true);
        expect(await db.oauthProviders.find(tenant, "github")).toBeNull();
        expect(await db.oauthProviders.softDelete(tenant, "github", later(2))).toBe(false);
        expect(await db.oauthProviders.softDelete(tenant, "never", later(2))).toBe(false);
        const again = await db.oauthProviders.upsert(provider({ tenantId: tenant, name: "github", now: later(3) }));
        expect(again.id).not.toBe(first.id);
        expect(await db.oauthProviders.find(tenant, "github")).toEqual(again);
      });
    });

    describe("samlConnections", () => {
      const connection = (tenant: string, name: string, now = at) => ({
        id: crypto.randomUUID(),
        tenantId: tenant,
        name,
        idpMetadataXml: "<md:EntityDescriptor/>",
        idpEntityId: `https://idp.example/${name}`,
        allowIdpInitiated: false,
        trustEmail: true,
        attributeMapping: { email: "mail" },
        enabled: true,
        spPrivateKeySealed: "sealed-key",
        spCertificate: "-----BEGIN CERTIFICATE-----",
        now,
      });

      it("lists live connections by name, page after page, and soft-deletes once", async () => {
        const tenant = await newTenant("S");
        const stored = [];
        for (const name of ["okta", "entra", "adfs"])
          stored.push(await db.samlConnections.upsert(connection(tenant, name)));
        await db.samlConnections.upsert(connection(otherTenantId, "b-other"));
        expect((await db.samlConnections.list(tenant, null, 100)).map((c) => c.name)).toEqual([
          "adfs",
          "entra",
          "okta",
        ]);
        expect(await db.samlConnections.list(tenant, "adfs", 1)).toEqual([stored[1]]);
        expect(await db.samlConnections.softDelete(otherTenantId, "okta", later(1))).toBe(false);
        expect(await db.samlConnections.softDelete(tenant, "okta", later(1))).toBe(true);
        expect(await db.samlConnections.softDelete(tenant, "okta", later(2))).toBe(false);
        expect(await db.samlConnections.find(tenant, "okta")).toBeNull();
        expect((await db.samlConnections.list(tenant, null, 100)).map((c) => c.name)).toEqual(["adfs", "entra"]);
        const again = await db.samlConnections.upsert(connection(tenant, "okta", later(3)));
        expect(again.id).not.toBe(stored[0]?.id);
        expect(await db.samlConnections.find(tenant, "okta")).toEqual(again);
      });

      it("replaces or deletes only while the connection is as read; of two such writers one wins", async () => {
        const tenant = await newTenant("R");
        const first = await db.samlConnections.upsert(connection(tenant, "okta"));
        const next = (xml: string, now: Date) => ({ ...connection(tenant, "okta", now), idpMetadataXml: xml });
        const replaced = await db.samlConnections.replaceIf(next("<a/>", later(1)), first);
        expect(replaced).toMatchObject({ id: first.id, idpMetadataXml: "<a/>", spPrivateKeySealed: "sealed-key" });
        expect(await db.samlConnections.replaceIf(next("<b/>", later(2)), first)).toBeNull();
        // Same columns but another time: a write landed meanwhile.
        expect(
          await db.samlConnections.replaceIf(next("<b/>", later(2)), { ...first, idpMetadataXml: "<a/>" }),
        ).toBeNull();
        const current = replaced ?? first;
        const both = await Promise.all([
          db.samlConnections.replaceIf(next("<c/>", later(3)), current),
          db.samlConnections.replaceIf({ ...next("<d/>", later(3)), enabled: false }, current),
        ]);
        expect(both.filter((result) => result !== null)).toHaveLength(1);
        expect(await db.samlConnections.softDelete(tenant, "okta", later(4), current)).toBe(false);
        const latest = await db.samlConnections.find(tenant, "okta");
        expect(await db.samlConnections.softDelete(tenant, "okta", later(4), latest ?? undefined)).toBe(true);
      });
    });

    describe("identities", () => {
      it("links an identity and finds it by tenant, provider and subject", async () => {
        const userId = await newUser();
        const input = identity(userId, { subject: "583231" });
        const created = await db.identities.createIfAbsent(input);
        expect(created).toEqual({
          id: input.id,
          tenantId,
          userId,
          provider: "oauth:github",
          subject: "583231",
          emailVerified: true,
          createdAt: at,
        });
        expect(await db.identities.find(tenantId, "oauth:github", "583231")).toEqual(created);
        expect(await db.identities.find(tenantId, "oauth:gitlab", "583231")).toBeNull();
        expect(await db.identities.find(tenantId, "oauth:github", "5832310")).toBeNull();
        expect(await db.identities.find(otherTenantId, "oauth:github", "583231")).toBeNull();
      });

      it("resolves null for a second link of the same tenant, provider and subject, keeping the first", async () => {
        const first = await newUser();
        const second = await newUser();
        const subject = "110169484474386276334";
        const created = await db.identities.createIfAbsent(identity(first, { provider: "oauth:google", subject }));
        expect(created).not.toBeNull();
        expect(
          await db.identities.createIfAbsent(identity(second, { provider: "oauth:google", subject, now: later(1) })),
        ).toBeNull();
        expect(await db.identities.createIfAbsent(identity(first, { provider: "oauth:google", subject }))).toBeNull();
        expect(await db.identities.find(tenantId, "oauth:google", subject)).toEqual(created);
      });

      it("unlinks every identity of one provider in one tenant, after which the subject links afresh", async () => {
        const userId = await newUser();
        const otherUserId = await newUser(otherTenantId);
        const gone = identity(userId, { provider: "oauth:moved", subject: "s-1" });
        await db.identities.createIfAbsent(gone);
        await db.identities.createIfAbsent(identity(userId, { provider: "oauth:moved", subject: "s-2" }));
        await db.identities.createIfAbsent(identity(userId, { provider: "oauth:kept", subject: "s-1" }));
        await db.identities.createIfAbsent(
          identity(otherUserId, { tenantId: otherTenantId, provider: "oauth:moved", subject: "s-1" }),
        );
        expect(await db.identities.unlinkProvider(tenantId, "oauth:moved", later(1))).toBe(2);
        expect(await db.identities.unlinkProvider(tenantId, "oauth:moved", later(2))).toBe(0);
        expect(await db.identities.find(tenantId, "oauth:moved", "s-1")).toBeNull();
        expect(await db.identities.find(tenantId, "oauth:kept", "s-1")).not.toBeNull();
        expect(await db.identities.find(otherTenantId, "oauth:moved", "s-1")).not.toBeNull();
        const other = await newUser();
        expect(
          (await db.identities.createIfAbsent(identity(other, { provider: "oauth:moved", subject: "s-1" })))?.userId,
        ).toBe(other);
      });

      it("unlinks a user's identities whose provider did not verify the address", async () => {
        const userId = await newUser();
        const otherUserId = await newUser();
        const unverified = identity(userId, { provider: "oauth:gitlab", emailVerified: false });
        const verified = identity(userId, { provider: "oauth:google" });
        const someoneElses = identity(otherUserId, { provider: "oauth:gitlab", emailVerified: false });
        for (const each of [unverified, verified, someoneElses]) await db.identities.createIfAbsent(each);
        expect(await db.identities.unlinkUnverified(tenantId, userId, later(1))).toBe(1);
        expect(await db.identities.unlinkUnverified(tenantId, userId, later(2))).toBe(0);
        expect(await db.identities.find(tenantId, "oauth:gitlab", unverified.subject)).toBeNull();
        expect(await db.identities.find(tenantId, "oauth:google", verified.subject)).toMatchObject({
          emailVerified: true,
        });
        expect(await db.identities.find(tenantId, "oauth:gitlab", someoneElses.subject)).toMatchObject({
          userId: otherUserId,
          emailVerified: false,
        });
      });

      it("allows the same subject at another provider or in another tenant", async () => {
        const userId = await newUser();
        const otherUserId = await newUser(otherTenantId);
        const subject = "80351110224678912";
        const base = await db.identities.createIfAbsent(identity(userId, { provider: "oauth:discord", subject }));
        const otherProvider = await db.identities.createIfAbsent(
          identity(userId, { provider: "oauth:my-corp", subject }),
        );
        const otherTenant = await db.identities.createIfAbsent(
          identity(otherUserId, { tenantId: otherTenantId, provider: "oauth:discord", subject }),
        );
        expect(base).not.toBeNull();
        expect(otherProvider).not.toBeNull();
        expect(otherTenant).not.toBeNull();
        expect(new Set([base?.id, otherProvider?.id, otherTenant?.id]).size).toBe(3);
        expect(await db.identities.find(tenantId, "oauth:discord", subject)).toEqual(base);
        expect(await db.identities.find(tenantId, "oauth:my-corp", subject)).toEqual(otherProvider);
        expect(await db.identities.find(otherTenantId, "oauth:discord", subject)).toEqual(otherTenant);
      });

      it("links exactly once under concurrent attempts", async () => {
        const users = await Promise.all(Array.from({ length: 6 }, () => newUser()));
        const subject = "001456.8f2c0e1c7bb24a5db4b3a7f4b2d1e6c9.1322";
        const results = await Promise.all(
          users.map((userId) => db.identities.createIfAbsent(identity(userId, { provider: "oauth:apple", subject }))),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await db.identities.find(tenantId, "oauth:apple", subject)).toEqual(winners[0]);
      });

      it("records logins without changing what find resolves, within the tenant only", async () => {
        const userId = await newUser();
        const created = await db.identities.createIfAbsent(
          identity(userId, { provider: "oauth:gitlab", subject: "42" }),
        );
        if (!created) throw new Error("The identity was not created.");
        await db.identities.recordLogin(tenantId, created.id, "sealed-profile-2", later(5_000));
        await db.identities.recordLogin(tenantId, created.id, null, later(6_000));
        await db.identities.recordLogin(otherTenantId, created.id, "sealed-elsewhere", later(7_000));
        await db.identities.recordLogin(tenantId, crypto.randomUUID(), null, later(8_000));
        expect(await db.identities.find(tenantId, "oauth:gitlab", "42")).toEqual(created);
      });
    });
  });
}
