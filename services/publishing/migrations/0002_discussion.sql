-- Comments (one level of replies), reactions, and answers' marks (docs/publishing.md).
-- Who reads them is who reads their item: every read joins contents and applies the reader's condition.

CREATE TABLE comments (
    id         uuid PRIMARY KEY,
    content_id uuid        NOT NULL REFERENCES contents (id),
    parent_id  uuid        REFERENCES comments (id),   -- the comment it replies to (never a reply itself)
    author_id  uuid,                                   -- null once the author erased their account
    body       text        NOT NULL,
    body_html  text        NOT NULL,
    created_at timestamptz NOT NULL,
    hidden     boolean     NOT NULL DEFAULT false
);
-- an item's comments, oldest first (keyset on created_at, id)
CREATE INDEX comments_by_content ON comments (content_id, created_at, id);

CREATE TABLE reactions (
    content_id uuid        NOT NULL REFERENCES contents (id),
    user_id    uuid        NOT NULL,
    reaction   text        NOT NULL CHECK (reaction IN ('like', 'insightful', 'thanks', 'agree')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (content_id, user_id, reaction)
);

ALTER TABLE contents ADD COLUMN accepted_answer_id uuid REFERENCES contents (id);
ALTER TABLE contents ADD COLUMN by_expert boolean NOT NULL DEFAULT false;  -- an answer by a verified expert
