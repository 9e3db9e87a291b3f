CREATE TABLE products (
    id           bigserial PRIMARY KEY,
    sku          text NOT NULL UNIQUE,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    category_id  integer NOT NULL REFERENCES categories (id),
    supplier_id  integer REFERENCES suppliers (id),
    price_cents  cents NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_category_idx ON products (category_id) WHERE active;
CREATE INDEX products_supplier_idx ON products (supplier_id);
CREATE INDEX products_name_idx ON products (lower(name) text_pattern_ops);
