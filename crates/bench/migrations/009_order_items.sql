CREATE TABLE order_items (
    order_id          bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id        bigint NOT NULL REFERENCES products (id),
    quantity          integer NOT NULL CHECK (quantity > 0),
    unit_price_cents  cents NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX order_items_product_idx ON order_items (product_id);
