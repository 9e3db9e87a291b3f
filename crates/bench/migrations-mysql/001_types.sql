-- MySQL and MariaDB have no CREATE TYPE or CREATE DOMAIN: the enums are written on the
-- columns that use them, and the domains' checks as CHECK constraints. This file keeps
-- the numbering of ../migrations and records what the schema agrees on.
CREATE TABLE schema_notes (
    topic  varchar(64) PRIMARY KEY,
    note   varchar(255) NOT NULL
);
INSERT INTO schema_notes VALUES
    ('order_status', 'pending, paid, shipped, delivered, cancelled, refunded'),
    ('payment_method', 'card, transfer, voucher'),
    ('cents', 'bigint, never negative');
