CREATE TABLE coupons (
    code         text PRIMARY KEY,
    percent_off  smallint CHECK (percent_off BETWEEN 1 AND 100),
    valid_from   timestamptz NOT NULL,
    valid_until  timestamptz NOT NULL,
    max_uses     integer,
    CHECK (valid_until > valid_from)
);
CREATE TABLE coupon_redemptions (
    coupon_code  text NOT NULL REFERENCES coupons (code),
    order_id     bigint NOT NULL REFERENCES orders (id),
    PRIMARY KEY (coupon_code, order_id)
);
