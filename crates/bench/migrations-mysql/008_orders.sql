CREATE TABLE orders (
    id                   bigint AUTO_INCREMENT PRIMARY KEY,
    customer_id          bigint NOT NULL,
    status               enum('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded') NOT NULL DEFAULT 'pending',
    shipping_address_id  bigint,
    placed_at            datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at           datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY orders_customer_idx (customer_id, placed_at),
    KEY orders_open_idx (status),
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT orders_address_fk FOREIGN KEY (shipping_address_id) REFERENCES addresses (id)
) ENGINE=InnoDB;
