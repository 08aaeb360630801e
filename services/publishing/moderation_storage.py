"""SQL on the publishing service's moderation (``migrations/0004_moderation.sql``): readers' reports,
locked and hidden items (and the audit of each hiding), a space's crisis mode, the community's
moderation settings and the audit of sanctions (``0006_bans_and_hidings.sql``: bans, hidings). One
``ModerationStorage`` per worker, on its transaction; times are passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from kernel.db import Transaction
from services.publishing.storage import COLUMNS

SANCTION_COLUMNS = "id, community_id, user_id, kind, reason, until, by, at"
HIDING_COLUMNS = "id, content_id, action, cause, reason, by, at"


class ModerationStorage:
    """SQL on reports, locks, hidings, crisis modes, moderation settings and sanctions
    (``migrations/0004_moderation.sql``); its callers have already found the item or the place."""

    def __init__(self, tx: Transaction):
        self.tx = tx

    # -- reports and hiding --------------------------------------------------------------------------

    def add_report(self, values: Mapping[str, Any]) -> bool:
        """Whether the report is new (the same reader reporting again changes nothing)."""
        row = self.tx.fetchone(
            "INSERT INTO reports (id, content_id, reporter_id, reason, category, created_at)"
            " VALUES (%(id)s, %(content_id)s, %(reporter_id)s, %(reason)s, %(category)s, %(at)s)"
            " ON CONFLICT (content_id, reporter_id) DO NOTHING RETURNING id",
            values,
        )
        return row is not None

    def report_of(self, content_id: str, reporter_id: str) -> dict:
        row = self.tx.fetchone(
            "SELECT id, content_id, reporter_id, reason, category, created_at FROM reports"
            " WHERE content_id = %s AND reporter_id = %s",
            (content_id, reporter_id),
        )
        assert row is not None
        return row

    def reporters(self, content_id: str) -> int:
        """How many distinct readers stand by a report of the item (unresolved ones; one per reader)."""
        row = self.tx.fetchone(
            "SELECT count(*) AS n FROM reports WHERE content_id = %s AND resolved_at IS NULL",
            (content_id,),
        )
        return 0 if row is None else row["n"]

    def hide(self, content_id: str, at: datetime) -> dict:
        row = self.tx.fetchone(
            f"UPDATE contents SET hidden = true, updated_at = %s WHERE id = %s RETURNING {COLUMNS}", (at, content_id)
        )
        assert row is not None
        return row

    def unhide(self, content_id: str, at: datetime) -> dict:
        """The item back in feeds and search; its standing reports are resolved, so that the count of
        distinct reporters starts again from nothing."""
        self.tx.execute(
            "UPDATE reports SET resolved_at = %s WHERE content_id = %s AND resolved_at IS NULL", (at, content_id)
        )
        row = self.tx.fetchone(
            f"UPDATE contents SET hidden = false, updated_at = %s WHERE id = %s RETURNING {COLUMNS}", (at, content_id)
        )
        assert row is not None
        return row

    def record_hiding(self, values: Mapping[str, Any]) -> dict:
        """One line of the item's audit of hidings (``action`` hide or unhide, ``cause`` reports or
        moderator, the moderator's ``reason`` and ``by``)."""
        row = self.tx.fetchone(
            "INSERT INTO hidings (id, content_id, action, cause, reason, by, at) VALUES (%(id)s, %(content_id)s,"
            f" %(action)s, %(cause)s, %(reason)s, %(by)s, %(at)s) RETURNING {HIDING_COLUMNS}",
            values,
        )
        assert row is not None
        return row

    def hidings(self, content_id: str, limit: int, after: Sequence[Any] | None) -> list[dict]:
        """A page of the item's hidings, newest first (keyset on at, id)."""
        return self._newest_first("hidings", HIDING_COLUMNS, "content_id", content_id, limit, after)

    def _newest_first(
        self, table: str, columns: str, owner: str, key: str, limit: int, after: Sequence[Any] | None
    ) -> list[dict]:
        """A page of ``table``'s rows whose ``owner`` column is ``key``, newest first (keyset on at, id)."""
        where = f"{owner} = %(key)s"
        if after:
            where += " AND (at, id) < (%(after_at)s::timestamptz, %(after_id)s::uuid)"
        return self.tx.fetchall(
            f"SELECT {columns} FROM {table} WHERE {where} ORDER BY at DESC, id DESC LIMIT %(limit)s",
            {
                "key": key,
                "after_at": after[0] if after else None,
                "after_id": after[1] if after else None,
                "limit": limit,
            },
        )

    def set_locked(self, content_id: str, locked: bool, at: datetime) -> dict:
        row = self.tx.fetchone(
            f"UPDATE contents SET locked = %s, updated_at = %s WHERE id = %s RETURNING {COLUMNS}",
            (locked, at, content_id),
        )
        assert row is not None
        return row

    # -- settings and crisis mode --------------------------------------------------------------------

    def report_threshold(self, community_id: str, default: int) -> int:
        row = self.tx.fetchone(
            "SELECT report_threshold FROM moderation_settings WHERE community_id = %s", (community_id,)
        )
        return default if row is None else row["report_threshold"]

    def set_report_threshold(self, community_id: str, threshold: int) -> None:
        self.tx.execute(
            "INSERT INTO moderation_settings (community_id, report_threshold) VALUES (%s, %s)"
            " ON CONFLICT (community_id) DO UPDATE SET report_threshold = EXCLUDED.report_threshold",
            (community_id, threshold),
        )

    def crisis(self, space_id: str) -> dict | None:
        """The space's crisis mode row (``crisis``, ``slow_seconds``...), or ``None`` if never set."""
        return self.tx.fetchone(
            "SELECT space_id, community_id, crisis, slow_seconds, changed_by, changed_at FROM space_moderation"
            " WHERE space_id = %s",
            (space_id,),
        )

    def set_crisis(self, values: Mapping[str, Any]) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO space_moderation (space_id, community_id, crisis, slow_seconds, changed_by, changed_at)"
            " VALUES (%(space_id)s, %(community_id)s, %(crisis)s, %(slow_seconds)s, %(changed_by)s, %(at)s)"
            " ON CONFLICT (space_id) DO UPDATE SET crisis = EXCLUDED.crisis, slow_seconds = EXCLUDED.slow_seconds,"
            " changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at"
            " RETURNING space_id, community_id, crisis, slow_seconds, changed_by, changed_at",
            values,
        )
        assert row is not None
        return row

    def last_post(self, space_id: str, user_id: str) -> datetime | None:
        """When the user last wrote an item or a comment in the space."""
        row = self.tx.fetchone(
            "SELECT greatest((SELECT max(created_at) FROM contents WHERE space_id = %(space)s"
            " AND author_id = %(user)s), (SELECT max(m.created_at) FROM comments m JOIN contents c"
            " ON c.id = m.content_id WHERE c.space_id = %(space)s AND m.author_id = %(user)s)) AS at",
            {"space": space_id, "user": user_id},
        )
        return None if row is None else row["at"]

    # -- sanctions -----------------------------------------------------------------------------------

    def insert_sanction(self, values: Mapping[str, Any]) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO sanctions (id, community_id, user_id, kind, reason, until, by, at) VALUES (%(id)s,"
            " %(community_id)s, %(user_id)s, %(kind)s, %(reason)s, %(until)s, %(by)s, %(at)s)"
            f" RETURNING {SANCTION_COLUMNS}",
            values,
        )
        assert row is not None
        return row

    def muted_until(self, community_id: str, user_id: str, now: datetime) -> datetime | None:
        """The end of the user's longest mute in force in the community, or ``None``."""
        row = self.tx.fetchone(
            "SELECT max(until) AS until FROM sanctions WHERE community_id = %s AND user_id = %s"
            " AND kind = 'mute' AND until > %s",
            (community_id, user_id, now),
        )
        return None if row is None else row["until"]

    def sanctions(self, community_id: str, limit: int, after: Sequence[Any] | None) -> list[dict]:
        """A page of the community's sanctions, newest first (keyset on at, id)."""
        return self._newest_first("sanctions", SANCTION_COLUMNS, "community_id", community_id, limit, after)
