CREATE TABLE staff (
    id        serial PRIMARY KEY,
    login     text NOT NULL UNIQUE,
    email     email_address NOT NULL,
    disabled  boolean NOT NULL DEFAULT false
);
CREATE TABLE roles (
    name  text PRIMARY KEY
);
CREATE TABLE staff_roles (
    staff_id  integer NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    role      text NOT NULL REFERENCES roles (name),
    PRIMARY KEY (staff_id, role)
);
