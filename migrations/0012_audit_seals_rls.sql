-- Audit seals: the request path only inserts (audit_log, audit_pending); the sealer, running as the
-- owner role, links committed rows into signed seals. The application role can read seals (the
-- auditVerification query) but never write them, and nobody may change a seal once written.
ALTER TABLE audit_pending ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_pending FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON audit_pending USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE audit_seals ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_seals FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON audit_seals USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE audit_sealed_rows ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_sealed_rows FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON audit_sealed_rows USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_pending TO pact_app;
--> statement-breakpoint
GRANT SELECT ON audit_seals TO pact_app;
--> statement-breakpoint
GRANT SELECT ON audit_sealed_rows TO pact_app;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE audit_log_seq_seq TO pact_app;
--> statement-breakpoint
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals FOR EACH ROW EXECUTE FUNCTION pact_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals FOR EACH STATEMENT EXECUTE FUNCTION pact_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_sealed_rows_append_only BEFORE UPDATE OR DELETE ON audit_sealed_rows FOR EACH ROW EXECUTE FUNCTION pact_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_sealed_rows_no_truncate BEFORE TRUNCATE ON audit_sealed_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_append_only();
--> statement-breakpoint
-- Rows written before seals existed carry no row MAC; the sealer seals them on its first run.
INSERT INTO audit_pending (audit_id, tenant_id) SELECT id, tenant_id FROM audit_log ON CONFLICT DO NOTHING;
