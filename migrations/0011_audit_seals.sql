CREATE TABLE "audit_pending" (
	"audit_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_sealed_rows" (
	"audit_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"seal_seq" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_seals" (
	"tenant_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"row_count" integer NOT NULL,
	"first_row_seq" bigint NOT NULL,
	"last_row_seq" bigint NOT NULL,
	"root" text NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	"hmac" text NOT NULL,
	"sealed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "audit_seals_tenant_id_seq_pk" PRIMARY KEY("tenant_id","seq")
);
--> statement-breakpoint
ALTER TABLE "audit_heads" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "audit_heads" CASCADE;--> statement-breakpoint
CREATE SEQUENCE "audit_log_seq_seq" AS bigint OWNED BY "audit_log"."seq";--> statement-breakpoint
SELECT setval('audit_log_seq_seq', coalesce((SELECT max("seq") FROM "audit_log"), 0) + 1, false);--> statement-breakpoint
ALTER TABLE "audit_log" ALTER COLUMN "seq" SET DEFAULT nextval('audit_log_seq_seq');--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "row_mac" text;--> statement-breakpoint
ALTER TABLE "audit_seals" ADD CONSTRAINT "audit_seals_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_sealed_rows_seal_idx" ON "audit_sealed_rows" USING btree ("tenant_id","seal_seq");--> statement-breakpoint
ALTER TABLE "audit_log" DROP COLUMN "prev_hash";--> statement-breakpoint
ALTER TABLE "audit_log" DROP COLUMN "row_hash";