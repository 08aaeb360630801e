"""SQL for account recovery and abuse protection (``migrations/0002_recovery.sql``): one-time tokens,
sign-in throttles, and the security events with their details (the admins' audit log).

Like ``IdentityStorage``, one per worker, on its transaction; times come from the caller.
"""

from __future__ import annotations

from datetime import datetime

from psycopg2.extras import Json

from kernel.db import Transaction
from services.identity.safeguards import OneTimeTokenState, Throttle

#: the columns of a security event an admin reads (no secret is ever stored in them)
AUDIT_COLUMNS = "id, kind, user_id, host(client_address) AS client_address, occurred_at AS at, details"


class RecoveryStorage:
    def __init__(self, tx: Transaction):
        self.tx = tx

    # -- accounts --------------------------------------------------------------------------

    def account(self, user_id: str, for_update: bool = False) -> dict | None:
        """``id``, ``email``, ``password_hash``, ``email_verified`` of a live user."""
        lock = " FOR UPDATE" if for_update else ""
        return self.tx.fetchone(
            "SELECT id, email, password_hash, email_verified FROM users WHERE id = %s AND deleted_at IS NULL" + lock,
            (user_id,),
        )

    def account_by_email(self, email: str) -> dict | None:
        return self.tx.fetchone("SELECT id, email FROM users WHERE email = %s AND deleted_at IS NULL", (email,))

    def mark_email_verified(self, user_id: str, now: datetime) -> None:
        self.tx.execute("UPDATE users SET email_verified = true, updated_at = %s WHERE id = %s", (now, user_id))

    def revoke_families(self, user_id: str, now: datetime, keep_family_id: str | None = None) -> int:
        """End every live session of the user except ``keep_family_id``'s; how many were ended."""
        return self.tx.execute(
            "UPDATE refresh_families SET revoked_at = %s"
            " WHERE user_id = %s AND revoked_at IS NULL AND id IS DISTINCT FROM %s",
            (now, user_id, keep_family_id),
        )

    def family_of(self, refresh_token_hash: str) -> dict | None:
        """The family (``family_id``, ``user_id``) a refresh token belongs to."""
        return self.tx.fetchone(
            "SELECT f.id AS family_id, f.user_id FROM refresh_tokens t"
            " JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = %s",
            (refresh_token_hash,),
        )

    # -- one-time tokens -------------------------------------------------------------------

    def add_token(self, token_hash: str, user_id: str, purpose: str, now: datetime, expires_at: datetime) -> None:
        self.tx.execute(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            (token_hash, user_id, purpose, now, expires_at),
        )

    def token(self, token_hash: str) -> tuple[OneTimeTokenState, str] | None:
        """The token's state and its user id, locked until commit (two uses of one token are judged
        one after the other)."""
        row = self.tx.fetchone(
            "SELECT t.purpose, t.expires_at, t.used_at, t.user_id, (u.deleted_at IS NULL) AS user_active"
            " FROM account_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = %s FOR UPDATE OF t",
            (token_hash,),
        )
        if row is None:
            return None
        state = OneTimeTokenState(row["purpose"], row["expires_at"], row["used_at"], row["user_active"])
        return state, str(row["user_id"])

    def use_tokens(self, user_id: str, purpose: str, now: datetime) -> None:
        """Mark every unused token of the user for ``purpose`` used: the one presented and any older."""
        self.tx.execute(
            "UPDATE account_tokens SET used_at = %s WHERE user_id = %s AND purpose = %s AND used_at IS NULL",
            (now, user_id, purpose),
        )

    def tokens_since(self, user_id: str, purpose: str, since: datetime) -> int:
        row = self.tx.fetchone(
            "SELECT count(*) AS n FROM account_tokens WHERE user_id = %s AND purpose = %s AND created_at >= %s",
            (user_id, purpose, since),
        )
        return int(row["n"]) if row else 0

    def delete_expired_tokens(self, before: datetime) -> int:
        return self.tx.execute("DELETE FROM account_tokens WHERE expires_at < %s", (before,))

    # -- sign-in throttles -----------------------------------------------------------------

    def throttles(self, keys: list[str], for_update: bool = False) -> dict[str, Throttle]:
        """The stored state of each key that has one (sorted locks: no deadlock between replicas)."""
        lock = " ORDER BY key FOR UPDATE" if for_update else ""
        rows = self.tx.fetchall(
            "SELECT key, failures, window_started_at, lockouts, locked_until, updated_at"
            " FROM login_throttles WHERE key = ANY(%s)" + lock,
            (keys,),
        )
        return {
            row["key"]: Throttle(
                row["failures"], row["window_started_at"], row["lockouts"], row["locked_until"], row["updated_at"]
            )
            for row in rows
        }

    def save_throttle(self, key: str, throttle: Throttle, now: datetime) -> None:
        self.tx.execute(
            "INSERT INTO login_throttles (key, failures, window_started_at, lockouts, locked_until, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (key) DO UPDATE SET failures = EXCLUDED.failures,"
            " window_started_at = EXCLUDED.window_started_at, lockouts = EXCLUDED.lockouts,"
            " locked_until = EXCLUDED.locked_until, updated_at = EXCLUDED.updated_at",
            (key, throttle.failures, throttle.window_started_at, throttle.lockouts, throttle.locked_until, now),
        )

    def forget_throttle(self, key: str) -> None:
        self.tx.execute("DELETE FROM login_throttles WHERE key = %s", (key,))

    def delete_idle_throttles(self, idle_since: datetime) -> int:
        return self.tx.execute(
            "DELETE FROM login_throttles WHERE updated_at < %s AND (locked_until IS NULL OR locked_until < %s)",
            (idle_since, idle_since),
        )

    # -- security events (audit) -----------------------------------------------------------

    def audit(
        self, kind: str, user_id: str | None, client_address: str | None, now: datetime, details: dict | None = None
    ) -> None:
        """Record a security event; ``details`` must hold no secret (no token, password or hash)."""
        self.tx.execute(
            "INSERT INTO security_events (kind, user_id, client_address, occurred_at, details)"
            " VALUES (%s, %s, %s, %s, %s)",
            (kind, user_id, client_address, now, Json(details or {})),
        )

    def audit_events(
        self, limit: int, before_id: int | None = None, user_id: str | None = None, kind: str | None = None
    ) -> list[dict]:
        """Security events, newest first, strictly before ``before_id``, optionally of one user and kind."""
        conditions, params = [], []
        for column, value in (("id < ", before_id), ("user_id = ", user_id), ("kind = ", kind)):
            if value is not None:
                conditions.append(column + "%s")
                params.append(value)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return self.tx.fetchall(
            f"SELECT {AUDIT_COLUMNS} FROM security_events{where} ORDER BY id DESC LIMIT %s", (*params, limit)
        )
