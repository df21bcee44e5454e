CREATE TABLE "agent_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"agent" text NOT NULL,
	"path" "call_path" NOT NULL,
	"user_id" uuid,
	"api_key_id" uuid,
	"target_kind" text,
	"target_id" uuid,
	"input_digest" text NOT NULL,
	"outcome" "audit_outcome" NOT NULL,
	"reason" text,
	"provider" text NOT NULL,
	"model" text,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cost_microcents" bigint DEFAULT 0 NOT NULL,
	"output" jsonb,
	"output_sealed" boolean DEFAULT false NOT NULL,
	"citations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erased_contacts" (
	"tenant_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"subject_id" uuid NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "erased_contacts_tenant_id_contact_id_pk" PRIMARY KEY("tenant_id","contact_id")
);
--> statement-breakpoint
CREATE TABLE "tenant_ai_settings" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"monthly_budget_microcents" bigint DEFAULT 1000000000 NOT NULL,
	"allow_pii_to_model" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_runs" ADD CONSTRAINT "agent_runs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erased_contacts" ADD CONSTRAINT "erased_contacts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erased_contacts" ADD CONSTRAINT "erased_contacts_subject_id_consent_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."consent_subjects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_ai_settings" ADD CONSTRAINT "tenant_ai_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_runs_tenant_created_idx" ON "agent_runs" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "accounts_search_idx" ON "accounts" USING gin (to_tsvector('english'::regconfig, "name" || ' ' || coalesce("domain", '') || ' ' || coalesce("industry", '')));--> statement-breakpoint
CREATE INDEX "deals_search_idx" ON "deals" USING gin (to_tsvector('english'::regconfig, "name"));