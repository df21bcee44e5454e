-- OAuth codes and tokens carry a tenant: forced row-level security on the bound tenant, like every
-- other tenant table. The application role still has no grant on them (the authorization server
-- reads them as the owner role before a tenant is bound); the policy is defence in depth.
ALTER TABLE oauth_codes ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE oauth_codes FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON oauth_codes USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE oauth_tokens ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE oauth_tokens FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON oauth_tokens USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
