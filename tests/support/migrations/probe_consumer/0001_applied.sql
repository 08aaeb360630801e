-- times_applied > 1 would mean an event had a second effect
CREATE TABLE applied_notes (
    note_id       text PRIMARY KEY,
    text          text NOT NULL,
    times_applied integer NOT NULL DEFAULT 1,
    correlation_id text
);
-- a row here "fixes" the poison: the handler stops failing for that note
CREATE TABLE fixes (
    note_id text PRIMARY KEY
);
