ALTER TABLE "memberships" ADD COLUMN "extra_scopes" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
GRANT UPDATE (extra_scopes) ON memberships TO pact_app;
