CREATE TABLE coupons (
    code         varchar(64) PRIMARY KEY,
    percent_off  smallint CHECK (percent_off BETWEEN 1 AND 100),
    valid_from   datetime(6) NOT NULL,
    valid_until  datetime(6) NOT NULL,
    max_uses     int,
    CHECK (valid_until > valid_from)
) ENGINE=InnoDB;
CREATE TABLE coupon_redemptions (
    coupon_code  varchar(64) NOT NULL,
    order_id     bigint NOT NULL,
    PRIMARY KEY (coupon_code, order_id),
    CONSTRAINT redemptions_coupon_fk FOREIGN KEY (coupon_code) REFERENCES coupons (code),
    CONSTRAINT redemptions_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB;
