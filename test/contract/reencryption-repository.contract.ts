import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, NewAccountToken } from "../../src/core/ports/database.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { seedTenant, seedUser } from "./seed.js";

const at = new Date("2026-03-04T05:06:07.089Z");
const later = (ms: number) => new Date(at.getTime() + ms);

/** Every row a keyset pager yields, `limit` at a time, asserting it never repeats or goes back. */
async function everyRow<Row>(
  page: (after: string | null) => Promise<Row[]>,
  key: (row: Row) => string,
  limit: number,
): Promise<Row[]> {
  const all: Row[] = [];
  for (let after: string | null = null; ; ) {
    const rows = await page(after);
    expect(rows.length).toBeLessThanOrEqual(limit);
    all.push(...rows);
    if (rows.length < limit) break;
    after = key(rows[rows.length - 1] as Row);
  }
  const keys = all.map(key);
  expect(new Set(keys).size).toBe(keys.length);
  return all;
}

/** Every row of a pager, two at a time: in key order, with each `live` key and none of the `gone` ones. */
async function pagedInKeyOrder<Row>(
  page: (after: string | null, limit: number) => Promise<Row[]>,
  key: (row: Row) => string,
  { live, gone }: { live: string[]; gone: string[] },
): Promise<Row[]> {
  const rows = await everyRow((after) => page(after, 2), key, 2);
  const keys = rows.map(key);
  expect(keys).toEqual([...keys].sort());
  expect(keys).toEqual(expect.arrayContaining(live));
  for (const absent of gone) expect(keys).not.toContain(absent);
  return rows;
}

/**
 * What the re-encryption pass asks of the repositories holding sealed
 * columns, on every driver: live rows of every tenant page by id, and a
 * sealed value is swapped only while the row still holds the one read
 * (a concurrent change is never overwritten).
 */
export function reencryptionRepositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`Re-encryption repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let otherTenantId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await seedTenant(db, "reseal", at);
      otherTenantId = await seedTenant(db, "reseal-other", at);
    });
    afterAll(async () => {
      await h.close();
    });

    it("pages live TOTP authenticators of every tenant and reseals a secret only while it holds what was read", async () => {
      const mine = await seedUser(db, tenantId, at);
      const theirs = await seedUser(db, otherTenantId, at);
      const live = crypto.randomUUID();
      const other = crypto.randomUUID();
      const removed = crypto.randomUUID();
      await db.totp.createPending({ id: removed, tenantId, userId: mine, secretSealed: "s1.k1.removed", now: at });
      await db.totp.remove(tenantId, mine, removed, later(1));
      await db.totp.createPending({ id: live, tenantId, userId: mine, secretSealed: "s1.k1.live", now: at });
      await db.totp.createPending({
        id: other,
        tenantId: otherTenantId,
        userId: theirs,
        secretSealed: "s1.k1.o",
        now: at,
      });

      const rows = await pagedInKeyOrder(
        (after, limit) => db.totp.page(after, limit),
        (r) => r.id,
        {
          live: [live, other],
          gone: [removed],
        },
      );
      expect(rows.find((r) => r.id === live)).toMatchObject({ tenantId, userId: mine, secretSealed: "s1.k1.live" });

      expect(await db.totp.reseal(live, "s1.k1.stale", "s1.k2.x")).toBe(false);
      expect(await db.totp.reseal(live, "s1.k1.live", "s1.k2.live")).toBe(true);
      expect(await db.totp.reseal(live, "s1.k1.live", "s1.k2.again")).toBe(false);
      expect((await db.totp.find(tenantId, mine, live))?.secretSealed).toBe("s1.k2.live");
      expect(await db.totp.reseal(removed, "s1.k1.removed", "s1.k2.removed")).toBe(false);
      expect(await db.totp.reseal(crypto.randomUUID(), "s1.k1.live", "s1.k2.x")).toBe(false);
      // The other tenant's row is untouched.
      expect((await db.totp.find(otherTenantId, theirs, other))?.secretSealed).toBe("s1.k1.o");
    });

    it("pages live OAuth providers of every tenant and reseals a client secret only while it holds what was read", async () => {
      const provider = (tenant: string, name: string, clientSecretSealed: string) =>
        db.oauthProviders.upsert({
          id: crypto.randomUUID(),
          tenantId: tenant,
          name,
          clientId: "c",
          clientSecretSealed,
          issuer: null,
          scopes: [],
          enabled: true,
          now: at,
        });
      const removed = await provider(tenantId, "gone", "s1.k1.gone");
      await db.oauthProviders.softDelete(tenantId, "gone", later(1));
      const live = await provider(tenantId, "github", "s1.k1.gh");
      const other = await provider(otherTenantId, "github", "s1.k1.other");

      const rows = await pagedInKeyOrder(
        (after, limit) => db.oauthProviders.page(after, limit),
        (r) => r.id,
        {
          live: [live.id, other.id],
          gone: [removed.id],
        },
      );
      expect(rows.find((r) => r.id === live.id)).toEqual(live);

      expect(await db.oauthProviders.reseal(live.id, "s1.k1.stale", "s1.k2.x")).toBe(false);
      expect(await db.oauthProviders.reseal(live.id, "s1.k1.gh", "s1.k2.gh")).toBe(true);
      expect(await db.oauthProviders.find(tenantId, "github")).toEqual({ ...live, clientSecretSealed: "s1.k2.gh" });
      // An admin's new secret meanwhile is kept.
      await provider(tenantId, "github", "s1.k2.admin");
      expect(await db.oauthProviders.reseal(live.id, "s1.k2.gh", "s1.k2.resealed")).toBe(false);
      expect((await db.oauthProviders.find(tenantId, "github"))?.clientSecretSealed).toBe("s1.k2.admin");
      expect(await db.oauthProviders.reseal(removed.id, "s1.k1.gone", "s1.k2.gone")).toBe(false);
      expect((await db.oauthProviders.find(otherTenantId, "github"))?.clientSecretSealed).toBe("s1.k1.other");
    });

    it("pages live SAML connections of every tenant and reseals an SP key only while it holds what was read", async () => {
      const connection = (tenant: string, name: string, spPrivateKeySealed: string) =>
        db.samlConnections.upsert({
          id: crypto.randomUUID(),
          tenantId: tenant,
          name,
          idpMetadataXml: "<md:EntityDescriptor/>",
          idpEntityId: `https://idp.example/${name}`,
          allowIdpInitiated: false,
          trustEmail: false,
          attributeMapping: {},
          enabled: true,
          spPrivateKeySealed,
          spCertificate: "-----BEGIN CERTIFICATE-----",
          now: at,
        });
      const removed = await connection(tenantId, "gone", "s1.k1.gone");
      await db.samlConnections.softDelete(tenantId, "gone", later(1));
      const live = await connection(tenantId, "okta", "s1.k1.okta");
      const other = await connection(otherTenantId, "okta", "s1.k1.other");

      const rows = await pagedInKeyOrder(
        (after, limit) => db.samlConnections.page(after, limit),
        (r) => r.id,
        {
          live: [live.id, other.id],
          gone: [removed.id],
        },
      );
      expect(rows.find((r) => r.id === live.id)).toEqual(live);

      expect(await db.samlConnections.reseal(live.id, "s1.k1.stale", "s1.k2.x")).toBe(false);
      expect(await db.samlConnections.reseal(live.id, "s1.k1.okta", "s1.k2.okta")).toBe(true);
      expect(await db.samlConnections.reseal(live.id, "s1.k1.okta", "s1.k2.again")).toBe(false);
      expect(await db.samlConnections.find(tenantId, "okta")).toEqual({ ...live, spPrivateKeySealed: "s1.k2.okta" });
      expect(await db.samlConnections.reseal(removed.id, "s1.k1.gone", "s1.k2.gone")).toBe(false);
      expect((await db.samlConnections.find(otherTenantId, "okta"))?.spPrivateKeySealed).toBe("s1.k1.other");
    });

    it("pages live identities holding a profile and reseals a profile only while it holds what was read", async () => {
      const userId = await seedUser(db, tenantId, at);
      const theirs = await seedUser(db, otherTenantId, at);
      const link = async (tenant: string, user: string, provider: string, profileSealed: string | null) => {
        const created = await db.identities.createIfAbsent({
          id: crypto.randomUUID(),
          tenantId: tenant,
          userId: user,
          provider,
          subject: crypto.randomUUID(),
          emailVerified: true,
          profileSealed,
          now: at,
        });
        if (!created) throw new Error("The identity was not linked.");
        return created;
      };
      const live = await link(tenantId, userId, "oauth:github", "s1.k1.p");
      const other = await link(otherTenantId, theirs, "saml:okta", "s1.k1.other");
      const bare = await link(tenantId, userId, "oauth:google", null);
      const unlinked = await link(tenantId, userId, "oauth:moved", "s1.k1.moved");
      await db.identities.unlinkProvider(tenantId, "oauth:moved", later(1));

      const rows = await pagedInKeyOrder(
        (after, limit) => db.identities.pageProfiles(after, limit),
        (r) => r.id,
        {
          live: [live.id, other.id],
          gone: [bare.id, unlinked.id],
        },
      );
      expect(rows.find((r) => r.id === other.id)).toEqual({
        id: other.id,
        tenantId: otherTenantId,
        provider: "saml:okta",
        subject: other.subject,
        profileSealed: "s1.k1.other",
      });

      expect(await db.identities.resealProfile(live.id, "s1.k1.stale", "s1.k2.x")).toBe(false);
      expect(await db.identities.resealProfile(live.id, "s1.k1.p", "s1.k2.p")).toBe(true);
      // A login meanwhile stored a fresh profile: it stays.
      await db.identities.recordLogin(tenantId, live.id, "s1.k2.login", later(2));
      expect(await db.identities.resealProfile(live.id, "s1.k2.p", "s1.k2.resealed")).toBe(false);
      const after = await everyRow(
        (a) => db.identities.pageProfiles(a, 50),
        (r) => r.id,
        50,
      );
      expect(after.find((r) => r.id === live.id)?.profileSealed).toBe("s1.k2.login");
      expect(await db.identities.resealProfile(unlinked.id, "s1.k1.moved", "s1.k2.moved")).toBe(false);
    });

    it("samples per tenant the oldest live user, the signing keys that sign, a TOTP secret, providers and connections", async () => {
      const sampled = await seedTenant(db, "sample", at);
      const user = async (emailSealed: string, when: Date) => {
        const created = await db.users.createIfAbsent({
          id: crypto.randomUUID(),
          tenantId: sampled,
          emailIndex: `k:${crypto.randomUUID()}`,
          emailSealed,
          nameSealed: null,
          emailVerified: false,
          passwordHash: null,
          scopes: [],
          now: when,
        });
        if (!created) throw new Error("The test user was not created.");
        return created.id;
      };
      // The oldest user was deleted: the oldest live one stands for the tenant's users.
      const deleted = await user("s1.k0.deleted", later(-2_000));
      await db.users.softDelete(sampled, deleted, later(1));
      const oldest = await user("s1.k1.oldest", later(-1_000));
      await user("s1.k2.newer", at);
      const key = (kid: string, sealed: string) => ({
        id: crypto.randomUUID(),
        tenantId: sampled,
        kid,
        alg: "ES256" as const,
        publicJwk: { kty: "EC" },
        privateKeySealed: sealed,
        createdAt: at,
      });
      const active = key("a", "s1.k1.active");
      const next = key("n", "s1.k1.next");
      expect(await db.signingKeys.createRing(active, next, at)).toBe(true);
      const newNext = key("m", "s1.k2.new-next");
      expect(
        await db.signingKeys.rotate({
          tenantId: sampled,
          activeId: active.id,
          nextId: next.id,
          now: later(1),
          retiredPublishUntil: later(60_000),
          newNext,
        }),
      ).toBe(true);
      const totp = crypto.randomUUID();
      await db.totp.createPending({ id: totp, tenantId: sampled, userId: oldest, secretSealed: "s1.k1.totp", now: at });
      const provider = await db.oauthProviders.upsert({
        id: crypto.randomUUID(),
        tenantId: sampled,
        name: "github",
        clientId: "c",
        clientSecretSealed: "s1.k1.gh",
        issuer: null,
        scopes: [],
        enabled: true,
        now: at,
      });
      const connection = await db.samlConnections.upsert({
        id: crypto.randomUUID(),
        tenantId: sampled,
        name: "okta",
        idpMetadataXml: "<md:EntityDescriptor/>",
        idpEntityId: "https://idp.example/okta",
        allowIdpInitiated: false,
        trustEmail: false,
        attributeMapping: {},
        enabled: true,
        spPrivateKeySealed: "s1.k1.okta",
        spCertificate: "-----BEGIN CERTIFICATE-----",
        now: at,
      });

      const samples = (await db.sealedValues.sample()).filter((s) => s.tenantId === sampled);
      const byPlace = (a: { table: string; id: string }, b: { table: string; id: string }) =>
        `${a.table} ${a.id}`.localeCompare(`${b.table} ${b.id}`);
      const mine = { tenantId: sampled };
      expect(samples.sort(byPlace)).toEqual(
        [
          { ...mine, table: "users", id: oldest, name: null, sealed: "s1.k1.oldest" },
          // The retired key (the former active one) is not sampled; the promoted and the new next are.
          { ...mine, table: "signing_keys", id: next.id, name: null, sealed: "s1.k1.next" },
          { ...mine, table: "signing_keys", id: newNext.id, name: null, sealed: "s1.k2.new-next" },
          { ...mine, table: "mfa_totp", id: totp, name: null, sealed: "s1.k1.totp" },
          { ...mine, table: "oauth_providers", id: provider.id, name: "github", sealed: "s1.k1.gh" },
          { ...mine, table: "saml_connections", id: connection.id, name: "okta", sealed: "s1.k1.okta" },
        ].sort(byPlace),
      );
    });

    it("pages usable mailed tokens by hash and reseals one only while unspent and holding what was read", async () => {
      const userId = await seedUser(db, tenantId, at);
      const token = (overrides: Partial<NewAccountToken> = {}): NewAccountToken => ({
        tokenHash: crypto.randomUUID(),
        tenantId,
        userId,
        purpose: "change_email",
        emailIndex: "k1:new-address",
        emailSealed: "s1.k1.address",
        createdAt: at,
        expiresAt: later(60_000),
        ...overrides,
      });
      const change = token();
      const reset = token({ purpose: "password_reset", emailSealed: null, emailIndex: "k1:address" });
      const spent = token();
      const expired = token({ expiresAt: later(1_000) });
      for (const t of [change, reset, spent, expired]) await db.accountTokens.create(t);
      await db.accountTokens.consume(tenantId, spent.tokenHash, ["change_email"], later(1));

      const rows = await pagedInKeyOrder(
        (after, limit) => db.accountTokens.pageUsable(after, limit, later(2_000)),
        (r) => r.tokenHash,
        {
          live: [change.tokenHash, reset.tokenHash],
          gone: [spent.tokenHash, expired.tokenHash],
        },
      );
      expect(rows.find((r) => r.tokenHash === change.tokenHash)).toEqual({ ...change, usedAt: null });

      const next = { emailIndex: "k2:new-address", emailSealed: "s1.k2.address" };
      expect(await db.accountTokens.reseal(change.tokenHash, { ...change, emailIndex: "k1:stale" }, next)).toBe(false);
      expect(await db.accountTokens.reseal(change.tokenHash, { ...change, emailSealed: null }, next)).toBe(false);
      expect(await db.accountTokens.reseal(change.tokenHash, change, next)).toBe(true);
      expect(await db.accountTokens.reseal(change.tokenHash, change, next)).toBe(false);
      expect(await db.accountTokens.find(tenantId, change.tokenHash, ["change_email"], later(3))).toMatchObject(next);

      const reindexed = { emailIndex: "k2:address", emailSealed: null };
      expect(await db.accountTokens.reseal(reset.tokenHash, { ...reset, emailSealed: "s1.k1.x" }, reindexed)).toBe(
        false,
      );
      expect(await db.accountTokens.reseal(reset.tokenHash, reset, reindexed)).toBe(true);
      expect(await db.accountTokens.find(tenantId, reset.tokenHash, ["password_reset"], later(3))).toMatchObject(
        reindexed,
      );
      // A spent token is left as it is.
      expect(await db.accountTokens.reseal(spent.tokenHash, spent, next)).toBe(false);
    });
  });
}
