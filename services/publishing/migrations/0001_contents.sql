-- Content items, their revisions and the record of their workflow (docs/publishing.md).
-- Who may read them is decided with the kernel's access_* read model (kept from spaces' events).

CREATE TABLE contents (
    id              uuid PRIMARY KEY,
    community_id    uuid        NOT NULL,
    space_id        uuid        NOT NULL,
    type            text        NOT NULL,
    parent_id       uuid        REFERENCES contents (id),
    author_id       uuid,                       -- null once the author erased their account
    title           text,                       -- null for untitled types (reply, answer)
    body            text        NOT NULL DEFAULT '',
    body_html       text        NOT NULL DEFAULT '',
    fields          jsonb       NOT NULL DEFAULT '{}',
    knowledge_level text        NOT NULL,       -- confidential, extended, public
    state           text        NOT NULL DEFAULT 'draft',
    step            integer,                    -- index of the current validation step (multi_step)
    revision        integer     NOT NULL DEFAULT 1,
    publish_at      timestamptz,                -- scheduled publication
    published_at    timestamptz,
    hidden          boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
-- feeds: newest published first, per space and per community (keyset on published_at, id)
CREATE INDEX contents_space_feed ON contents (space_id, published_at DESC, id DESC)
    WHERE state = 'published' AND NOT hidden;
CREATE INDEX contents_community_feed ON contents (community_id, published_at DESC, id DESC)
    WHERE state = 'published' AND NOT hidden;
-- the moderation queue, and the timer that publishes scheduled items
CREATE INDEX contents_waiting ON contents (community_id, updated_at, id) WHERE state IN ('submitted', 'in_review');
CREATE INDEX contents_scheduled ON contents (publish_at) WHERE state = 'approved' AND publish_at IS NOT NULL;
CREATE INDEX contents_parent ON contents (parent_id);
CREATE INDEX contents_author ON contents (author_id);

CREATE TABLE content_revisions (
    content_id uuid        NOT NULL REFERENCES contents (id),
    number     integer     NOT NULL,
    title      text,
    body       text        NOT NULL,
    fields     jsonb       NOT NULL,
    author_id  uuid,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (content_id, number)
);

CREATE TABLE content_transitions (
    id         bigserial PRIMARY KEY,
    content_id uuid        NOT NULL REFERENCES contents (id),
    from_state text,
    to_state   text        NOT NULL,
    step       text,                            -- the validation step's name, when there is one
    actor_id   uuid,                            -- null: the platform (a scheduled publication)
    reason     text,
    at         timestamptz NOT NULL
);
CREATE INDEX content_transitions_by_content ON content_transitions (content_id, id);
