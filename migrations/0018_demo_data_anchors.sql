CREATE TABLE "demo_data_anchors" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"anchored_on" date NOT NULL
);
--> statement-breakpoint
ALTER TABLE "demo_data_anchors" ADD CONSTRAINT "demo_data_anchors_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "accounts_tenant_name_idx" ON "accounts" USING btree ("tenant_id",lower("name"));--> statement-breakpoint
CREATE INDEX "activities_tenant_occurred_idx" ON "activities" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "deals_tenant_close_idx" ON "deals" USING btree ("tenant_id","close_date");--> statement-breakpoint
ALTER TABLE demo_data_anchors ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE demo_data_anchors FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON demo_data_anchors USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT ON demo_data_anchors TO pact_app;
