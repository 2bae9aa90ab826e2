import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClientRecord, Database, ListingPosition, NewClient } from "../../src/core/ports/database.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { seedTenant, seedUser } from "./seed.js";

const at = new Date("2026-03-04T05:06:07.089Z");
const later = (ms: number) => new Date(at.getTime() + ms);

/** OAuth clients and users' consents on every driver (PGlite, pg, neon-http). */
export function clientRepositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`Client and consent repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let otherTenantId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await seedTenant(db, "cl", at);
      otherTenantId = await seedTenant(db, "cl-other", at);
    });
    afterAll(async () => {
      await h.close();
    });

    const client = (overrides: Partial<NewClient> = {}): NewClient => ({
      tenantId,
      clientId: crypto.randomUUID().replace(/-/g, "").slice(0, 22),
      name: "App ✓",
      type: "confidential",
      redirectUris: ["https://app.example/cb", "com.example.app:/cb"],
      postLogoutRedirectUris: ["https://app.example/"],
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["openid", "email"],
      firstParty: false,
      accessTokenTtl: 300,
      refreshTokenTtl: null,
      secretHash: "a".repeat(64),
      now: at,
      ...overrides,
    });

    /** Creates a client well under any cap. */
    const create = async (input: NewClient): Promise<ClientRecord> => {
      const created = await db.clients.create(input, 1_000);
      if (!created) throw new Error("The client was refused.");
      return created;
    };
    const listed = async (tenant: string) => (await db.clients.list(tenant, null, 1_000)).map((row) => row.client);

    it("stores a client whole and finds it within its tenant only", async () => {
      const { now: _, ...input } = client();
      const created = await create(client(input));
      const expected = {
        ...input,
        previousSecretHash: null,
        previousSecretExpiresAt: null,
        createdAt: at,
        updatedAt: at,
      };
      expect(created).toEqual(expected);
      expect(await db.clients.find(tenantId, input.clientId)).toEqual(expected);
      expect(await db.clients.find(otherTenantId, input.clientId)).toBeNull();
    });

    it("refuses a confidential client without a secret and a public one with one", async () => {
      await expect(create(client({ secretHash: null }))).rejects.toThrow();
      await expect(create(client({ type: "public" }))).rejects.toThrow();
      const pub = await create(client({ type: "public", secretHash: null }));
      expect(pub.secretHash).toBeNull();
    });

    it("lists the tenant's live clients newest first", async () => {
      const tenant = await seedTenant(db, "cl-list", at);
      const first = await create(client({ tenantId: tenant, now: later(1) }));
      const second = await create(client({ tenantId: tenant, now: later(2) }));
      const gone = await create(client({ tenantId: tenant, now: later(3) }));
      expect(await db.clients.softDelete(tenant, gone.clientId, later(4))).toBe(true);
      expect(await listed(tenant)).toEqual([second, first]);
      expect(await db.clients.list(crypto.randomUUID(), null, 10)).toEqual([]);
    });

    it("pages the clients by (created_at, client_id by bytes) descending, each once, from any place", async () => {
      const tenant = await seedTenant(db, "cl-pages", at);
      // Ids that sort apart by bytes and by a natural-language collation ("_" and "-", upper and lower case).
      const ids = ["A".repeat(22), "a".repeat(22), "_".repeat(22), "-".repeat(22), `${"Z".repeat(21)}a`];
      const made: ClientRecord[] = [];
      for (const [i, clientId] of ids.entries()) {
        // Two clients in each millisecond; the fifth a microsecond after its millisecond began.
        made.push(await create(client({ tenantId: tenant, clientId, now: later(Math.floor(i / 2)) })));
      }
      await h.rows(
        "UPDATE oauth_clients SET created_at = created_at + interval '7 microseconds' WHERE client_id = $1",
        [ids[4]],
      );
      const bytesDescending = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);
      const expected = [
        ids[4] as string,
        ...[ids[2], ids[3]].map((id) => id as string).sort(bytesDescending),
        ...[ids[0], ids[1]].map((id) => id as string).sort(bytesDescending),
      ];
      expect((await listed(tenant)).map((c) => c.clientId)).toEqual(expected);

      const seen: string[] = [];
      let after: ListingPosition | null = null;
      for (;;) {
        const page: { client: ClientRecord; position: ListingPosition }[] = await db.clients.list(tenant, after, 2);
        seen.push(...page.map((row) => row.client.clientId));
        if (page.length < 2) break;
        after = page.at(-1)?.position ?? null;
      }
      expect(seen).toEqual(expected);
      const [top] = await db.clients.list(tenant, null, 1);
      expect(top?.position).toEqual({ at: "2026-03-04T05:06:07.091007Z", id: ids[4] });
      expect(top?.client).toEqual(made[4]);
      // A place pages on from where it is, whether or not a client still holds it.
      const place = (at: string, id: string) => db.clients.list(tenant, { at, id }, 5);
      const idsOf = (rows: { client: ClientRecord }[]) => rows.map((row) => row.client.clientId);
      expect(idsOf(await place("2026-03-04T05:06:07.089000Z", ids[1] as string))).toEqual([ids[0]]);
      expect(idsOf(await place("2026-03-04T05:06:07.089500Z", "m".repeat(22)))).toEqual([ids[1], ids[0]]);
      expect(await place("2026-03-04T05:06:07.089000Z", ids[0] as string)).toEqual([]);
    });

    it("refuses a client beyond the tenant's cap of live clients; deleted ones and other tenants' do not count", async () => {
      const tenant = await seedTenant(db, "cl-cap", at);
      const other = await seedTenant(db, "cl-cap-other", at);
      const first = await create(client({ tenantId: tenant }));
      await create(client({ tenantId: tenant }));
      expect(await db.clients.create(client({ tenantId: tenant }), 2)).toBeNull();
      expect(await db.clients.create(client({ tenantId: other }), 2)).not.toBeNull();
      await db.clients.softDelete(tenant, first.clientId, later(1));
      const { now: _, ...input } = client({ tenantId: tenant, type: "public", secretHash: null, now: later(2) });
      expect(await db.clients.create({ ...input, now: later(2) }, 2)).toEqual({
        ...input,
        previousSecretHash: null,
        previousSecretExpiresAt: null,
        createdAt: later(2),
        updatedAt: later(2),
      });
      expect(await db.clients.create(client({ tenantId: tenant }), 2)).toBeNull();
      expect(await listed(tenant)).toHaveLength(2);
    });

    it("updates only the given fields of a live client", async () => {
      const created = await create(client());
      const updated = await db.clients.update(
        tenantId,
        created.clientId,
        { name: "Renamed", scopes: ["openid"], accessTokenTtl: null, firstParty: true },
        later(5),
      );
      expect(updated).toEqual({
        ...created,
        name: "Renamed",
        scopes: ["openid"],
        accessTokenTtl: null,
        firstParty: true,
        updatedAt: later(5),
      });
      expect(await db.clients.update(otherTenantId, created.clientId, { name: "x" }, later(6))).toBeNull();
      await db.clients.softDelete(tenantId, created.clientId, later(7));
      expect(await db.clients.update(tenantId, created.clientId, { name: "x" }, later(8))).toBeNull();
    });

    it("changes a client's type with its secret, forgetting a rotated-out one, only from the type it has", async () => {
      const created = await create(client({ secretHash: "1".repeat(64) }));
      await db.clients.rotateSecret(tenantId, created.clientId, {
        secretHash: "2".repeat(64),
        previousExpiresAt: later(86_400_000),
        now: later(1),
      });
      const toPublic = { from: "confidential", to: "public", secretHash: null } as const;
      const pub = await db.clients.update(tenantId, created.clientId, { name: "SPA" }, later(2), toPublic);
      expect(pub).toEqual({
        ...created,
        name: "SPA",
        type: "public",
        secretHash: null,
        previousSecretHash: null,
        previousSecretExpiresAt: null,
        updatedAt: later(2),
      });
      // Already public: the guarded change misses and changes nothing.
      expect(await db.clients.update(tenantId, created.clientId, { name: "x" }, later(3), toPublic)).toBeNull();
      expect(await db.clients.find(tenantId, created.clientId)).toEqual(pub);
      // The type and its secret go together (oauth_clients_secret_of_type).
      const bare = { from: "public", to: "confidential", secretHash: null } as const;
      await expect(db.clients.update(tenantId, created.clientId, {}, later(4), bare)).rejects.toThrow();
      const toConfidential = { from: "public", to: "confidential", secretHash: "3".repeat(64) } as const;
      expect(await db.clients.update(otherTenantId, created.clientId, {}, later(5), toConfidential)).toBeNull();
      expect(await db.clients.update(tenantId, created.clientId, {}, later(5), toConfidential)).toEqual({
        ...pub,
        type: "confidential",
        secretHash: "3".repeat(64),
        updatedAt: later(5),
      });
    });

    it("rotates a secret: the current one becomes the previous one, in one statement", async () => {
      const created = await create(client({ secretHash: "1".repeat(64) }));
      const first = await db.clients.rotateSecret(tenantId, created.clientId, {
        secretHash: "2".repeat(64),
        previousExpiresAt: later(86_400_000),
        now: later(10),
      });
      expect(first).toMatchObject({
        secretHash: "2".repeat(64),
        previousSecretHash: "1".repeat(64),
        previousSecretExpiresAt: later(86_400_000),
        updatedAt: later(10),
      });
      const second = await db.clients.rotateSecret(tenantId, created.clientId, {
        secretHash: "3".repeat(64),
        previousExpiresAt: later(20),
        now: later(20),
      });
      expect(second).toMatchObject({ secretHash: "3".repeat(64), previousSecretHash: "2".repeat(64) });
      const pub = await create(client({ type: "public", secretHash: null }));
      const rotation = { secretHash: "4".repeat(64), previousExpiresAt: later(30), now: later(30) };
      expect(await db.clients.rotateSecret(tenantId, pub.clientId, rotation)).toBeNull();
      expect(await db.clients.rotateSecret(otherTenantId, created.clientId, rotation)).toBeNull();
    });

    it("updates, rotates and deletes with `was` only while the client is as read; of two such writers one wins", async () => {
      const created = await create(client({ secretHash: "1".repeat(64) }));
      const id = created.clientId;
      const rotation = { secretHash: "2".repeat(64), previousExpiresAt: later(5), now: later(5) };
      const read = await db.clients.find(tenantId, id);
      if (!read) throw new Error("The client is gone.");
      expect(read).toEqual(created);
      const both = await Promise.all([
        db.clients.update(tenantId, id, { name: "One" }, later(1), undefined, read),
        db.clients.rotateSecret(tenantId, id, rotation, read),
      ]);
      expect(both.filter((result) => result !== null)).toHaveLength(1);
      const now = await db.clients.find(tenantId, id);
      expect(await db.clients.update(tenantId, id, { name: "Two" }, later(2), undefined, read)).toBeNull();
      expect(await db.clients.rotateSecret(tenantId, id, rotation, read)).toBeNull();
      expect(await db.clients.softDelete(tenantId, id, later(3), read)).toBe(false);
      expect(await db.clients.find(tenantId, id)).toEqual(now);
      if (!now) throw new Error("The client is gone.");
      // Only the secret differs from what was read: still refused.
      expect(
        await db.clients.update(tenantId, id, { name: "Three" }, later(4), undefined, {
          ...now,
          secretHash: "9".repeat(64),
        }),
      ).toBeNull();
      expect(await db.clients.update(tenantId, id, { name: "Three" }, later(4), undefined, now)).toMatchObject({
        name: "Three",
      });
      const latest = await db.clients.find(tenantId, id);
      expect(await db.clients.softDelete(tenantId, id, later(6), latest ?? undefined)).toBe(true);
    });

    it("soft-deletes once, within its tenant", async () => {
      const created = await create(client());
      expect(await db.clients.softDelete(otherTenantId, created.clientId, later(1))).toBe(false);
      expect(await db.clients.softDelete(tenantId, created.clientId, later(1))).toBe(true);
      expect(await db.clients.softDelete(tenantId, created.clientId, later(2))).toBe(false);
      expect(await db.clients.find(tenantId, created.clientId)).toBeNull();
    });

    it("keeps a user's consent per client, widening it with each grant", async () => {
      const userId = await seedUser(db, tenantId, at);
      const app = await create(client({ name: "Zeta" }));
      const other = await create(client({ name: "Alpha" }));
      expect(await db.consents.find(tenantId, userId, app.clientId)).toBeNull();
      const first = await db.consents.grant(tenantId, userId, app.clientId, ["openid", "email", "openid"], later(1));
      expect(first).toEqual({
        tenantId,
        userId,
        clientId: app.clientId,
        scopes: ["email", "openid"],
        createdAt: later(1),
        updatedAt: later(1),
      });
      const widened = await db.consents.grant(tenantId, userId, app.clientId, ["profile", "email"], later(2));
      expect(widened).toEqual({ ...first, scopes: ["email", "openid", "profile"], updatedAt: later(2) });
      expect(await db.consents.find(tenantId, userId, app.clientId)).toEqual(widened);
      expect(await db.consents.find(otherTenantId, userId, app.clientId)).toBeNull();

      await db.consents.grant(tenantId, userId, other.clientId, ["openid"], later(3));
      const listed = await db.consents.listWithClientNames(tenantId, userId);
      expect(listed.map((c) => [c.clientName, c.scopes])).toEqual([
        ["Alpha", ["openid"]],
        ["Zeta", ["email", "openid", "profile"]],
      ]);

      // A deleted client's consent is neither found, listed nor withdrawn.
      await db.clients.softDelete(tenantId, other.clientId, later(4));
      expect(await db.consents.find(tenantId, userId, other.clientId)).toBeNull();
      expect((await db.consents.listWithClientNames(tenantId, userId)).map((c) => c.clientId)).toEqual([app.clientId]);
      expect(await db.consents.revoke(tenantId, userId, other.clientId)).toBe(false);

      expect(await db.consents.revoke(otherTenantId, userId, app.clientId)).toBe(false);
      expect(await db.consents.revoke(tenantId, userId, app.clientId)).toBe(true);
      expect(await db.consents.revoke(tenantId, userId, app.clientId)).toBe(false);
      expect(await db.consents.listWithClientNames(tenantId, userId)).toEqual([]);
    });

    it("refuses a consent to another tenant's client", async () => {
      const userId = await seedUser(db, tenantId, at);
      const foreign = await create(client({ tenantId: otherTenantId }));
      await expect(db.consents.grant(tenantId, userId, foreign.clientId, ["openid"], at)).rejects.toThrow();
    });
  });
}
