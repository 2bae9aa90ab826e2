CREATE TABLE "saml_connections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"idp_metadata_xml" text NOT NULL,
	"idp_entity_id" text NOT NULL,
	"allow_idp_initiated" boolean DEFAULT false NOT NULL,
	"attribute_mapping" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"sp_private_key_sealed" text NOT NULL,
	"sp_certificate" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "saml_connections" ADD CONSTRAINT "saml_connections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "saml_connections_tenant_name_live_key" ON "saml_connections" USING btree ("tenant_id","name") WHERE deleted_at IS NULL;