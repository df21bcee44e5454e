ALTER TABLE "oauth_clients" ADD COLUMN "kind" text DEFAULT 'registered' NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth_clients" ADD COLUMN "metadata_expires_at" timestamp with time zone;