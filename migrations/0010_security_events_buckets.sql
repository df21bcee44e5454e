ALTER TABLE "security_events" ADD COLUMN "count" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "security_events" ADD COLUMN "bucket" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "security_events" ADD COLUMN "last_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "security_events_bucket_idx" ON "security_events" USING btree ("kind",coalesce("path", ''),coalesce("ip", ''),"bucket");