CREATE VIEW order_totals AS
SELECT o.id AS order_id,
       o.customer_id,
       o.status,
       coalesce(sum(i.quantity * i.unit_price_cents), 0)::bigint AS total_cents,
       count(i.product_id) AS lines
FROM orders o
LEFT JOIN order_items i ON i.order_id = o.id
GROUP BY o.id;
