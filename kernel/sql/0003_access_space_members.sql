-- Spaces that keep their own members (kernel.access.rules, rule 6) and the roles given there.

ALTER TABLE access_spaces ADD COLUMN own_members boolean NOT NULL DEFAULT false;

-- role null = no longer on the space's list (kept for the revision)
CREATE TABLE access_space_members (
    space_id     uuid   NOT NULL,
    user_id      uuid   NOT NULL,
    community_id uuid   NOT NULL,
    role         text,
    revision     bigint NOT NULL,
    PRIMARY KEY (space_id, user_id)
);
CREATE INDEX access_space_members_user ON access_space_members (community_id, user_id) WHERE role IS NOT NULL;
