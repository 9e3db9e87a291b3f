CREATE TABLE products (
    id           bigint AUTO_INCREMENT PRIMARY KEY,
    sku          varchar(32) NOT NULL UNIQUE,
    name         varchar(255) NOT NULL,
    description  text NOT NULL,
    category_id  int NOT NULL,
    supplier_id  int,
    price_cents  bigint NOT NULL CHECK (price_cents >= 0),
    active       boolean NOT NULL DEFAULT true,
    created_at   datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY products_category_idx (category_id, active),
    KEY products_supplier_idx (supplier_id),
    KEY products_name_idx (name),
    CONSTRAINT products_category_fk FOREIGN KEY (category_id) REFERENCES categories (id),
    CONSTRAINT products_supplier_fk FOREIGN KEY (supplier_id) REFERENCES suppliers (id)
) ENGINE=InnoDB;
