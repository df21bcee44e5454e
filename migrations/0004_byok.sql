CREATE TABLE "contact_search_tokens" (
	"tenant_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"token" text NOT NULL,
	CONSTRAINT "contact_search_tokens_tenant_id_token_contact_id_pk" PRIMARY KEY("tenant_id","token","contact_id")
);
--> statement-breakpoint
CREATE TABLE "tenant_key_material" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"wrapped_material" "bytea",
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenant_key_rotations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"target_version" integer NOT NULL,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"cursor" uuid,
	"reencrypted" bigint DEFAULT 0 NOT NULL,
	"unreadable" bigint DEFAULT 0 NOT NULL,
	"batches" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "contact_search_tokens" ADD CONSTRAINT "contact_search_tokens_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_search_tokens" ADD CONSTRAINT "contact_search_tokens_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_key_material" ADD CONSTRAINT "tenant_key_material_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_key_rotations" ADD CONSTRAINT "tenant_key_rotations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contact_search_tokens_contact_idx" ON "contact_search_tokens" USING btree ("contact_id");--> statement-breakpoint
CREATE INDEX "tenant_key_rotations_tenant_idx" ON "tenant_key_rotations" USING btree ("tenant_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tenant_key_rotations_running_idx" ON "tenant_key_rotations" USING btree ("tenant_id") WHERE status = 'running';