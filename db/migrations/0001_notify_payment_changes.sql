-- Live updates: every committed change of a payment row is announced on one channel, so API
-- instances can push it to dashboards without polling. Payload: "<payment id>:<version>".
CREATE OR REPLACE FUNCTION notify_payment_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('payment_changes', NEW.id || ':' || NEW.version);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER payments_notify_change
  AFTER INSERT OR UPDATE ON payments
  FOR EACH ROW EXECUTE FUNCTION notify_payment_change();
