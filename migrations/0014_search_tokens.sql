-- Title search by words. Under forced row-level security PostgreSQL will not push a non-leakproof
-- operator (ILIKE, @@, the array operators @> and &&) below the tenant policy, so neither a trigram
-- nor a full-text index serves a search, and its hidden count scans the table. Instead each word of
-- a contact's title is a row of contact_title_tokens (tenant_id, token, hidden, contact_id), kept by
-- the triggers below: a search is text equality (texteq is leakproof) on the primary key, a page is
-- an ordered range (tenant, word, hidden = false), and the hidden count an index range
-- (tenant, word, hidden = true), whatever the table size.
CREATE OR REPLACE FUNCTION pact_title_words(p text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(array_agg(DISTINCT w ORDER BY w), '{}') FROM regexp_split_to_table(lower(coalesce(p, '')), '[[:space:][:punct:]]+') AS w WHERE w <> '' $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_contact_title_tokens_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO contact_title_tokens (tenant_id, token, hidden, contact_id)
  SELECT n.tenant_id, w, n.consent_hidden, n.id FROM new_rows n CROSS JOIN LATERAL unnest(pact_title_words(n.title)) AS w;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER contacts_title_tokens_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION pact_contact_title_tokens_insert();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pact_contact_title_tokens_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.title IS DISTINCT FROM NEW.title OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
    DELETE FROM contact_title_tokens WHERE tenant_id = OLD.tenant_id AND contact_id = OLD.id;
    INSERT INTO contact_title_tokens (tenant_id, token, hidden, contact_id)
    SELECT NEW.tenant_id, w, NEW.consent_hidden, NEW.id FROM unnest(pact_title_words(NEW.title)) AS w;
  ELSE
    UPDATE contact_title_tokens SET hidden = NEW.consent_hidden
     WHERE tenant_id = NEW.tenant_id AND contact_id = NEW.id AND hidden IS DISTINCT FROM NEW.consent_hidden;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER contacts_title_tokens_update AFTER UPDATE ON contacts FOR EACH ROW
  WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.consent_hidden IS DISTINCT FROM NEW.consent_hidden OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
  EXECUTE FUNCTION pact_contact_title_tokens_update();
--> statement-breakpoint
INSERT INTO contact_title_tokens (tenant_id, token, hidden, contact_id)
SELECT c.tenant_id, w, c.consent_hidden, c.id FROM contacts c CROSS JOIN LATERAL unnest(pact_title_words(c.title)) AS w;
--> statement-breakpoint
ALTER TABLE contact_title_tokens ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE contact_title_tokens FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON contact_title_tokens USING (tenant_id = pact_current_tenant()) WITH CHECK (tenant_id = pact_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON contact_title_tokens TO pact_app;
