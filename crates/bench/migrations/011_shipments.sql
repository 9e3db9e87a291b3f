CREATE TABLE shipments (
    id            bigserial PRIMARY KEY,
    order_id      bigint NOT NULL REFERENCES orders (id),
    warehouse_id  integer NOT NULL REFERENCES warehouses (id),
    carrier       text NOT NULL,
    tracking      text,
    shipped_at    timestamptz,
    delivered_at  timestamptz,
    CHECK (delivered_at IS NULL OR shipped_at IS NOT NULL)
);
CREATE INDEX shipments_order_idx ON shipments (order_id);
CREATE UNIQUE INDEX shipments_tracking_key ON shipments (carrier, tracking) WHERE tracking IS NOT NULL;
