CREATE TABLE customers (
    id          bigserial PRIMARY KEY,
    email       email_address NOT NULL,
    full_name   text NOT NULL,
    phone       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX customers_email_key ON customers (lower(email));
CREATE INDEX customers_created_at_idx ON customers (created_at);
CREATE INDEX customers_active_idx ON customers (id) WHERE deleted_at IS NULL;
