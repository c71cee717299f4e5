CREATE TABLE "webhook_idempotency_keys" (
	"merchant_id" text NOT NULL,
	"key" text NOT NULL,
	"action" text NOT NULL,
	"request_hash" text NOT NULL,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_idempotency_keys_merchant_id_key_pk" PRIMARY KEY("merchant_id","key")
);
--> statement-breakpoint
CREATE INDEX "webhook_idempotency_keys_expires_idx" ON "webhook_idempotency_keys" USING btree ("expires_at");