CREATE TABLE carts (
    id           uuid PRIMARY KEY,
    customer_id  bigint REFERENCES customers (id),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE cart_items (
    cart_id     uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id  bigint NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (cart_id, product_id)
);
CREATE INDEX carts_stale_idx ON carts (updated_at);
