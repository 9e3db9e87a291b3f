CREATE TABLE payments (
    id            bigint AUTO_INCREMENT PRIMARY KEY,
    order_id      bigint NOT NULL,
    method        enum('card', 'transfer', 'voucher') NOT NULL,
    amount_cents  bigint NOT NULL CHECK (amount_cents >= 0),
    reference     varchar(128) UNIQUE,
    paid_at       datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY payments_order_idx (order_id),
    CONSTRAINT payments_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB;
