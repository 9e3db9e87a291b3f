CREATE FUNCTION customer_lifetime_cents(customer bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(total_cents), 0)::bigint
    FROM order_totals
    WHERE customer_id = customer AND status NOT IN ('cancelled', 'refunded')
$$;

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
