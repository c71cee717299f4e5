ALTER TABLE "payments" ADD COLUMN "capture_method" text DEFAULT 'automatic' NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "captured_amount" bigint;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "capture_before" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "simulator_charges" ADD COLUMN "captured_amount" bigint;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_capture_method_check" CHECK ("payments"."capture_method" in ('automatic', 'manual'));--> statement-breakpoint
-- Automatic payments completed before this column existed captured their whole amount.
UPDATE "payments" SET "captured_amount" = "amount" WHERE "status" = 'completed' AND "captured_amount" IS NULL;--> statement-breakpoint
UPDATE "simulator_charges" SET "captured_amount" = "amount" WHERE "status" = 'captured' AND "captured_amount" IS NULL;
