-- People: verified experts, organizations and their members (the extended enterprise), erasure.

-- A verified expert: which fields an admin vouched for, who and when. No row: not an expert.
CREATE TABLE experts (
    user_id      uuid        PRIMARY KEY REFERENCES users (id),
    fields       text[]      NOT NULL CHECK (cardinality(fields) BETWEEN 1 AND 20),
    verified_by  uuid        NOT NULL,  -- an admin's user id (kept if that admin is later erased)
    verified_at  timestamptz NOT NULL
);

CREATE TABLE organizations (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_by  uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- names are unique whatever their case
CREATE UNIQUE INDEX organizations_name ON organizations (lower(name));

-- One organization per user for now: the primary key is the user. No row: the user is `public`.
CREATE TABLE organization_members (
    user_id          uuid        PRIMARY KEY REFERENCES users (id),
    organization_id  uuid        NOT NULL REFERENCES organizations (id),
    affiliation      text        NOT NULL CHECK (affiliation IN ('employee', 'partner', 'customer')),
    added_by         uuid        NOT NULL,
    added_at         timestamptz NOT NULL
);
CREATE INDEX organization_members_organization ON organization_members (organization_id, added_at);

-- An erased account keeps its row as a tombstone (the id other services know), nothing else.
ALTER TABLE users ADD COLUMN erased_at timestamptz;
