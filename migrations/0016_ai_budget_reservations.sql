CREATE TABLE "ai_budget_reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"microcents" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ai_budget_reservations" ADD CONSTRAINT "ai_budget_reservations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ai_budget_reservations_tenant_idx" ON "ai_budget_reservations" USING btree ("tenant_id","expires_at");--> statement-breakpoint
ALTER TABLE ai_budget_reservations ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE ai_budget_reservations FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON ai_budget_reservations USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON ai_budget_reservations TO pact_app;
