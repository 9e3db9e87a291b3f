CREATE VIEW order_totals AS
SELECT o.id AS order_id,
       o.customer_id,
       o.status,
       CAST(coalesce(sum(i.quantity * i.unit_price_cents), 0) AS SIGNED) AS total_cents,
       count(i.product_id) AS line_count
FROM orders o
LEFT JOIN order_items i ON i.order_id = o.id
GROUP BY o.id, o.customer_id, o.status;
