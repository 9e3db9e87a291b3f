INSERT INTO roles (name) VALUES ('admin'), ('support'), ('warehouse');
INSERT INTO warehouses (code, city) VALUES ('BER1', 'Berlin'), ('LYS1', 'Lyon'), ('RTM1', 'Rotterdam');
INSERT INTO categories (slug, name) VALUES
    ('books', 'Books'), ('games', 'Games'), ('garden', 'Garden'), ('kitchen', 'Kitchen');
INSERT INTO suppliers (name, country, email) VALUES
    ('Acme Supplies', 'DE', 'orders@acme.example'),
    ('Nordic Goods', 'SE', 'sales@nordic.example');
INSERT INTO products (sku, name, category_id, supplier_id, price_cents)
SELECT format('SKU-%s', lpad(n::text, 4, '0')),
       format('Product %s', n),
       1 + n % 4,
       1 + n % 2,
       499 + n * 100
FROM generate_series(1, 50) AS n;
INSERT INTO inventory (product_id, warehouse_id, on_hand)
SELECT p.id, w.id, 10 + (p.id * w.id) % 90
FROM products p CROSS JOIN warehouses w;
