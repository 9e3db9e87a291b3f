CREATE TABLE addresses (
    id           bigint AUTO_INCREMENT PRIMARY KEY,
    customer_id  bigint NOT NULL,
    kind         varchar(16) NOT NULL CHECK (kind IN ('billing', 'shipping')),
    line1        varchar(255) NOT NULL,
    line2        varchar(255),
    city         varchar(128) NOT NULL,
    postal_code  varchar(16) NOT NULL,
    country      char(2) NOT NULL,
    KEY addresses_customer_idx (customer_id),
    KEY addresses_country_city_idx (country, city),
    CONSTRAINT addresses_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB;
