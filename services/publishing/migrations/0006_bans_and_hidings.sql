-- Moderation, continued (docs/publishing.md, "Moderation"): a ban (pronounced by the spaces service)
-- is recorded as a sanction, and every hiding or restoring of an item is audited.

ALTER TABLE sanctions DROP CONSTRAINT sanctions_kind_check;
ALTER TABLE sanctions ADD CONSTRAINT sanctions_kind_check CHECK (kind IN ('warn', 'mute', 'ban'));

-- every time an item was hidden or put back (an audit: never updated nor deleted)
CREATE TABLE hidings (
    id         uuid PRIMARY KEY,
    content_id uuid        NOT NULL REFERENCES contents (id),
    action     text        NOT NULL CHECK (action IN ('hide', 'unhide')),
    cause      text        NOT NULL CHECK (cause IN ('reports', 'moderator')),
    reason     text        CHECK (char_length(reason) BETWEEN 1 AND 1000),  -- a moderator's why; null for reports
    by         uuid,                         -- the moderator; null for reports, or once erased
    at         timestamptz NOT NULL,
    CHECK (cause = 'moderator' OR action = 'hide')  -- only a moderator puts an item back
);
-- an item's hidings, newest first (keyset on at, id)
CREATE INDEX hidings_by_content ON hidings (content_id, at DESC, id DESC);
