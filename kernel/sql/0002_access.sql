-- The local read model of who may do what (kernel.access.readmodel), in every service's schema:
-- the spaces service keeps it in the same transaction as its own writes, the others from its
-- events. Each row keeps the revision of the event that last set it; an older one never undoes it.

CREATE TABLE access_communities (
    community_id uuid PRIMARY KEY,
    state        text   NOT NULL,
    matrix       jsonb  NOT NULL,
    revision     bigint NOT NULL
);

CREATE TABLE access_spaces (
    space_id     uuid PRIMARY KEY,
    community_id uuid    NOT NULL,
    parent_id    uuid,
    visibility   text    NOT NULL,
    archived     boolean NOT NULL DEFAULT false,
    matrix       jsonb,             -- null: inherits the parent's (or the community's) matrix
    revision     bigint  NOT NULL
);
CREATE INDEX access_spaces_community ON access_spaces (community_id);

-- a row per user who ever had a standing in a community; role null and banned false = no standing
CREATE TABLE access_members (
    community_id uuid    NOT NULL,
    user_id      uuid    NOT NULL,
    role         text,
    banned       boolean NOT NULL DEFAULT false,
    revision     bigint  NOT NULL,
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX access_members_user ON access_members (user_id) WHERE role IS NOT NULL;
