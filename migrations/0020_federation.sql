CREATE TABLE "federated_servers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"endpoint_url" text NOT NULL,
	"transport" text NOT NULL,
	"auth_kind" text NOT NULL,
	"auth_header" text,
	"auth_secret" jsonb,
	"status" text DEFAULT 'pending' NOT NULL,
	"last_error" text,
	"protocol_version" text,
	"discovered_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "federated_tools" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"name" text NOT NULL,
	"federated_name" text NOT NULL,
	"title" text,
	"description" text DEFAULT '' NOT NULL,
	"input_schema" jsonb NOT NULL,
	"output_schema" jsonb,
	"annotations" jsonb,
	"upstream_governance" jsonb,
	"definition_hash" text NOT NULL,
	"approved_hash" text,
	"enabled" boolean DEFAULT false NOT NULL,
	"disabled_reason" text,
	"allowed_roles" text[] DEFAULT '{}'::text[] NOT NULL,
	"rate_limit_per_min" integer DEFAULT 60 NOT NULL,
	"cost_cap_microcents" bigint,
	"est_cost_microcents" bigint DEFAULT 0 NOT NULL,
	"pii_policy" text DEFAULT 'redact' NOT NULL,
	"consent_subject" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "federated_servers" ADD CONSTRAINT "federated_servers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "federated_tools" ADD CONSTRAINT "federated_tools_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "federated_tools" ADD CONSTRAINT "federated_tools_server_id_federated_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."federated_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "federated_servers_tenant_slug_idx" ON "federated_servers" USING btree ("tenant_id","slug");--> statement-breakpoint
CREATE UNIQUE INDEX "federated_tools_server_name_idx" ON "federated_tools" USING btree ("server_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "federated_tools_tenant_federated_name_idx" ON "federated_tools" USING btree ("tenant_id","federated_name");--> statement-breakpoint
CREATE INDEX "federated_tools_tenant_idx" ON "federated_tools" USING btree ("tenant_id","enabled");--> statement-breakpoint
ALTER TABLE federated_servers ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE federated_servers FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON federated_servers USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON federated_servers TO pact_app;
--> statement-breakpoint
ALTER TABLE federated_tools ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE federated_tools FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON federated_tools USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON federated_tools TO pact_app;
