-- Identity's accounts and tokens: users, refresh-token families, signing keys, security events.

CREATE TABLE users (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email           text        NOT NULL CHECK (email = lower(email)),  -- normalised by the service
    password_hash   text        NOT NULL,                               -- argon2id, never leaves the service
    display_name    text        NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
    locale          text        NOT NULL DEFAULT 'en',
    bio             text        CHECK (char_length(bio) <= 2000),
    avatar_url      text,
    languages       text[]      NOT NULL DEFAULT '{}',
    expertise       text[]      NOT NULL DEFAULT '{}',
    platform_role   text        NOT NULL DEFAULT 'member'
                                CHECK (platform_role IN ('admin', 'community_creator', 'member')),
    email_verified  boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz                                         -- deleted or erased: gone for every RPC
);
-- one live account per address; an erased account frees its address
CREATE UNIQUE INDEX users_email ON users (email) WHERE deleted_at IS NULL;

-- A login starts a family; each refresh uses one token and issues the next in the same family.
-- Revoking the family (logout, or a used token shown again) ends every token in it at once.
CREATE TABLE refresh_families (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);

CREATE TABLE refresh_tokens (
    token_hash  text        PRIMARY KEY,  -- SHA-256 (hex) of the token; the token itself is never stored
    family_id   uuid        NOT NULL REFERENCES refresh_families (id),
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz              -- rotated: showing it again betrays a copy
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- Ed25519 keys that sign access tokens (PEM, PKCS#8). The newest key not superseded signs; a
-- superseded key stays published until every token it signed has expired, then it is deleted.
CREATE TABLE signing_keys (
    kid             text        PRIMARY KEY,
    private_key_pem text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    superseded_at   timestamptz
);
-- at most one key signs at a time
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true)) WHERE superseded_at IS NULL;

-- What happened to accounts, for investigations and rate limiting: never a password, a token or
-- its hash. For an unknown email no address is kept (people type passwords into that field).
CREATE TABLE security_events (
    id              bigserial   PRIMARY KEY,
    kind            text        NOT NULL,  -- login.succeeded, login.failed, refresh.reused, ...
    user_id         uuid,
    client_address  inet,
    occurred_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_events_user ON security_events (user_id, occurred_at);
CREATE INDEX security_events_time ON security_events (occurred_at);
