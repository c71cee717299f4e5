-- Trigram indexes for the list's search need pg_trgm (contrib: in the embedded Postgres and the postgres image).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "payments_merchant_created_at_id_idx" ON "payments" USING btree ("merchant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "payments_merchant_amount_id_idx" ON "payments" USING btree ("merchant_id","amount","id");--> statement-breakpoint
CREATE INDEX "payments_merchant_scheduled_at_id_idx" ON "payments" USING btree ("merchant_id","scheduled_at","id");--> statement-breakpoint
CREATE INDEX "payments_reference_trgm_idx" ON "payments" USING gin ("reference" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "payments_description_trgm_idx" ON "payments" USING gin ("description" gin_trgm_ops);