CREATE TABLE reviews (
    id           bigserial PRIMARY KEY,
    product_id   bigint NOT NULL REFERENCES products (id),
    customer_id  bigint NOT NULL REFERENCES customers (id),
    rating       smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, customer_id)
);
CREATE INDEX reviews_product_rating_idx ON reviews (product_id, rating);
