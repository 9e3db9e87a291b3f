CREATE TABLE addresses (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('billing', 'shipping')),
    line1        text NOT NULL,
    line2        text,
    city         text NOT NULL,
    postal_code  text NOT NULL,
    country      char(2) NOT NULL
);
CREATE INDEX addresses_customer_idx ON addresses (customer_id);
CREATE INDEX addresses_country_city_idx ON addresses (country, city);
