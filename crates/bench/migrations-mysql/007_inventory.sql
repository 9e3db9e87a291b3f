CREATE TABLE warehouses (
    id    int AUTO_INCREMENT PRIMARY KEY,
    code  varchar(16) NOT NULL UNIQUE,
    city  varchar(128) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE inventory (
    product_id    bigint NOT NULL,
    warehouse_id  int NOT NULL,
    on_hand       int NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved      int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    PRIMARY KEY (product_id, warehouse_id),
    KEY inventory_warehouse_idx (warehouse_id),
    CONSTRAINT inventory_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT inventory_warehouse_fk FOREIGN KEY (warehouse_id) REFERENCES warehouses (id)
) ENGINE=InnoDB;
