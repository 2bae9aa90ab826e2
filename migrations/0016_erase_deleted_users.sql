-- Users deleted before deletion erased the person (what eraseUser does at
-- deletion now, src/adapters/postgres/user-erasure.ts): their address, its
-- blind index, name and password hash, their identities' subjects and
-- profiles, TOTP secrets, passkeys, sessions' address and user agent, API
-- keys' names go;
-- recovery codes, consents and mailed tokens are deleted. Sealed values need
-- no key to be removed. Ids, tenants, timestamps and deleted_at stay.
UPDATE "users" SET "email_index" = '', "email_sealed" = '', "name_sealed" = NULL, "password_hash" = NULL
  WHERE "deleted_at" IS NOT NULL;--> statement-breakpoint
UPDATE "user_identities" AS i
  SET "subject" = '', "email_index" = NULL, "profile_sealed" = NULL, "deleted_at" = coalesce(i."deleted_at", u."deleted_at")
  FROM "users" AS u WHERE u."tenant_id" = i."tenant_id" AND u."id" = i."user_id" AND u."deleted_at" IS NOT NULL;--> statement-breakpoint
UPDATE "mfa_totp" AS t
  SET "secret_sealed" = '', "deleted_at" = coalesce(t."deleted_at", u."deleted_at")
  FROM "users" AS u WHERE u."tenant_id" = t."tenant_id" AND u."id" = t."user_id" AND u."deleted_at" IS NOT NULL;--> statement-breakpoint
UPDATE "passkeys" AS p
  SET "credential_id" = '', "public_key" = '', "name" = NULL, "deleted_at" = coalesce(p."deleted_at", u."deleted_at")
  FROM "users" AS u WHERE u."tenant_id" = p."tenant_id" AND u."id" = p."user_id" AND u."deleted_at" IS NOT NULL;--> statement-breakpoint
UPDATE "api_keys" AS k SET "name" = ''
  FROM "users" AS u WHERE u."tenant_id" = k."tenant_id" AND u."id" = k."user_id" AND u."deleted_at" IS NOT NULL;--> statement-breakpoint
UPDATE "sessions" AS s SET "ip" = NULL, "user_agent" = NULL
  FROM "users" AS u WHERE u."tenant_id" = s."tenant_id" AND u."id" = s."user_id" AND u."deleted_at" IS NOT NULL;--> statement-breakpoint
DELETE FROM "mfa_recovery_codes" AS r USING "users" AS u
  WHERE u."tenant_id" = r."tenant_id" AND u."id" = r."user_id" AND u."deleted_at" IS NOT NULL;--> statement-breakpoint
DELETE FROM "consents" AS c USING "users" AS u
  WHERE u."tenant_id" = c."tenant_id" AND u."id" = c."user_id" AND u."deleted_at" IS NOT NULL;--> statement-breakpoint
DELETE FROM "account_tokens" AS a USING "users" AS u
  WHERE u."tenant_id" = a."tenant_id" AND u."id" = a."user_id" AND u."deleted_at" IS NOT NULL;
