-- Tenant isolation: every tenant table has forced row-level security keyed on the transaction-local
-- setting app.tenant_id; requests run under the role pact_app, which owns nothing and cannot bypass RLS.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pact_app') THEN
    CREATE ROLE pact_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
DO $$
BEGIN
  EXECUTE format('GRANT pact_app TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation OR invalid_grant_operation THEN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO pact_app;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION pact_current_tenant() TO pact_app;
--> statement-breakpoint
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tenants USING (id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT ON tenants TO pact_app;
--> statement-breakpoint
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON memberships USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON api_keys USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON accounts USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON contacts USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE deals ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE deals FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON deals USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE activities ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE activities FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON activities USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE consent_subjects ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE consent_subjects FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON consent_subjects USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE consent_events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE consent_events FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON consent_events USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE tenant_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenant_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tenant_keys USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON audit_log USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE usage_ledger ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE usage_ledger FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_ledger USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON accounts TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON contacts TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON deals TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON activities TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON consent_subjects TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON consent_events TO pact_app;
--> statement-breakpoint
GRANT SELECT ON memberships TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON tenant_keys TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_log TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON usage_ledger TO pact_app;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE usage_ledger_id_seq TO pact_app;
--> statement-breakpoint
GRANT INSERT ON security_events TO pact_app;
--> statement-breakpoint
-- Users are global; a tenant sees only its members, and never a password hash.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE users FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_members ON users USING (
  EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = pact_current_tenant())
);
--> statement-breakpoint
GRANT SELECT (id, email, display_name) ON users TO pact_app;
--> statement-breakpoint
-- The audit log and the usage ledger are append-only for everyone, owner included.
CREATE OR REPLACE FUNCTION pact_append_only() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION pact_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION pact_append_only();
--> statement-breakpoint
CREATE TRIGGER usage_ledger_append_only BEFORE UPDATE OR DELETE ON usage_ledger FOR EACH ROW EXECUTE FUNCTION pact_append_only();
--> statement-breakpoint
CREATE TRIGGER usage_ledger_no_truncate BEFORE TRUNCATE ON usage_ledger FOR EACH STATEMENT EXECUTE FUNCTION pact_append_only();
