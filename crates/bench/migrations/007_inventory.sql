CREATE TABLE warehouses (
    id    serial PRIMARY KEY,
    code  text NOT NULL UNIQUE,
    city  text NOT NULL
);
CREATE TABLE inventory (
    product_id    bigint NOT NULL REFERENCES products (id),
    warehouse_id  integer NOT NULL REFERENCES warehouses (id),
    on_hand       integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved      integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    PRIMARY KEY (product_id, warehouse_id)
);
CREATE INDEX inventory_warehouse_idx ON inventory (warehouse_id);
