CREATE TABLE categories (
    id         serial PRIMARY KEY,
    parent_id  integer REFERENCES categories (id),
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL
);
CREATE INDEX categories_parent_idx ON categories (parent_id);
