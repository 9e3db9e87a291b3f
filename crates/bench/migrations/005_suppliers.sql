CREATE TABLE suppliers (
    id       serial PRIMARY KEY,
    name     text NOT NULL UNIQUE,
    country  char(2) NOT NULL,
    email    email_address
);
