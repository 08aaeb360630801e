"""SQL for the identity schema, behind ``IdentityStorage`` (one per worker, on its transaction).

Rows come back as dicts. Times are passed in by the caller (the service's clock), so the rules in
``domain`` and the rows they judge agree on what "now" is.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from kernel.db import Transaction
from services.identity import domain
from services.identity.keys import SigningKey, load_key, new_key_material

#: the columns of a user that leave the service (never the password hash)
USER_COLUMNS = (
    "id, email, display_name, locale, bio, avatar_url, languages, expertise, platform_role, email_verified, created_at"
)

#: serialises signing-key rotations across replicas (pg_advisory_xact_lock takes a bigint)
SIGNING_KEY_LOCK = zlib.crc32(b"identity.signing_keys")


class IdentityStorage:
    """Reads and writes users, refresh tokens, signing keys and security events."""

    def __init__(self, tx: Transaction):
        self.tx = tx

    # -- users -----------------------------------------------------------------------------

    def insert_user(self, email: str, password_hash: str, display_name: str, locale: str) -> dict | None:
        """The new user, or None when a live account already has this email."""
        return self.tx.fetchone(
            "INSERT INTO users (email, password_hash, display_name, locale) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING"
            f" RETURNING {USER_COLUMNS}",
            (email, password_hash, display_name, locale),
        )

    def user(self, user_id: str, for_update: bool = False) -> dict | None:
        """A live user by id (None if unknown, deleted or erased); ``for_update`` locks the row."""
        lock = " FOR UPDATE" if for_update else ""
        return self.tx.fetchone(
            f"SELECT {USER_COLUMNS} FROM users WHERE id = %s AND deleted_at IS NULL{lock}", (user_id,)
        )

    def credentials(self, email: str) -> dict | None:
        """``id``, ``password_hash`` and ``platform_role`` of the live user with this email."""
        return self.tx.fetchone(
            "SELECT id, password_hash, platform_role FROM users WHERE email = %s AND deleted_at IS NULL", (email,)
        )

    def set_password_hash(self, user_id: str, password_hash: str, now: datetime) -> None:
        self.tx.execute(
            "UPDATE users SET password_hash = %s, updated_at = %s WHERE id = %s", (password_hash, now, user_id)
        )

    def update_profile(self, user_id: str, changes: dict, now: datetime) -> dict | None:
        """Apply ``changes`` (keys from ``domain.PROFILE_FIELDS`` only) and return the user."""
        assignments = [f"{name} = %s" for name in changes if name in domain.PROFILE_FIELDS]
        if len(assignments) != len(changes):
            raise ValueError(f"not profile fields: {sorted(set(changes) - set(domain.PROFILE_FIELDS))}")
        return self.tx.fetchone(
            f"UPDATE users SET {', '.join([*assignments, 'updated_at = %s'])}"
            f" WHERE id = %s AND deleted_at IS NULL RETURNING {USER_COLUMNS}",
            (*changes.values(), now, user_id),
        )

    # -- refresh tokens --------------------------------------------------------------------

    def start_family(self, user_id: str, now: datetime) -> str:
        row = self.tx.fetchone(
            "INSERT INTO refresh_families (user_id, created_at) VALUES (%s, %s) RETURNING id", (user_id, now)
        )
        assert row is not None
        return str(row["id"])

    def add_refresh_token(self, token_hash: str, family_id: str, now: datetime, ttl_seconds: int) -> None:
        self.tx.execute(
            "INSERT INTO refresh_tokens (token_hash, family_id, issued_at, expires_at) VALUES (%s, %s, %s, %s)",
            (token_hash, family_id, now, now + timedelta(seconds=ttl_seconds)),
        )

    def refresh_token(self, token_hash: str) -> dict | None:
        """The token, its family and whether its user is live; the token row stays locked until
        commit, so two concurrent refreshes of one token are judged one after the other."""
        return self.tx.fetchone(
            "SELECT t.family_id, t.expires_at, t.used_at, f.user_id, f.revoked_at AS family_revoked_at,"
            "       (u.deleted_at IS NULL) AS user_active, u.platform_role"
            " FROM refresh_tokens t"
            " JOIN refresh_families f ON f.id = t.family_id"
            " JOIN users u ON u.id = f.user_id"
            " WHERE t.token_hash = %s"
            " FOR UPDATE OF t",
            (token_hash,),
        )

    def mark_used(self, token_hash: str, now: datetime) -> None:
        self.tx.execute("UPDATE refresh_tokens SET used_at = %s WHERE token_hash = %s", (now, token_hash))

    def revoke_family(self, family_id: str, now: datetime) -> None:
        self.tx.execute(
            "UPDATE refresh_families SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL", (now, family_id)
        )

    # -- signing keys ----------------------------------------------------------------------

    def signing_key(self) -> SigningKey:
        """The key that signs now; the first call on an empty schema creates it (once, even when
        replicas race: the unique index on the active key makes the second insert a no-op)."""
        row = self._active_key()
        if row is None:
            kid, pem = new_key_material()
            self.tx.execute(
                "INSERT INTO signing_keys (kid, private_key_pem) VALUES (%s, %s)"
                " ON CONFLICT ((true)) WHERE superseded_at IS NULL DO NOTHING",
                (kid, pem),
            )
            row = self._active_key()
        assert row is not None
        return _key(row)

    def rotate_signing_key(self, now: datetime) -> SigningKey:
        """Supersede the signing key with a new one; concurrent rotations wait for each other."""
        self.tx.execute("SELECT pg_advisory_xact_lock(%s)", (SIGNING_KEY_LOCK,))
        self.tx.execute("UPDATE signing_keys SET superseded_at = %s WHERE superseded_at IS NULL", (now,))
        kid, pem = new_key_material()
        self.tx.execute("INSERT INTO signing_keys (kid, private_key_pem) VALUES (%s, %s)", (kid, pem))
        row = self._active_key()
        assert row is not None
        return _key(row)

    def signing_keys(self) -> list[SigningKey]:
        """Every stored key, newest first."""
        rows = self.tx.fetchall(
            "SELECT kid, private_key_pem, created_at, superseded_at FROM signing_keys ORDER BY created_at DESC"
        )
        return [_key(row) for row in rows]

    def delete_signing_keys(self, kids: list[str]) -> None:
        """Forget retired keys: a private key that no longer verifies anything is only a liability."""
        if kids:
            self.tx.execute("DELETE FROM signing_keys WHERE kid = ANY(%s)", (kids,))

    def _active_key(self) -> dict | None:
        return self.tx.fetchone(
            "SELECT kid, private_key_pem, created_at, superseded_at FROM signing_keys WHERE superseded_at IS NULL"
        )

    # -- security events -------------------------------------------------------------------

    def record(self, kind: str, user_id: str | None, client_address: str | None, now: datetime) -> None:
        """A security event (login, refresh reuse, ...): who, from where, when; never a secret."""
        self.tx.execute(
            "INSERT INTO security_events (kind, user_id, client_address, occurred_at) VALUES (%s, %s, %s, %s)",
            (kind, user_id, client_address, now),
        )


def _key(row: dict) -> SigningKey:
    return load_key(row["kid"], row["private_key_pem"], row["created_at"], row["superseded_at"])
