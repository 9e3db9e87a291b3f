-- The seed: 1,000 customers, each with a shipping address (numbers from a cross join of
-- digits: no generate_series here, and a recursive CTE stops at 1,000 levels in MySQL).
INSERT INTO customers (email, full_name, phone, created_at)
SELECT CONCAT('customer', n, '@example.com'),
       CONCAT('Customer ', n),
       CONCAT('+49 30 ', LPAD(n, 6, '0')),
       TIMESTAMP('2024-01-01') + INTERVAL n HOUR
FROM (SELECT h.d * 100 + t.d * 10 + o.d + 1 AS n
      FROM (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS h
      CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS t
      CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS o
     ) AS numbers;
INSERT INTO addresses (customer_id, kind, line1, city, postal_code, country)
SELECT id, 'shipping', CONCAT(id, ' Example Street'), 'Berlin', LPAD(10000 + id, 5, '0'), 'DE'
FROM customers;
ANALYZE TABLE customers, addresses;
