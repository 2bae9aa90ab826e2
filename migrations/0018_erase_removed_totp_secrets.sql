-- A removed TOTP authenticator keeps its row (the ledger keeps removed rows)
-- but not its secret, which has no use once removed: what removal does now
-- (src/adapters/postgres/mfa.ts), done for the rows removed before.
UPDATE "mfa_totp" SET "secret_sealed" = '' WHERE "deleted_at" IS NOT NULL AND "secret_sealed" <> '';
