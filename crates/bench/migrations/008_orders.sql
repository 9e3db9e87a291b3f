CREATE TABLE orders (
    id                   bigserial PRIMARY KEY,
    customer_id          bigint NOT NULL REFERENCES customers (id),
    status               order_status NOT NULL DEFAULT 'pending',
    shipping_address_id  bigint REFERENCES addresses (id),
    placed_at            timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON orders (customer_id, placed_at DESC);
CREATE INDEX orders_open_idx ON orders (status) WHERE status IN ('pending', 'paid');
