-- The spaces service's own data: communities and their charter, the change log and section
-- validations of their review, pilot feedback, the space tree, members, bans, admissions and
-- invitations. (Who may do what is read from the kernel's access_* read model, which this
-- service keeps in the same transaction as these tables.)

-- every event that changes an access_* row takes its revision from here (after locking the rows)
CREATE SEQUENCE access_revision;

CREATE TABLE communities (
    id               uuid PRIMARY KEY,
    slug             text        NOT NULL,
    name             text        NOT NULL,
    description      text        NOT NULL DEFAULT '',
    languages        text[]      NOT NULL,
    kind             text        NOT NULL,
    state            text        NOT NULL DEFAULT 'draft',
    charter          jsonb       NOT NULL,  -- objectives, topics, rules, access, content, conditions
    matrix           jsonb       NOT NULL,  -- role -> [permission]
    modules          text[]      NOT NULL,  -- modules enabled community-wide
    created_by       uuid        NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    state_changed_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX communities_slug ON communities (lower(slug));
CREATE INDEX communities_listing ON communities (created_at, id);

-- who changed which setting, when, from what to what (also the lifecycle transitions)
CREATE TABLE community_changes (
    id           bigserial PRIMARY KEY,
    community_id uuid        NOT NULL REFERENCES communities (id),
    section      text        NOT NULL,
    setting      text        NOT NULL,
    before       jsonb,
    after        jsonb,
    changed_by   uuid,
    changed_at   timestamptz NOT NULL
);
CREATE INDEX community_changes_by_community ON community_changes (community_id, id);

-- sections of the model the owner validated during review; a later change to a section removes its row
CREATE TABLE community_validations (
    community_id uuid        NOT NULL REFERENCES communities (id),
    section      text        NOT NULL,
    validated_by uuid        NOT NULL,
    validated_at timestamptz NOT NULL,
    PRIMARY KEY (community_id, section)
);

CREATE TABLE pilot_feedback (
    id           uuid PRIMARY KEY,
    community_id uuid        NOT NULL REFERENCES communities (id),
    user_id      uuid,                  -- null once the author erased their account
    message      text        NOT NULL,
    rating       smallint,
    created_at   timestamptz NOT NULL
);
CREATE INDEX pilot_feedback_by_community ON pilot_feedback (community_id, created_at, id);

CREATE TABLE spaces (
    id           uuid PRIMARY KEY,
    community_id uuid        NOT NULL REFERENCES communities (id),
    parent_id    uuid        REFERENCES spaces (id),
    name         text        NOT NULL,
    slug         text        NOT NULL,
    description  text        NOT NULL DEFAULT '',
    visibility   text        NOT NULL,
    matrix       jsonb,                 -- null: inherits the parent's (or the community's)
    modules      text[],                -- null: inherits the community's
    archived_at  timestamptz,
    created_by   uuid        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX spaces_slug ON spaces (community_id, lower(slug));
CREATE INDEX spaces_parent ON spaces (parent_id);
CREATE INDEX spaces_listing ON spaces (community_id, created_at, id);

CREATE TABLE members (
    community_id uuid        NOT NULL REFERENCES communities (id),
    user_id      uuid        NOT NULL,
    role         text        NOT NULL,
    via          text        NOT NULL,  -- creator, open, request, cooptation, criteria, invitation, pilot
    joined_at    timestamptz NOT NULL,
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX members_listing ON members (community_id, joined_at, user_id);
CREATE INDEX members_by_user ON members (user_id);
CREATE INDEX members_by_role ON members (community_id, role);

CREATE TABLE bans (
    community_id uuid        NOT NULL REFERENCES communities (id),
    user_id      uuid        NOT NULL,
    banned_by    uuid,
    reason       text        NOT NULL,
    banned_at    timestamptz NOT NULL,
    PRIMARY KEY (community_id, user_id)
);

CREATE TABLE join_requests (
    id                uuid PRIMARY KEY,
    community_id      uuid        NOT NULL REFERENCES communities (id),
    user_id           uuid        NOT NULL,
    policy            text        NOT NULL,  -- request, cooptation, criteria
    status            text        NOT NULL DEFAULT 'pending',  -- pending, approved, rejected, withdrawn
    message           text,
    answers           jsonb       NOT NULL DEFAULT '{}',
    attestations      text[]      NOT NULL DEFAULT '{}',
    sponsors_required integer,
    decided_by        uuid,
    reason            text,
    created_at        timestamptz NOT NULL,
    decided_at        timestamptz
);
CREATE UNIQUE INDEX join_requests_one_pending ON join_requests (community_id, user_id) WHERE status = 'pending';
CREATE INDEX join_requests_listing ON join_requests (community_id, status, created_at, id);
CREATE INDEX join_requests_by_user ON join_requests (user_id);

CREATE TABLE sponsorships (
    request_id   uuid        NOT NULL REFERENCES join_requests (id),
    sponsor_id   uuid        NOT NULL,
    sponsored_at timestamptz NOT NULL,
    PRIMARY KEY (request_id, sponsor_id)
);
CREATE INDEX sponsorships_by_sponsor ON sponsorships (sponsor_id);

CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    community_id uuid        NOT NULL REFERENCES communities (id),
    token_hash   bytea       NOT NULL UNIQUE,  -- sha256 of the token; the token itself is never stored
    role         text        NOT NULL,
    user_id      uuid,                          -- only this user may accept, when set
    email        text,                          -- a note for the inviter; never in events
    invited_by   uuid,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    accepted_by  uuid,
    accepted_at  timestamptz
);
CREATE INDEX invitations_by_community ON invitations (community_id, created_at, id);

-- users the platform knows (identity's user.registered / user.erased): ids named in a pilot group
-- or an invitation must be real accounts
CREATE TABLE known_users (
    user_id       uuid PRIMARY KEY,
    registered_at timestamptz NOT NULL,
    erased_at     timestamptz
);
