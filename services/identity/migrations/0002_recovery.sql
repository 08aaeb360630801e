-- Account recovery and abuse protection: one-time tokens (email verification, password reset),
-- sign-in throttles, and details on security events for the admins' audit log.

-- A token mailed to a user, usable once. Only its SHA-256 is kept: the database alone cannot be
-- used to verify an address or take over an account.
CREATE TABLE account_tokens (
    token_hash  text        PRIMARY KEY,  -- SHA-256 (hex) of the token
    user_id     uuid        NOT NULL REFERENCES users (id),
    purpose     text        NOT NULL CHECK (purpose IN ('verify-email', 'password-reset')),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz              -- used, or superseded by another token of the same purpose
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose, created_at);
CREATE INDEX account_tokens_expiry ON account_tokens (expires_at);

-- Failed sign-ins per account (key 'account:' + SHA-256 of the normalised email, whether or not it
-- is registered) and per client address (key 'address:' + the address). Shared by every replica.
CREATE TABLE login_throttles (
    key                 text        PRIMARY KEY,
    failures            integer     NOT NULL DEFAULT 0,  -- in the window that started at window_started_at
    window_started_at   timestamptz,
    lockouts            integer     NOT NULL DEFAULT 0,  -- lockouts so far; each lasts twice the previous
    locked_until        timestamptz,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX login_throttles_updated ON login_throttles (updated_at);

-- What an audit reader needs beyond who/where/when (a lockout's scope and length, ...): never a
-- secret, a token or a hash.
ALTER TABLE security_events ADD COLUMN details jsonb NOT NULL DEFAULT '{}';
CREATE INDEX security_events_kind ON security_events (kind, id);
