import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/core/ports/database.js";
import { USER_OWNED_TABLES } from "../support/user-tables.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { newPasskey, seedTenant } from "./seed.js";

const at = new Date("2026-03-04T05:06:07.089Z");
const later = (ms: number) => new Date(at.getTime() + ms);
const DAY = 86_400_000;

/**
 * A user's deletion erases the person on every driver (PGlite, pg,
 * neon-http): every personal value of the user is marked `personal-…` here,
 * and none is left in any row afterwards, while the ids stay.
 */
export function userErasureContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`User erasure contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let clientId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await seedTenant(db, "erase", at);
      clientId = crypto.randomUUID().replace(/-/g, "").slice(0, 22);
      await db.clients.create(
        {
          tenantId,
          clientId,
          name: "Calendar",
          type: "public",
          redirectUris: ["https://app.example/cb"],
          postLogoutRedirectUris: [],
          grantTypes: ["authorization_code"],
          scopes: ["openid"],
          firstParty: false,
          accessTokenTtl: null,
          refreshTokenTtl: null,
          secretHash: null,
          now: at,
        },
        1,
      );
    });
    afterAll(async () => {
      await h.close();
    });

    /** A user with a password, name, identities, TOTP, a passkey, recovery codes, a consent, a mailed token, a session. */
    async function fullUser(emailIndex: string) {
      const mark = (what: string) => `personal-${what}-${crypto.randomUUID()}`;
      const user = await db.users.createIfAbsent({
        id: crypto.randomUUID(),
        tenantId,
        emailIndex,
        emailSealed: mark("email"),
        nameSealed: mark("name"),
        emailVerified: true,
        passwordHash: `$argon2id$${mark("hash")}`,
        scopes: [],
        now: at,
      });
      if (!user) throw new Error("The test user was not created.");
      const userId = user.id;
      const identity = (provider: string, emailVerified: boolean) =>
        db.identities.createIfAbsent({
          id: crypto.randomUUID(),
          tenantId,
          userId,
          provider,
          subject: mark("subject"),
          emailVerified,
          profileSealed: mark("profile"),
          now: at,
        });
      const linked = await identity("oauth:github", true);
      await identity("oauth:gitlab", false);
      await db.identities.unlinkUnverified(tenantId, userId, later(1));
      // The confirmed authenticator, and an enrollment an earlier release abandoned (soft-deleted with its secret).
      const totpId = crypto.randomUUID();
      await db.totp.createPending({ id: totpId, tenantId, userId, secretSealed: mark("totp"), now: later(1) });
      await db.totp.confirm(tenantId, userId, totpId, 1, later(1));
      await h.rows(
        `INSERT INTO mfa_totp (id, tenant_id, user_id, secret_sealed, created_at, updated_at, deleted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)`,
        [crypto.randomUUID(), tenantId, userId, mark("totp"), at.toISOString(), later(1).toISOString()],
      );
      const passkey = await db.passkeys.create(
        newPasskey({ tenantId, userId }, at, {
          credentialId: mark("credential"),
          publicKey: mark("key"),
          name: mark("device"),
        }),
        50,
      );
      await db.recoveryCodes.replaceAll(tenantId, userId, [mark("code"), mark("code")], at);
      await db.consents.grant(tenantId, userId, clientId, ["openid"], at);
      await db.accountTokens.create({
        tokenHash: mark("token"),
        tenantId,
        userId,
        purpose: "change_email",
        emailIndex: `k1:${mark("next-index")}`,
        emailSealed: mark("next-email"),
        createdAt: at,
        expiresAt: later(DAY),
      });
      const session = await db.sessions.create({
        id: crypto.randomUUID(),
        tenantId,
        userId,
        authMethod: "password",
        amr: ["pwd"],
        clientId: null,
        scope: "openid",
        userAgent: mark("agent"),
        ip: "192.0.2.7",
        authTime: at,
        lastUsedAt: at,
        expiresAt: later(DAY),
        absoluteExpiresAt: later(DAY),
        refreshHash: "ledger-hash",
      });
      await db.apiKeys.create(
        {
          id: crypto.randomUUID(),
          tenantId,
          userId,
          name: mark("key-name"),
          prefix: "sk_live_ab",
          keyHash: crypto.randomUUID().replaceAll("-", ""),
          scopes: [],
          expiresAt: null,
          now: at,
        },
        100,
      );
      return { userId, identity: linked, passkey, session };
    }

    /** Every row of the user, as JSON text. */
    async function rowsOf(userId: string): Promise<string[]> {
      const user = await h.rows("SELECT row_to_json(u)::text AS row FROM users u WHERE id = $1", [userId]);
      for (const table of USER_OWNED_TABLES) {
        user.push(...(await h.rows(`SELECT row_to_json(t)::text AS row FROM ${table} t WHERE user_id = $1`, [userId])));
      }
      return user.map((row) => String(row.row));
    }

    it("erases every personal value of the user and keeps the rows' ids, nobody else's", async () => {
      const gone = await fullUser(`k1:personal-index-${crypto.randomUUID()}`);
      const kept = await fullUser(`k1:personal-index-${crypto.randomUUID()}`);
      const before = await rowsOf(kept.userId);

      expect(await db.users.softDelete(tenantId, gone.userId, later(60_000))).toBe(true);
      expect(await db.users.softDelete(tenantId, gone.userId, later(120_000))).toBe(false);

      const rows = await rowsOf(gone.userId);
      expect(rows.filter((row) => row.includes("personal"))).toEqual([]);
      expect(await rowsOf(kept.userId)).toEqual(before);
      expect(before.filter((row) => row.includes("personal")).length).toBeGreaterThanOrEqual(8);

      const [user] = await h.rows(
        "SELECT email_index, email_sealed, name_sealed, password_hash, tenant_id, deleted_at FROM users WHERE id = $1",
        [gone.userId],
      );
      expect(user).toMatchObject({
        email_index: "",
        email_sealed: "",
        name_sealed: null,
        password_hash: null,
        tenant_id: tenantId,
      });
      expect(user?.deleted_at).toEqual(later(60_000));
      const count = async (table: string) =>
        (await h.rows(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [gone.userId]))[0]?.n;
      // The rows an audit event or the ledger may name stay; codes, consents and mailed tokens go.
      expect(await count("user_identities")).toBe(2);
      expect(await count("mfa_totp")).toBe(2);
      expect(await count("passkeys")).toBe(1);
      expect(await count("sessions")).toBe(1);
      for (const table of ["mfa_recovery_codes", "consents", "account_tokens"]) expect(await count(table)).toBe(0);
      const [session] = await h.rows("SELECT ip, user_agent, refresh_hash FROM sessions WHERE id = $1", [
        gone.session.id,
      ]);
      expect(session).toEqual({ ip: null, user_agent: null, refresh_hash: "ledger-hash" });
      // What was removed before the deletion keeps when it was removed.
      const removed = await h.rows(
        "SELECT deleted_at FROM user_identities WHERE user_id = $1 AND provider = 'oauth:gitlab' " +
          "UNION ALL SELECT deleted_at FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NULL",
        [gone.userId],
      );
      expect(removed.map((row) => row.deleted_at)).toEqual([later(1), later(1)]);
    });

    it("erases with `was` only while the user is as read: a stale read erases nothing; of two such writers one wins", async () => {
      const user = await fullUser(`k1:personal-index-${crypto.randomUUID()}`);
      const personal = async () => (await rowsOf(user.userId)).filter((row) => row.includes("personal")).length;
      const read = await db.users.findById(tenantId, user.userId);
      if (!read) throw new Error("The user is gone.");
      const before = await personal();
      await db.users.update(tenantId, user.userId, { scopes: ["changed"] }, later(1000));
      expect(await db.users.softDelete(tenantId, user.userId, later(2000), read)).toBe(false);
      expect(await personal()).toBe(before);
      const current = await db.users.findById(tenantId, user.userId);
      if (!current) throw new Error("The user is gone.");
      const both = await Promise.all([
        db.users.update(tenantId, user.userId, { scopes: ["again"] }, later(3000), current),
        db.users.softDelete(tenantId, user.userId, later(3000), current),
      ]);
      expect(both.filter((result) => result !== null && result !== false)).toHaveLength(1);
      expect((await db.users.findById(tenantId, user.userId)) === null).toBe(both[1]);
    });

    it("sweeps the users an earlier release deleted without erasing them, in batches, once", async () => {
      const deletedAt = later(30_000);
      const old = [
        await fullUser(`k1:personal-index-${crypto.randomUUID()}`),
        await fullUser(`k1:personal-index-${crypto.randomUUID()}`),
        await fullUser(`k1:personal-index-${crypto.randomUUID()}`),
      ];
      const kept = await fullUser(`k1:personal-index-${crypto.randomUUID()}`);
      const before = await rowsOf(kept.userId);
      // What that release did: the user row marked deleted, its identities unlinked, nothing erased.
      for (const { userId } of old) {
        await h.rows("UPDATE users SET deleted_at = $2 WHERE id = $1", [userId, deletedAt]);
        await h.rows("UPDATE user_identities SET deleted_at = $2 WHERE user_id = $1 AND deleted_at IS NULL", [
          userId,
          deletedAt,
        ]);
      }
      const gone = await fullUser(`k1:personal-index-${crypto.randomUUID()}`);
      expect(await db.users.softDelete(tenantId, gone.userId, later(60_000))).toBe(true);
      const erasedBefore = await rowsOf(gone.userId);

      expect(await db.users.eraseDeletedUnerased(2, later(DAY))).toBe(2);
      expect(await db.users.eraseDeletedUnerased(2, later(DAY))).toBe(1);
      expect(await db.users.eraseDeletedUnerased(2, later(DAY))).toBe(0);

      for (const { userId } of old) {
        expect((await rowsOf(userId)).filter((row) => row.includes("personal"))).toEqual([]);
        const [user] = await h.rows(
          "SELECT email_index, email_sealed, name_sealed, password_hash, deleted_at FROM users WHERE id = $1",
          [userId],
        );
        expect(user).toEqual({
          email_index: "",
          email_sealed: "",
          name_sealed: null,
          password_hash: null,
          deleted_at: deletedAt,
        });
        const count = async (table: string) =>
          (await h.rows(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [userId]))[0]?.n;
        expect(await count("user_identities")).toBe(2);
        expect(await count("mfa_totp")).toBe(2);
        expect(await count("passkeys")).toBe(1);
        expect(await count("sessions")).toBe(1);
        expect(await count("api_keys")).toBe(1);
        for (const table of ["mfa_recovery_codes", "consents", "account_tokens"]) expect(await count(table)).toBe(0);
        // An earlier release's deletion may have left its credentials live (a failure half-way): they end here.
        const [credentials] = await h.rows(
          "SELECT (SELECT count(*)::int FROM sessions WHERE user_id = $1 AND revoked_at IS NULL) AS sessions, " +
            "(SELECT count(*)::int FROM sessions WHERE user_id = $1 AND revoked_reason = 'user_ended') AS ended, " +
            "(SELECT count(*)::int FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL) AS keys",
          [userId],
        );
        expect(credentials).toEqual({ sessions: 0, ended: 1, keys: 0 });
        // Removed with the user when it was deleted, unless removed before.
        const removed = await h.rows(
          "SELECT provider AS what, deleted_at FROM user_identities WHERE user_id = $1 " +
            "UNION ALL SELECT 'totp:' || (confirmed_at IS NOT NULL), deleted_at FROM mfa_totp WHERE user_id = $1 " +
            "UNION ALL SELECT 'passkey', deleted_at FROM passkeys WHERE user_id = $1 ORDER BY what",
          [userId],
        );
        expect(removed).toEqual([
          { what: "oauth:github", deleted_at: deletedAt },
          { what: "oauth:gitlab", deleted_at: later(1) },
          { what: "passkey", deleted_at: deletedAt },
          { what: "totp:false", deleted_at: later(1) },
          { what: "totp:true", deleted_at: deletedAt },
        ]);
      }
      // Nobody else's rows: neither a live user's nor one erased at its deletion.
      expect(await rowsOf(kept.userId)).toEqual(before);
      expect(await rowsOf(gone.userId)).toEqual(erasedBefore);
    });

    it("frees the address for a new account", async () => {
      const emailIndex = `k1:personal-index-${crypto.randomUUID()}`;
      const gone = await fullUser(emailIndex);
      expect(await db.users.softDelete(tenantId, gone.userId, later(60_000))).toBe(true);
      expect(await db.users.findByEmailIndex(tenantId, [emailIndex])).toBeNull();
      expect(await db.users.findById(tenantId, gone.userId)).toBeNull();
      const again = await fullUser(emailIndex);
      expect(again.userId).not.toBe(gone.userId);
      expect((await db.users.findByEmailIndex(tenantId, [emailIndex]))?.id).toBe(again.userId);
    });

    it("leaves deleted users out of the re-encryption pass's pages and reseals", async () => {
      const gone = await fullUser(`k1:personal-index-${crypto.randomUUID()}`);
      const user = await db.users.findById(tenantId, gone.userId);
      if (!user) throw new Error("The test user was not found.");
      expect(await db.users.softDelete(tenantId, gone.userId, user.updatedAt)).toBe(true);
      const ids: string[] = [];
      for (let after: string | null = null; ; ) {
        const page = await db.users.page(after, 100);
        if (page.length === 0) break;
        ids.push(...page.map((row) => row.id));
        after = page.at(-1)?.id ?? null;
      }
      expect(ids).not.toContain(gone.userId);
      // Read before the deletion at the same instant: the erased row is not written back.
      expect(await db.users.reseal(user, { emailIndex: "k2:x", emailSealed: "resealed", nameSealed: null })).toBe(
        false,
      );
      expect(await h.rows("SELECT email_sealed FROM users WHERE id = $1", [gone.userId])).toEqual([
        { email_sealed: "" },
      ]);
    });
  });
}
