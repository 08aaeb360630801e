"""SQL on the spaces service's communities, their change log, review validations, pilot feedback
and the space tree. One ``SpacesStorage`` per worker, on its transaction; rows come back as dicts;
times are passed in by the caller.

Every mutation starts with ``lock_community`` (``SELECT ... FOR UPDATE`` on the community row),
before ``Facts.record`` takes a revision: changes to one community, and the revisions of their
events, follow the order in which they commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg2
from psycopg2 import errorcodes
from psycopg2.extras import Json

from kernel import errors
from kernel.db import Transaction

COMMUNITY_COLUMNS = (
    "id, slug, name, description, languages, kind, state, charter, matrix, modules, created_by,"
    " created_at, updated_at, state_changed_at"
)
SPACE_COLUMNS = (
    "id, community_id, parent_id, name, slug, description, visibility, matrix, modules, own_members, validation,"
    " archived_at, created_by, created_at, updated_at"
)
SPACE_MEMBER_COLUMNS = "space_id, user_id, role, added_by, added_at"
#: community fields ``update_community`` writes (JSON ones are wrapped)
UPDATABLE = ("name", "slug", "description", "languages", "charter", "matrix", "modules")
SPACE_UPDATABLE = (
    "name",
    "slug",
    "description",
    "visibility",
    "own_members",
    "matrix",
    "modules",
    "parent_id",
    "validation",
)
JSON_FIELDS = ("charter", "matrix", "validation")


def _value(name: str, value: Any) -> Any:
    return Json(value) if name in JSON_FIELDS and value is not None else value


def _slug_taken(what: str) -> errors.Conflict:
    return errors.Conflict(f"Another {what} has this slug.", code="slug-taken")


class SpacesStorage:
    def __init__(self, tx: Transaction):
        self.tx = tx

    # -- communities -----------------------------------------------------------------------------

    def insert_community(self, values: Mapping[str, Any], now: datetime) -> dict | None:
        """The new community, or ``None`` when its slug (whatever its case) is taken."""
        return self.tx.fetchone(
            "INSERT INTO communities (id, slug, name, description, languages, kind, charter, matrix, modules,"
            " created_by, created_at, updated_at, state_changed_at)"
            " VALUES (%(id)s, %(slug)s, %(name)s, %(description)s, %(languages)s, %(kind)s, %(charter)s,"
            " %(matrix)s, %(modules)s, %(created_by)s, %(now)s, %(now)s, %(now)s)"
            f" ON CONFLICT ((lower(slug))) DO NOTHING RETURNING {COMMUNITY_COLUMNS}",
            {**values, "charter": Json(values["charter"]), "matrix": Json(values["matrix"]), "now": now},
        )

    def community(self, community_id: str) -> dict | None:
        return self.tx.fetchone(f"SELECT {COMMUNITY_COLUMNS} FROM communities WHERE id = %s", (community_id,))

    def lock_community(self, community_id: str) -> dict | None:
        """The community row, locked until the transaction ends."""
        return self.tx.fetchone(
            f"SELECT {COMMUNITY_COLUMNS} FROM communities WHERE id = %s FOR UPDATE", (community_id,)
        )

    def lock_community_of_space(self, space_id: str) -> dict | None:
        """The row of the space's community, locked (every change to a space locks its community)."""
        return self.tx.fetchone(
            f"SELECT {', '.join('c.' + c.strip() for c in COMMUNITY_COLUMNS.split(','))}"
            " FROM communities c JOIN spaces s ON s.community_id = c.id WHERE s.id = %s FOR UPDATE OF c",
            (space_id,),
        )

    def update_community(self, community_id: str, values: Mapping[str, Any], now: datetime) -> dict:
        """Write ``values`` (fields of ``UPDATABLE``) and ``updated_at``; returns the row. A slug
        another community has (whatever its case) is Conflict ``slug-taken``."""
        names = [name for name in UPDATABLE if name in values]
        assignments = ", ".join(f"{name} = %({name})s" for name in names)
        try:
            row = self.tx.fetchone(
                f"UPDATE communities SET {assignments}{', ' if names else ''}updated_at = %(now)s"
                f" WHERE id = %(id)s RETURNING {COMMUNITY_COLUMNS}",
                {**{name: _value(name, values[name]) for name in names}, "id": community_id, "now": now},
            )
        except psycopg2.IntegrityError as exc:  # the transaction is lost: the caller's Conflict rolls it back
            if exc.pgcode == errorcodes.UNIQUE_VIOLATION:
                raise _slug_taken("community") from None
            raise
        assert row is not None
        return row

    def set_state(self, community_id: str, state: str, now: datetime) -> dict:
        row = self.tx.fetchone(
            "UPDATE communities SET state = %s, state_changed_at = %s, updated_at = %s"
            f" WHERE id = %s RETURNING {COMMUNITY_COLUMNS}",
            (state, now, now, community_id),
        )
        assert row is not None
        return row

    def visible_communities(
        self, user_id: str | None, limit: int, after: Sequence[str] | None, kind: str | None, member_only: bool
    ) -> list[dict]:
        """A page (``limit`` rows) of the communities the user sees, by (created_at, id), read
        from the access read model with ``kernel.access.rules.community_visible``'s rules: members
        see theirs in any state; ``live`` and ``archived`` ones are open to signed-in users who are
        not banned there, and to anyone else when they have a public root space."""
        params: dict[str, Any] = {"user_id": user_id, "signed_in": user_id is not None, "limit": limit}
        conditions = [
            "((m.role IS NOT NULL AND NOT m.banned) OR (a.state IN ('live', 'archived') AND ("
            "(%(signed_in)s AND NOT coalesce(m.banned, false)) OR EXISTS (SELECT 1 FROM access_spaces s"
            " WHERE s.community_id = c.id AND s.parent_id IS NULL AND s.visibility = 'public'))))"
        ]
        if kind is not None:
            conditions.append("c.kind = %(kind)s")
            params["kind"] = kind
        if member_only:
            conditions.append("m.role IS NOT NULL AND NOT m.banned")
        if after is not None:
            conditions.append("(c.created_at, c.id) > (%(after_at)s::timestamptz, %(after_id)s::uuid)")
            params.update(after_at=after[0], after_id=after[1])
        columns = ", ".join("c." + column.strip() for column in COMMUNITY_COLUMNS.split(","))
        return self.tx.fetchall(
            f"SELECT {columns} FROM communities c JOIN access_communities a ON a.community_id = c.id"
            " LEFT JOIN access_members m ON m.community_id = c.id AND m.user_id = %(user_id)s"
            f" WHERE {' AND '.join(conditions)} ORDER BY c.created_at, c.id LIMIT %(limit)s",
            params,
        )

    # -- change log, review, feedback -----------------------------------------------------------

    def log_change(
        self, community_id: str, section: str, setting: str, before: Any, after: Any, by: str | None, now: datetime
    ) -> None:
        self.tx.execute(
            "INSERT INTO community_changes (community_id, section, setting, before, after, changed_by, changed_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (community_id, section, setting, Json(before), Json(after), by, now),
        )

    def changes(self, community_id: str, limit: int, after: int | None) -> list[dict]:
        return self.tx.fetchall(
            "SELECT id, community_id, section, setting, before, after, changed_by, changed_at"
            " FROM community_changes WHERE community_id = %s AND id > %s ORDER BY id LIMIT %s",
            (community_id, after or 0, limit),
        )

    def validations(self, community_id: str) -> list[dict]:
        return self.tx.fetchall(
            "SELECT section, validated_by, validated_at FROM community_validations WHERE community_id = %s",
            (community_id,),
        )

    def validate(self, community_id: str, section: str, by: str, now: datetime) -> None:
        self.tx.execute(
            "INSERT INTO community_validations (community_id, section, validated_by, validated_at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (community_id, section)"
            " DO UPDATE SET validated_by = EXCLUDED.validated_by, validated_at = EXCLUDED.validated_at",
            (community_id, section, by, now),
        )

    def clear_validations(self, community_id: str, sections: Collection[str]) -> None:
        if sections:
            self.tx.execute(
                "DELETE FROM community_validations WHERE community_id = %s AND section = ANY(%s)",
                (community_id, list(sections)),
            )

    def insert_feedback(self, values: Mapping[str, Any]) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO pilot_feedback (id, community_id, user_id, message, rating, created_at)"
            " VALUES (%(id)s, %(community_id)s, %(user_id)s, %(message)s, %(rating)s, %(created_at)s)"
            " RETURNING id, community_id, user_id, message, rating, created_at",
            values,
        )
        assert row is not None
        return row

    def feedback(self, community_id: str, limit: int, after: Sequence[str] | None) -> list[dict]:
        keyset = " AND (created_at, id) > (%s::timestamptz, %s::uuid)" if after else ""
        return self.tx.fetchall(
            "SELECT id, community_id, user_id, message, rating, created_at FROM pilot_feedback"
            f" WHERE community_id = %s{keyset} ORDER BY created_at, id LIMIT %s",
            (community_id, *(after or ()), limit),
        )

    # -- members (the creator; the membership entrypoints own the rest) -------------------------

    def insert_member(self, community_id: str, user_id: str, role: str, via: str, now: datetime) -> None:
        self.tx.execute(
            "INSERT INTO members (community_id, user_id, role, via, joined_at) VALUES (%s, %s, %s, %s, %s)",
            (community_id, user_id, role, via, now),
        )

    def role_holders(self, community_id: str) -> dict[str, int]:
        """How many hold each role, in the community or in one of its spaces."""
        rows = self.tx.fetchall(
            "SELECT role, count(*) AS n FROM (SELECT role FROM members WHERE community_id = %(c)s UNION ALL"
            " SELECT sm.role FROM space_members sm JOIN spaces s ON s.id = sm.space_id WHERE s.community_id = %(c)s)"
            " AS held GROUP BY role",
            {"c": community_id},
        )
        return {row["role"]: int(row["n"]) for row in rows}

    def member_count(self, community_id: str) -> int:
        row = self.tx.fetchone("SELECT count(*) AS n FROM members WHERE community_id = %s", (community_id,))
        return int(row["n"]) if row else 0

    def is_member(self, community_id: str, user_id: str) -> bool:
        row = self.tx.fetchone(
            "SELECT 1 AS found FROM members WHERE community_id = %s AND user_id = %s", (community_id, user_id)
        )
        return row is not None

    # -- members of spaces that keep their own -----------------------------------------------------

    def space_member(self, space_id: str, user_id: str) -> dict | None:
        return self.tx.fetchone(
            f"SELECT {SPACE_MEMBER_COLUMNS} FROM space_members WHERE space_id = %s AND user_id = %s",
            (space_id, user_id),
        )

    def put_space_member(self, space_id: str, user_id: str, role: str, by: str, at: datetime) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO space_members (space_id, user_id, role, added_by, added_at) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (space_id, user_id) DO UPDATE SET role = EXCLUDED.role"
            f" RETURNING {SPACE_MEMBER_COLUMNS}",
            (space_id, user_id, role, by, at),
        )
        assert row is not None
        return row

    def delete_space_member(self, space_id: str, user_id: str) -> bool:
        return bool(
            self.tx.execute("DELETE FROM space_members WHERE space_id = %s AND user_id = %s", (space_id, user_id))
        )

    def space_members_page(self, space_id: str, limit: int, after: Sequence[Any] | None) -> list[dict]:
        """``limit + 1`` members of the space after ``(added_at, user_id)`` (``space_members_listing``)."""
        keyset = " AND (added_at, user_id) > (%s::timestamptz, %s::uuid)" if after else ""
        return self.tx.fetchall(
            f"SELECT {SPACE_MEMBER_COLUMNS} FROM space_members WHERE space_id = %s{keyset}"
            " ORDER BY added_at, user_id LIMIT %s",
            (space_id, *(after or ()), limit + 1),
        )

    # -- spaces ----------------------------------------------------------------------------------

    def insert_space(self, values: Mapping[str, Any], now: datetime) -> dict | None:
        """The new space, or ``None`` when its slug (whatever its case) is taken in the community."""
        matrix = values.get("matrix")
        return self.tx.fetchone(
            "INSERT INTO spaces (id, community_id, parent_id, name, slug, description, visibility, matrix, modules,"
            " created_by, created_at, updated_at)"
            " VALUES (%(id)s, %(community_id)s, %(parent_id)s, %(name)s, %(slug)s, %(description)s, %(visibility)s,"
            " %(matrix)s, %(modules)s, %(created_by)s, %(now)s, %(now)s)"
            f" ON CONFLICT (community_id, (lower(slug))) DO NOTHING RETURNING {SPACE_COLUMNS}",
            {**values, "matrix": None if matrix is None else Json(matrix), "now": now},
        )

    def space(self, space_id: str) -> dict | None:
        return self.tx.fetchone(f"SELECT {SPACE_COLUMNS} FROM spaces WHERE id = %s", (space_id,))

    def update_space(self, space_id: str, values: Mapping[str, Any], now: datetime) -> dict:
        names = [name for name in SPACE_UPDATABLE if name in values]
        assignments = "".join(f"{name} = %({name})s, " for name in names)
        try:
            row = self.tx.fetchone(
                f"UPDATE spaces SET {assignments}updated_at = %(now)s WHERE id = %(id)s RETURNING {SPACE_COLUMNS}",
                {**{name: _value(name, values[name]) for name in names}, "id": space_id, "now": now},
            )
        except psycopg2.IntegrityError as exc:  # the transaction is lost: the caller's Conflict rolls it back
            if exc.pgcode == errorcodes.UNIQUE_VIOLATION:
                raise _slug_taken("space of this community") from None
            raise
        assert row is not None
        return row

    def validations_of(self, community_id: str) -> list[dict]:
        """The validation policies the community's spaces set on their own."""
        rows = self.tx.fetchall(
            "SELECT validation FROM spaces WHERE community_id = %s AND validation IS NOT NULL", (community_id,)
        )
        return [row["validation"] for row in rows]

    def spaces_page(self, community_id: str, ids: Collection[str], limit: int, after: Sequence[str] | None) -> list:
        """A page of the community's spaces among ``ids`` (those the caller may read), by (created_at, id)."""
        keyset = " AND (created_at, id) > (%s::timestamptz, %s::uuid)" if after else ""
        return self.tx.fetchall(
            f"SELECT {SPACE_COLUMNS} FROM spaces WHERE community_id = %s AND id = ANY(%s::uuid[]){keyset}"
            " ORDER BY created_at, id LIMIT %s",
            (community_id, list(ids), *(after or ()), limit),
        )

    def parents(self, community_id: str) -> dict[str, str | None]:
        """Each space of the community and its parent."""
        rows = self.tx.fetchall("SELECT id, parent_id FROM spaces WHERE community_id = %s", (community_id,))
        return {str(row["id"]): None if row["parent_id"] is None else str(row["parent_id"]) for row in rows}

    def subtree(self, space_id: str) -> list[str]:
        """The space and every space under it, parents before children."""
        rows = self.tx.fetchall(
            "WITH RECURSIVE tree AS ("
            " SELECT id, 0 AS depth FROM spaces WHERE id = %s"
            " UNION ALL SELECT s.id, tree.depth + 1 FROM spaces s JOIN tree ON s.parent_id = tree.id"
            " WHERE tree.depth < 100)"
            " SELECT id FROM tree ORDER BY depth, id",
            (space_id,),
        )
        return [str(row["id"]) for row in rows]

    def archive_spaces(self, space_ids: Collection[str], now: datetime) -> None:
        self.tx.execute(
            "UPDATE spaces SET archived_at = %s, updated_at = %s WHERE id = ANY(%s::uuid[]) AND archived_at IS NULL",
            (now, now, list(space_ids)),
        )

    def overrides(self, community_id: str) -> list[dict]:
        """The spaces of the community with a matrix of their own."""
        return self.tx.fetchall(
            "SELECT id, matrix FROM spaces WHERE community_id = %s AND matrix IS NOT NULL ORDER BY id", (community_id,)
        )
