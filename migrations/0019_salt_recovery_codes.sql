-- Recovery codes were stored as a bare SHA-256 of 10 characters (50 bits): a
-- database copy could be searched once for every user's codes. They are now
-- salted with their tenant and user, as new codes are
-- (src/core/mfa/recovery-codes.ts, format `v1` for these 10-character codes),
-- and keep working. Spent codes too: no bare hash stays.
UPDATE "mfa_recovery_codes"
  SET "code_hash" = 'v1:' || encode(sha256(convert_to(
    'mfa_recovery_codes:' || "tenant_id"::text || ':' || "user_id"::text || ':' || "code_hash", 'UTF8')), 'hex')
  WHERE code_hash NOT LIKE '%:%';--> statement-breakpoint
CREATE INDEX "mfa_recovery_codes_unsalted_idx" ON "mfa_recovery_codes" USING btree ("tenant_id") WHERE code_hash NOT LIKE '%:%';
