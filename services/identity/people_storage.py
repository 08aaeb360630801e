"""SQL for people: platform roles, verified experts, organizations and their members, the export of
what identity holds about a user and the erasure of it. One ``PeopleStorage`` per worker (or per
command), on its transaction; rows come back as dicts; times are passed in by the caller.
"""

from __future__ import annotations

from datetime import datetime

from psycopg2.extras import Json

from kernel.db import Transaction

#: the columns of a user the people rules read
PERSON_COLUMNS = "id, display_name, bio, avatar_url, languages, expertise, platform_role"
#: what an unpublished event's fields of expertise become when their user is erased
ERASED_FIELD = "erased"


class PeopleStorage:
    def __init__(self, tx: Transaction):
        self.tx = tx

    # -- users and roles -------------------------------------------------------------------

    def person(self, user_id: str, for_update: bool = False) -> dict | None:
        """A live user (None if unknown or erased); ``for_update`` locks the row."""
        lock = " FOR UPDATE" if for_update else ""
        return self.tx.fetchone(
            f"SELECT {PERSON_COLUMNS} FROM users WHERE id = %s AND deleted_at IS NULL{lock}", (user_id,)
        )

    def platform_role(self, user_id: str) -> str | None:
        row = self.tx.fetchone("SELECT platform_role FROM users WHERE id = %s AND deleted_at IS NULL", (user_id,))
        return None if row is None else row["platform_role"]

    def lock_admins(self) -> int:
        """Lock every live admin's row and count them: two admins demoting each other at once are
        judged one after the other, so one of them stays."""
        rows = self.tx.fetchall(
            "SELECT id FROM users WHERE platform_role = 'admin' AND deleted_at IS NULL ORDER BY id FOR UPDATE"
        )
        return len(rows)

    def set_platform_role(self, user_id: str, role: str, now: datetime) -> None:
        self.tx.execute("UPDATE users SET platform_role = %s, updated_at = %s WHERE id = %s", (role, now, user_id))

    def user_by_email(self, email: str, for_update: bool = False) -> dict | None:
        lock = " FOR UPDATE" if for_update else ""
        return self.tx.fetchone(
            f"SELECT id, display_name, locale, platform_role, created_at FROM users"
            f" WHERE email = %s AND deleted_at IS NULL{lock}",
            (email,),
        )

    def insert_verified_user(self, email: str, password_hash: str, display_name: str, now: datetime) -> dict | None:
        """A new account with a verified email; None when a live one has this email already."""
        return self.tx.fetchone(
            "INSERT INTO users (email, password_hash, display_name, email_verified, created_at, updated_at)"
            " VALUES (%s, %s, %s, true, %s, %s)"
            " ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING"
            " RETURNING id, display_name, locale, platform_role, created_at",
            (email, password_hash, display_name, now, now),
        )

    # -- experts ---------------------------------------------------------------------------

    def expert(self, user_id: str) -> dict | None:
        return self.tx.fetchone(
            "SELECT fields AS expertise_fields, verified_by, verified_at FROM experts WHERE user_id = %s", (user_id,)
        )

    def set_expert(self, user_id: str, fields: list[str], verified_by: str, now: datetime) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO experts (user_id, fields, verified_by, verified_at) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (user_id) DO UPDATE"
            " SET fields = EXCLUDED.fields, verified_by = EXCLUDED.verified_by, verified_at = EXCLUDED.verified_at"
            " RETURNING fields AS expertise_fields, verified_by, verified_at",
            (user_id, fields, verified_by, now),
        )
        assert row is not None
        return row

    def delete_expert(self, user_id: str) -> bool:
        return self.tx.execute("DELETE FROM experts WHERE user_id = %s", (user_id,)) > 0

    # -- organizations ---------------------------------------------------------------------

    def insert_organization(self, name: str, created_by: str, now: datetime) -> dict | None:
        """The new organization, or None when one has this name (whatever its case)."""
        return self.tx.fetchone(
            "INSERT INTO organizations (name, created_by, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (lower(name)) DO NOTHING RETURNING id, name, created_at",
            (name, created_by, now),
        )

    def organization(self, organization_id: str, for_share: bool = False) -> dict | None:
        lock = " FOR SHARE" if for_share else ""
        return self.tx.fetchone(
            f"SELECT id, name, created_at FROM organizations WHERE id = %s{lock}", (organization_id,)
        )

    def members(self, organization_id: str) -> list[dict]:
        return self.tx.fetchall(
            "SELECT m.user_id, u.display_name, m.affiliation, m.added_at FROM organization_members m"
            " JOIN users u ON u.id = m.user_id"
            " WHERE m.organization_id = %s ORDER BY m.added_at, m.user_id",
            (organization_id,),
        )

    def membership(self, user_id: str) -> dict | None:
        """The user's organization membership (one at most), or None: the user is public."""
        return self.tx.fetchone(
            "SELECT organization_id, affiliation, added_by, added_at FROM organization_members WHERE user_id = %s",
            (user_id,),
        )

    def add_member(self, organization_id: str, user_id: str, affiliation: str, added_by: str, now: datetime) -> bool:
        """False when the user already belongs to an organization (this one or another)."""
        return (
            self.tx.execute(
                "INSERT INTO organization_members (user_id, organization_id, affiliation, added_by, added_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id) DO NOTHING",
                (user_id, organization_id, affiliation, added_by, now),
            )
            > 0
        )

    def remove_member(self, organization_id: str | None, user_id: str) -> dict | None:
        """The removed membership (None if there was none); any organization when ``organization_id`` is None."""
        return self.tx.fetchone(
            "DELETE FROM organization_members WHERE user_id = %s AND (%s::uuid IS NULL OR organization_id = %s::uuid)"
            " RETURNING organization_id, affiliation",
            (user_id, organization_id, organization_id),
        )

    # -- privacy ---------------------------------------------------------------------------

    def password_hash(self, user_id: str) -> str | None:
        row = self.tx.fetchone("SELECT password_hash FROM users WHERE id = %s AND deleted_at IS NULL", (user_id,))
        return None if row is None else row["password_hash"]

    def account(self, user_id: str) -> dict | None:
        """Every column of the user but the password hash (for the export)."""
        return self.tx.fetchone(
            "SELECT id, email, display_name, locale, bio, avatar_url, languages, expertise, platform_role,"
            " email_verified, created_at, updated_at FROM users WHERE id = %s AND deleted_at IS NULL",
            (user_id,),
        )

    def sessions(self, user_id: str) -> list[dict]:
        """Each sign-in (refresh family): when it started, was last refreshed, ended; no token hash."""
        return self.tx.fetchall(
            "SELECT f.id, f.created_at, f.revoked_at, max(t.issued_at) AS last_refreshed_at,"
            " max(t.expires_at) AS expires_at"
            " FROM refresh_families f LEFT JOIN refresh_tokens t ON t.family_id = f.id"
            " WHERE f.user_id = %s GROUP BY f.id ORDER BY f.created_at",
            (user_id,),
        )

    def security_events(self, user_id: str) -> list[dict]:
        return self.tx.fetchall(
            "SELECT kind, host(client_address) AS client_address, occurred_at FROM security_events"
            " WHERE user_id = %s ORDER BY occurred_at, id",
            (user_id,),
        )

    def erase(self, user_id: str, tombstone: dict, now: datetime) -> None:
        """Replace the account's personal data by ``tombstone``, end every session, drop its expert
        status, forget the addresses it signed in from and the display name in its past events."""
        assignments = ", ".join(f"{name} = %s" for name in tombstone)
        self.tx.execute(
            f"UPDATE users SET {assignments}, deleted_at = %s, erased_at = %s, updated_at = %s WHERE id = %s",
            (*tombstone.values(), now, now, now, user_id),
        )
        self.tx.execute(
            "UPDATE refresh_families SET revoked_at = %s WHERE user_id = %s AND revoked_at IS NULL", (now, user_id)
        )
        self.tx.execute("DELETE FROM experts WHERE user_id = %s", (user_id,))
        # one-time tokens mailed to the user (migration 0002) and the details of their security events
        self.tx.execute("DELETE FROM account_tokens WHERE user_id = %s", (user_id,))
        self.tx.execute(
            "UPDATE security_events SET client_address = NULL, details = '{}' WHERE user_id = %s", (user_id,)
        )
        # past events about the user: those already published are dropped (the outbox keeps them a
        # week for operations only); those not yet published lose their name and fields of expertise
        subject = f"user/{user_id}"
        self.tx.execute("DELETE FROM outbox WHERE subject = %s AND sent_at IS NOT NULL", (subject,))
        for key, value in (("display_name", tombstone["display_name"]), ("fields_of_expertise", [ERASED_FIELD])):
            self.tx.execute(
                "UPDATE outbox SET envelope = jsonb_set(envelope::jsonb, %s, %s)::json"
                " WHERE subject = %s AND sent_at IS NULL AND (envelope::jsonb -> 'data') ? %s",
                (["data", key], Json(value), subject, key),
            )
