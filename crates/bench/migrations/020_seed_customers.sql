-- The seed: 1,000 customers, each with a shipping address.
INSERT INTO customers (email, full_name, phone, created_at)
SELECT format('customer%s@example.com', n),
       format('Customer %s', n),
       format('+49 30 %s', lpad(n::text, 6, '0')),
       timestamptz '2024-01-01' + n * interval '1 hour'
FROM generate_series(1, 1000) AS n;
INSERT INTO addresses (customer_id, kind, line1, city, postal_code, country)
SELECT id, 'shipping', format('%s Example Street', id), 'Berlin', lpad((10000 + id)::text, 5, '0'), 'DE'
FROM customers;
ANALYZE;
