-- How many hidden contacts' titles hold each word, per tenant: a one-word title search's hidden count
-- reads one row of contact_title_counts instead of scanning its (tenant, word, hidden = true) token
-- range, whose length grows with the hidden matches. Kept by statement triggers on
-- contact_title_tokens (every write to it comes from the contacts triggers of migration 0014), run as
-- the owner like the other consent triggers; each statement upserts in (tenant, word) order, so two
-- statements locking the same words lock them in one order. Like consent_counts, the application
-- role may read the totals (bound to its tenant); only src/services/consent/hidden.ts does.
CREATE OR REPLACE FUNCTION pact_title_counts() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO contact_title_counts AS c (tenant_id, token, hidden)
    SELECT tenant_id, token, count(*) FROM new_rows WHERE hidden GROUP BY tenant_id, token ORDER BY tenant_id, token
    ON CONFLICT (tenant_id, token) DO UPDATE SET hidden = c.hidden + excluded.hidden;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO contact_title_counts AS c (tenant_id, token, hidden)
    SELECT tenant_id, token, -count(*) FROM old_rows WHERE hidden GROUP BY tenant_id, token ORDER BY tenant_id, token
    ON CONFLICT (tenant_id, token) DO UPDATE SET hidden = c.hidden + excluded.hidden;
  ELSE
    INSERT INTO contact_title_counts AS c (tenant_id, token, hidden)
    SELECT tenant_id, token, sum(d)::bigint FROM (
      SELECT tenant_id, token, 1 AS d FROM new_rows WHERE hidden
      UNION ALL
      SELECT tenant_id, token, -1 AS d FROM old_rows WHERE hidden
    ) x GROUP BY tenant_id, token HAVING sum(d) <> 0 ORDER BY tenant_id, token
    ON CONFLICT (tenant_id, token) DO UPDATE SET hidden = c.hidden + excluded.hidden;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER contact_title_counts_insert AFTER INSERT ON contact_title_tokens REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION pact_title_counts();
--> statement-breakpoint
CREATE TRIGGER contact_title_counts_delete AFTER DELETE ON contact_title_tokens REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION pact_title_counts();
--> statement-breakpoint
CREATE TRIGGER contact_title_counts_update AFTER UPDATE ON contact_title_tokens REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION pact_title_counts();
--> statement-breakpoint
INSERT INTO contact_title_counts (tenant_id, token, hidden)
SELECT tenant_id, token, count(*) FROM contact_title_tokens WHERE hidden GROUP BY tenant_id, token;
--> statement-breakpoint
ALTER TABLE contact_title_counts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE contact_title_counts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON contact_title_counts USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT ON contact_title_counts TO pact_app, pact_consent;
