-- Moderation and bad buzz (docs/publishing.md, "Moderation"): readers' reports (an item is hidden
-- when enough distinct readers report it), locked items, a space's crisis mode, the community's
-- moderation settings, and the audit of every sanction.

CREATE TABLE reports (
    id          uuid PRIMARY KEY,
    content_id  uuid        NOT NULL REFERENCES contents (id),
    reporter_id uuid,                          -- null once the reporter erased their account
    reason      text        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 1000),
    category    text        NOT NULL CHECK (category IN ('spam', 'abuse', 'off_topic', 'misinformation', 'other')),
    created_at  timestamptz NOT NULL,
    resolved_at timestamptz,                   -- null while the report stands
    UNIQUE (content_id, reporter_id)           -- one report per reader: a second one changes nothing
);

-- a locked item takes no new comment and no new answer
ALTER TABLE contents ADD COLUMN locked boolean NOT NULL DEFAULT false;

-- a space in crisis: new items go to pre-moderation, comments wait, members post once per slow_seconds
CREATE TABLE space_moderation (
    space_id     uuid PRIMARY KEY,
    community_id uuid        NOT NULL,
    crisis       boolean     NOT NULL DEFAULT false,
    slow_seconds integer     NOT NULL DEFAULT 0 CHECK (slow_seconds BETWEEN 0 AND 3600),
    changed_by   uuid,                   -- null once erased
    changed_at   timestamptz NOT NULL
);

CREATE TABLE moderation_settings (
    community_id     uuid PRIMARY KEY,
    report_threshold integer NOT NULL DEFAULT 5 CHECK (report_threshold BETWEEN 1 AND 100)
);

-- every sanction ever applied (an audit: never updated nor deleted)
CREATE TABLE sanctions (
    id           uuid PRIMARY KEY,
    community_id uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('warn', 'mute')),
    reason       text        NOT NULL,
    until        timestamptz,                  -- a mute's end; null for a warning
    by           uuid,                   -- null once erased
    at           timestamptz NOT NULL
);
-- a community's sanctions, newest first (keyset on at, id)
CREATE INDEX sanctions_by_community ON sanctions (community_id, at DESC, id DESC);
-- is this user muted now?
CREATE INDEX sanctions_mutes ON sanctions (community_id, user_id, until) WHERE kind = 'mute';
