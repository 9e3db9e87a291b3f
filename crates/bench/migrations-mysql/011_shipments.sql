-- A unique key allows any number of NULLs, which is what the partial index of the
-- PostgreSQL schema says.
CREATE TABLE shipments (
    id            bigint AUTO_INCREMENT PRIMARY KEY,
    order_id      bigint NOT NULL,
    warehouse_id  int NOT NULL,
    carrier       varchar(64) NOT NULL,
    tracking      varchar(128),
    shipped_at    datetime(6),
    delivered_at  datetime(6),
    CHECK (delivered_at IS NULL OR shipped_at IS NOT NULL),
    KEY shipments_order_idx (order_id),
    UNIQUE KEY shipments_tracking_key (carrier, tracking),
    CONSTRAINT shipments_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT shipments_warehouse_fk FOREIGN KEY (warehouse_id) REFERENCES warehouses (id)
) ENGINE=InnoDB;
