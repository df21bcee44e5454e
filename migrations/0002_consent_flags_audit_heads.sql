CREATE TABLE "audit_heads" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"head_hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent_counts" (
	"tenant_id" uuid NOT NULL,
	"list" text NOT NULL,
	"hidden" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "consent_counts_tenant_id_list_pk" PRIMARY KEY("tenant_id","list")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"tenant_id" uuid NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_key_pk" PRIMARY KEY("tenant_id","key")
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "consent_hidden" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "consent_hidden" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "deals" ADD COLUMN "consent_hidden" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_heads" ADD CONSTRAINT "audit_heads_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_counts" ADD CONSTRAINT "consent_counts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "accounts_visible_idx" ON "accounts" USING btree ("tenant_id","id") WHERE consent_hidden = false;--> statement-breakpoint
CREATE INDEX "contacts_visible_idx" ON "contacts" USING btree ("tenant_id","id") WHERE consent_hidden = false;--> statement-breakpoint
CREATE INDEX "deals_visible_idx" ON "deals" USING btree ("tenant_id","id") WHERE consent_hidden = false;