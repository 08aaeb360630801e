-- Spaces that keep their own members (a work package's people): from such a space down, a member's
-- role is the one given there (community owners and managers keep theirs everywhere).

ALTER TABLE spaces ADD COLUMN own_members boolean NOT NULL DEFAULT false;

CREATE TABLE space_members (
    space_id uuid        NOT NULL REFERENCES spaces (id),
    user_id  uuid        NOT NULL,
    role     text        NOT NULL,
    added_by uuid,
    added_at timestamptz NOT NULL,
    PRIMARY KEY (space_id, user_id)
);
CREATE INDEX space_members_listing ON space_members (space_id, added_at, user_id);
CREATE INDEX space_members_by_user ON space_members (user_id);
