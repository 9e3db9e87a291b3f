-- Emails are unique without regard to case: a stored lower-case copy carries the unique
-- index (MariaDB has no index on an expression).
CREATE TABLE customers (
    id           bigint AUTO_INCREMENT PRIMARY KEY,
    email        varchar(255) NOT NULL CHECK (email REGEXP '^[^@[:space:]]+@[^@[:space:]]+$'),
    email_lower  varchar(255) AS (lower(email)) STORED,
    full_name    varchar(255) NOT NULL,
    phone        varchar(64),
    created_at   datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    deleted_at   datetime(6),
    UNIQUE KEY customers_email_key (email_lower),
    KEY customers_created_at_idx (created_at),
    KEY customers_active_idx (deleted_at, id)
) ENGINE=InnoDB;
