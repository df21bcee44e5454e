-- The consent gate, enforced by the database: the application role pact_app sees only the accounts,
-- contacts, deals and title tokens that consent leaves visible (a RESTRICTIVE policy, AND-ed with
-- tenant isolation, for SELECT and for every row an UPDATE or DELETE reads). The role pact_consent
-- sees the hidden rows too, still bound to the tenant: only src/services/consent/hidden.ts switches
-- to it, for hidden counts, consent administration, erasure, blocked answers and key maintenance.
-- The consent triggers run as the owner (SECURITY DEFINER), so they keep every flag and count true
-- whichever role writes.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pact_consent') THEN
    CREATE ROLE pact_consent NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
DO $$
BEGIN
  EXECUTE format('GRANT pact_consent TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation OR invalid_grant_operation THEN NULL;
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO pact_consent;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION pact_current_tenant() TO pact_consent;
--> statement-breakpoint
GRANT SELECT ON accounts, deals, contact_title_tokens, contact_search_tokens, consent_subjects, erased_contacts TO pact_consent;
--> statement-breakpoint
GRANT SELECT, DELETE ON contacts TO pact_consent;
--> statement-breakpoint
GRANT UPDATE (pii, key_version, email_index) ON contacts TO pact_consent;
--> statement-breakpoint
CREATE POLICY consent_gate ON accounts AS RESTRICTIVE FOR SELECT TO pact_app USING (consent_hidden = false);
--> statement-breakpoint
CREATE POLICY consent_gate ON contacts AS RESTRICTIVE FOR SELECT TO pact_app USING (consent_hidden = false);
--> statement-breakpoint
CREATE POLICY consent_gate ON deals AS RESTRICTIVE FOR SELECT TO pact_app USING (consent_hidden = false);
--> statement-breakpoint
CREATE POLICY consent_gate ON contact_title_tokens AS RESTRICTIVE FOR SELECT TO pact_app USING (hidden = false);
--> statement-breakpoint
ALTER FUNCTION pact_deal_consent() SECURITY DEFINER SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION pact_account_consent_cascade() SECURITY DEFINER SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION pact_subject_changed() SECURITY DEFINER SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION pact_count_hidden() SECURITY DEFINER SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION pact_count_hidden_insert() SECURITY DEFINER SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION pact_count_hidden_delete() SECURITY DEFINER SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION pact_contact_title_tokens_insert() SECURITY DEFINER SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION pact_contact_title_tokens_update() SECURITY DEFINER SET search_path = public, pg_temp;
