-- Consent flags: each account, contact and deal carries consent_hidden, kept true to consent_subjects by
-- these triggers on every write path, so reads filter on one indexed column and a page's cost does not
-- grow with the number of hidden records. consent_counts keeps each tenant's hidden totals per list.
ALTER TABLE consent_counts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE consent_counts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON consent_counts USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE audit_heads ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_heads FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON audit_heads USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON idempotency_keys USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON consent_counts TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON audit_heads TO pact_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON idempotency_keys TO pact_app;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_subject_hidden(p_tenant uuid, p_kind consent_subject_kind, p_key text) RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT coalesce((SELECT status <> 'granted' FROM consent_subjects WHERE tenant_id = p_tenant AND kind = p_kind AND subject_key = p_key), false) $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_contact_consent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.consent_hidden := NEW.email_index IS NOT NULL AND pact_subject_hidden(NEW.tenant_id, 'email', NEW.email_index);
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER contacts_consent BEFORE INSERT OR UPDATE OF email_index, tenant_id, consent_hidden ON contacts
  FOR EACH ROW EXECUTE FUNCTION pact_contact_consent();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_account_consent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.consent_hidden := NEW.domain IS NOT NULL AND pact_subject_hidden(NEW.tenant_id, 'domain', NEW.domain);
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER accounts_consent BEFORE INSERT OR UPDATE OF domain, tenant_id, consent_hidden ON accounts
  FOR EACH ROW EXECUTE FUNCTION pact_account_consent();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_deal_consent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.consent_hidden := coalesce((SELECT a.consent_hidden FROM accounts a WHERE a.id = NEW.account_id AND a.tenant_id = NEW.tenant_id), false);
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER deals_consent BEFORE INSERT OR UPDATE OF account_id, tenant_id, consent_hidden ON deals
  FOR EACH ROW EXECUTE FUNCTION pact_deal_consent();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_account_consent_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE deals SET consent_hidden = NEW.consent_hidden
   WHERE tenant_id = NEW.tenant_id AND account_id = NEW.id AND consent_hidden IS DISTINCT FROM NEW.consent_hidden;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER accounts_consent_cascade AFTER UPDATE OF consent_hidden ON accounts
  FOR EACH ROW WHEN (OLD.consent_hidden IS DISTINCT FROM NEW.consent_hidden) EXECUTE FUNCTION pact_account_consent_cascade();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_subject_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF OLD.kind = 'email' THEN
      UPDATE contacts SET consent_hidden = false WHERE tenant_id = OLD.tenant_id AND email_index = OLD.subject_key AND consent_hidden;
    ELSE
      UPDATE accounts SET consent_hidden = false WHERE tenant_id = OLD.tenant_id AND domain = OLD.subject_key AND consent_hidden;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'granted' THEN
    IF NEW.kind = 'email' THEN
      UPDATE contacts SET consent_hidden = true WHERE tenant_id = NEW.tenant_id AND email_index = NEW.subject_key AND NOT consent_hidden;
    ELSE
      UPDATE accounts SET consent_hidden = true WHERE tenant_id = NEW.tenant_id AND domain = NEW.subject_key AND NOT consent_hidden;
    END IF;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER consent_subjects_changed AFTER INSERT OR UPDATE OR DELETE ON consent_subjects
  FOR EACH ROW EXECUTE FUNCTION pact_subject_changed();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_count_hidden() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH delta AS (
    SELECT tenant_id, sum(d)::bigint AS d FROM (
      SELECT tenant_id, 1 AS d FROM new_rows WHERE consent_hidden
      UNION ALL
      SELECT tenant_id, -1 AS d FROM old_rows WHERE consent_hidden
    ) x GROUP BY tenant_id HAVING sum(d) <> 0
  )
  INSERT INTO consent_counts AS c (tenant_id, list, hidden)
  SELECT tenant_id, TG_TABLE_NAME, d FROM delta
  ON CONFLICT (tenant_id, list) DO UPDATE SET hidden = c.hidden + excluded.hidden;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_count_hidden_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO consent_counts AS c (tenant_id, list, hidden)
  SELECT tenant_id, TG_TABLE_NAME, count(*) FROM new_rows WHERE consent_hidden GROUP BY tenant_id
  ON CONFLICT (tenant_id, list) DO UPDATE SET hidden = c.hidden + excluded.hidden;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_count_hidden_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO consent_counts AS c (tenant_id, list, hidden)
  SELECT tenant_id, TG_TABLE_NAME, -count(*) FROM old_rows WHERE consent_hidden GROUP BY tenant_id
  ON CONFLICT (tenant_id, list) DO UPDATE SET hidden = c.hidden + excluded.hidden;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER accounts_count_ins AFTER INSERT ON accounts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_count_hidden_insert();
--> statement-breakpoint
CREATE TRIGGER accounts_count_upd AFTER UPDATE ON accounts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_count_hidden();
--> statement-breakpoint
CREATE TRIGGER accounts_count_del AFTER DELETE ON accounts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_count_hidden_delete();
--> statement-breakpoint
CREATE TRIGGER contacts_count_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_count_hidden_insert();
--> statement-breakpoint
CREATE TRIGGER contacts_count_upd AFTER UPDATE ON contacts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_count_hidden();
--> statement-breakpoint
CREATE TRIGGER contacts_count_del AFTER DELETE ON contacts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_count_hidden_delete();
--> statement-breakpoint
CREATE TRIGGER deals_count_ins AFTER INSERT ON deals REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_count_hidden_insert();
--> statement-breakpoint
CREATE TRIGGER deals_count_upd AFTER UPDATE ON deals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_count_hidden();
--> statement-breakpoint
CREATE TRIGGER deals_count_del AFTER DELETE ON deals REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pact_count_hidden_delete();
--> statement-breakpoint
-- Backfill databases that already hold data.
UPDATE accounts SET consent_hidden = true WHERE domain IS NOT NULL AND pact_subject_hidden(tenant_id, 'domain', domain);
--> statement-breakpoint
UPDATE contacts SET consent_hidden = true WHERE email_index IS NOT NULL AND pact_subject_hidden(tenant_id, 'email', email_index);
--> statement-breakpoint
DELETE FROM consent_counts;
--> statement-breakpoint
INSERT INTO consent_counts (tenant_id, list, hidden)
  SELECT tenant_id, 'accounts', count(*) FROM accounts WHERE consent_hidden GROUP BY tenant_id
  UNION ALL SELECT tenant_id, 'contacts', count(*) FROM contacts WHERE consent_hidden GROUP BY tenant_id
  UNION ALL SELECT tenant_id, 'deals', count(*) FROM deals WHERE consent_hidden GROUP BY tenant_id;
