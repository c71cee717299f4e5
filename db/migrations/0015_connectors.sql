CREATE TABLE "connector_accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"kind" text NOT NULL,
	"label" text NOT NULL,
	"position" integer NOT NULL,
	"currencies" text[],
	"min_amount" bigint,
	"max_amount" bigint,
	"payment_method_types" text[],
	"sealed_credentials" text,
	"credentials_key_id" text,
	"credentials_hint" text,
	"removed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connector_accounts_kind_check" CHECK ("connector_accounts"."kind" in ('simulator', 'stripe'))
);
--> statement-breakpoint
CREATE TABLE "payment_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"step" text NOT NULL,
	"route_attempt" integer NOT NULL,
	"connector_account_id" text,
	"connector" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"outcome" text NOT NULL,
	"latency_ms" integer NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_attempts_step_check" CHECK ("payment_attempts"."step" in ('authorize', 'capture', 'void', 'refund', 'status')),
	CONSTRAINT "payment_attempts_connector_check" CHECK ("payment_attempts"."connector" in ('simulator', 'stripe')),
	CONSTRAINT "payment_attempts_outcome_check" CHECK ("payment_attempts"."outcome" in ('succeeded', 'declined', 'unavailable', 'unknown', 'skipped'))
);
--> statement-breakpoint
-- The ledger is keyed by authorize attempt now (a route can try several simulator accounts).
ALTER TABLE "simulator_charges" DROP CONSTRAINT "simulator_charges_pkey";--> statement-breakpoint
ALTER TABLE "simulator_charges" ADD PRIMARY KEY ("authorization_id");--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "connector_account_id" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "connector" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "processor_reference" text;--> statement-breakpoint
ALTER TABLE "connector_accounts" ADD CONSTRAINT "connector_accounts_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connector_accounts_merchant_idx" ON "connector_accounts" USING btree ("merchant_id","position");--> statement-breakpoint
CREATE INDEX "payment_attempts_payment_idx" ON "payment_attempts" USING btree ("payment_id","id");--> statement-breakpoint
CREATE INDEX "simulator_charges_payment_idx" ON "simulator_charges" USING btree ("payment_id");--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_connector_check" CHECK ("payments"."connector" in ('simulator', 'stripe'));