ALTER TABLE "payments" ADD COLUMN "metadata" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "payments_metadata_idx" ON "payments" USING gin ("metadata" jsonb_path_ops);