-- Every fact the service has served, and how often.
CREATE TABLE facts (
    -- 32 lowercase hexadecimal digits, as the useless-facts API issues them.
    id         text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    text       text NOT NULL CHECK (btrim(text) <> ''),
    source     text NOT NULL DEFAULT '',
    source_url text NOT NULL DEFAULT '',
    language   text NOT NULL DEFAULT '',
    permalink  text NOT NULL DEFAULT '',
    -- A row exists once the fact was served: the first serving counts.
    views      bigint NOT NULL DEFAULT 1 CHECK (views > 0),
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now()
);
