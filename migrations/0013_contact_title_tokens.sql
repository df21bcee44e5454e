CREATE TABLE "contact_title_tokens" (
	"tenant_id" uuid NOT NULL,
	"token" text NOT NULL,
	"hidden" boolean NOT NULL,
	"contact_id" uuid NOT NULL,
	CONSTRAINT "contact_title_tokens_tenant_id_token_hidden_contact_id_pk" PRIMARY KEY("tenant_id","token","hidden","contact_id")
);
--> statement-breakpoint
ALTER TABLE "contact_title_tokens" ADD CONSTRAINT "contact_title_tokens_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_title_tokens" ADD CONSTRAINT "contact_title_tokens_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contact_title_tokens_contact_idx" ON "contact_title_tokens" USING btree ("contact_id");