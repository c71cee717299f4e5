CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tx" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"merchant_id" text NOT NULL,
	"type" text NOT NULL,
	"payment_id" text,
	"payment_version" integer,
	"notice_id" bigint,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_type_check" CHECK ("events"."type" in ('payment.created', 'payment.amended', 'payment.processing', 'payment.requires_capture', 'payment.completed', 'payment.failed', 'payment.canceled', 'refund.created', 'refund.succeeded', 'refund.failed', 'webhook.delivered', 'webhook.failed', 'webhook.message.failed', 'webhook.endpoint.disabled', 'payment.projection_refused'))
);
--> statement-breakpoint
CREATE INDEX "events_merchant_tx_id_idx" ON "events" USING btree ("merchant_id","tx","id");--> statement-breakpoint
CREATE INDEX "events_payment_idx" ON "events" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "events_created_at_idx" ON "events" USING btree ("created_at");