CREATE TABLE "contact_title_counts" (
	"tenant_id" uuid NOT NULL,
	"token" text NOT NULL,
	"hidden" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "contact_title_counts_tenant_id_token_pk" PRIMARY KEY("tenant_id","token")
);
--> statement-breakpoint
ALTER TABLE "contact_title_counts" ADD CONSTRAINT "contact_title_counts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;