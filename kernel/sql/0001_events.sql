-- The kernel's tables, created in every service's schema: outbox, inbox, dead letters.

CREATE TABLE outbox (
    seq         bigserial PRIMARY KEY,
    -- a uuid4 made by the producer: no unique index (one index write less per event and per
    -- "sent" mark); consumers deduplicate on it in their inbox
    event_id    uuid        NOT NULL,
    type        text        NOT NULL,
    subject     text        NOT NULL,
    envelope    json        NOT NULL,  -- json, not jsonb: stored as written, cheaper to write and read back
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    sent_at     timestamptz
);
-- the relay reads only unsent rows, in order
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
-- every published row leaves a dead entry in outbox_unsent that the relay's scan walks past until
-- a vacuum; a queue-like table is vacuumed after a fixed number of changes, not a share of its size
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
                        autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000);

CREATE TABLE inbox (
    consumer    text        NOT NULL,
    event_id    text        NOT NULL,
    type        text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    consumer     text        NOT NULL,
    queue        text        NOT NULL,
    event_id     text,
    type         text,
    -- the message exactly as received (replayed byte for byte) and, when it is JSON that
    -- PostgreSQL can store, the same as jsonb for people and queries
    body         bytea       NOT NULL,
    content_type text        NOT NULL DEFAULT 'application/cloudevents+json',
    envelope     jsonb,
    error        text        NOT NULL,
    traceback    text        NOT NULL DEFAULT '',
    attempts     integer     NOT NULL,
    parked_at    timestamptz NOT NULL DEFAULT now(),
    replayed_at  timestamptz
);
CREATE INDEX dead_letters_waiting ON dead_letters (parked_at) WHERE replayed_at IS NULL;
