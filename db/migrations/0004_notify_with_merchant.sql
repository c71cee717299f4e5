-- Live updates carry the merchant, so each API instance forwards a change only to that merchant's
-- subscribers. Payload: "<merchant id>:<payment id>:<version>".
CREATE OR REPLACE FUNCTION notify_payment_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('payment_changes', NEW.merchant_id || ':' || NEW.id || ':' || NEW.version);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
