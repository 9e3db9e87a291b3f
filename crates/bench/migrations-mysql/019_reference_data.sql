INSERT INTO roles (name) VALUES ('admin'), ('support'), ('warehouse');
INSERT INTO warehouses (code, city) VALUES ('BER1', 'Berlin'), ('LYS1', 'Lyon'), ('RTM1', 'Rotterdam');
INSERT INTO categories (slug, name) VALUES
    ('books', 'Books'), ('games', 'Games'), ('garden', 'Garden'), ('kitchen', 'Kitchen');
INSERT INTO suppliers (name, country, email) VALUES
    ('Acme Supplies', 'DE', 'orders@acme.example'),
    ('Nordic Goods', 'SE', 'sales@nordic.example');
INSERT INTO products (sku, name, description, category_id, supplier_id, price_cents)
SELECT CONCAT('SKU-', LPAD(n, 4, '0')), CONCAT('Product ', n), '', 1 + n % 4, 1 + n % 2, 499 + n * 100
FROM (SELECT tens.d * 10 + ones.d + 1 AS n
      FROM (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) AS tens
      CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
                  UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS ones
     ) AS numbers;
INSERT INTO inventory (product_id, warehouse_id, on_hand)
SELECT p.id, w.id, 10 + (p.id * w.id) % 90
FROM products p CROSS JOIN warehouses w;
