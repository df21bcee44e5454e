-- Agent tables: forced row-level security on the bound tenant, as in 0001_rls and 0005_byok_rls, and
-- the least grants the application role needs (runs and erasure tombstones are insert-only; AI
-- settings are upserted by admins).
ALTER TABLE tenant_ai_settings ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenant_ai_settings FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tenant_ai_settings USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE agent_runs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE agent_runs FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON agent_runs USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE erased_contacts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE erased_contacts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON erased_contacts USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON tenant_ai_settings TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON agent_runs TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON erased_contacts TO pact_app;
