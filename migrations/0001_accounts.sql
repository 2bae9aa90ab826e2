DROP INDEX "signing_keys_one_active_key";--> statement-breakpoint
DROP INDEX "signing_keys_one_next_key";--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "scopes" jsonb DEFAULT '[]'::jsonb NOT NULL;