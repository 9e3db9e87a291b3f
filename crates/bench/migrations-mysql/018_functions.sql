-- Bodies of one statement each, so the file needs no client DELIMITER.
CREATE FUNCTION customer_lifetime_cents(customer bigint) RETURNS bigint
    READS SQL DATA
    RETURN (SELECT CAST(coalesce(sum(total_cents), 0) AS SIGNED)
            FROM order_totals
            WHERE customer_id = customer AND status NOT IN ('cancelled', 'refunded'));
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW
    SET NEW.updated_at = CURRENT_TIMESTAMP(6);
