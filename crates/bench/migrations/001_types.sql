-- Types the rest of the schema shares.
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded');
CREATE TYPE payment_method AS ENUM ('card', 'transfer', 'voucher');
CREATE DOMAIN email_address AS text CHECK (VALUE ~ '^[^@\s]+@[^@\s]+$');
CREATE DOMAIN cents AS bigint CHECK (VALUE >= 0);
