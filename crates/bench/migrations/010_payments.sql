CREATE TABLE payments (
    id            bigserial PRIMARY KEY,
    order_id      bigint NOT NULL REFERENCES orders (id),
    method        payment_method NOT NULL,
    amount_cents  cents NOT NULL,
    reference     text UNIQUE,
    paid_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id);
