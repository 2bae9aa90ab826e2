-- One active and one next signing key per tenant. Deferred to the end of the
-- transaction (exclusion constraints can be; unique indexes cannot), so a
-- single statement may retire the active key, promote the next one and add a
-- new next key: the state of the ring is checked once, after all three.
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_one_active_key"
  EXCLUDE USING btree ("tenant_id" WITH =) WHERE (state = 'active' AND deleted_at IS NULL)
  DEFERRABLE INITIALLY DEFERRED;--> statement-breakpoint
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_one_next_key"
  EXCLUDE USING btree ("tenant_id" WITH =) WHERE (state = 'next' AND deleted_at IS NULL)
  DEFERRABLE INITIALLY DEFERRED;
