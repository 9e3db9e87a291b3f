CREATE TABLE reviews (
    id           bigint AUTO_INCREMENT PRIMARY KEY,
    product_id   bigint NOT NULL,
    customer_id  bigint NOT NULL,
    rating       smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body         text NOT NULL,
    created_at   datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY reviews_product_customer_key (product_id, customer_id),
    KEY reviews_product_rating_idx (product_id, rating),
    CONSTRAINT reviews_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT reviews_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;
