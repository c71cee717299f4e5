DROP INDEX "payments_reference_idx";--> statement-breakpoint
CREATE INDEX "payments_merchant_reference_idx" ON "payments" USING btree ("merchant_id","reference" text_pattern_ops);