CREATE TABLE carts (
    id           char(36) PRIMARY KEY,
    customer_id  bigint,
    updated_at   datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY carts_stale_idx (updated_at),
    CONSTRAINT carts_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;
CREATE TABLE cart_items (
    cart_id     char(36) NOT NULL,
    product_id  bigint NOT NULL,
    quantity    int NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (cart_id, product_id),
    CONSTRAINT cart_items_cart_fk FOREIGN KEY (cart_id) REFERENCES carts (id) ON DELETE CASCADE,
    CONSTRAINT cart_items_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB;
