-- BYOK tables: forced row-level security on the bound tenant, as in 0001_rls, and the least grants
-- the application role needs (search tokens are rewritten on update; key material and rotations
-- are never deleted, only marked).
ALTER TABLE contact_search_tokens ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE contact_search_tokens FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON contact_search_tokens USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE tenant_key_material ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenant_key_material FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tenant_key_material USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE tenant_key_rotations ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenant_key_rotations FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tenant_key_rotations USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON contact_search_tokens TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON tenant_key_material TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON tenant_key_rotations TO pact_app;
