"""SQL on the publishing service's content items, their revisions and their transitions
(``migrations/0001_contents.sql``). One ``ContentStorage`` per worker, on its transaction; rows come
back as dicts; times are passed in by the caller.

Every read of items takes the caller's visibility condition (``visibility.Reader``: SQL and its
``v_*`` parameters) and applies it inside the query: what one may not read is never fetched. A
change locks the item first (``SELECT ... FOR UPDATE``), then decides, then writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg2.extras import Json

from kernel.access.readmodel import VERSION_COLUMN
from kernel.db import Transaction

COLUMNS = (
    "id, community_id, space_id, type, parent_id, author_id, title, body, body_html, fields, knowledge_level,"
    " state, step, revision, publish_at, published_at, hidden, created_at, updated_at, accepted_answer_id, by_expert,"
    " locked"
)
#: the beginning of an item's Markdown body a feed shows (the whole item: ``GET /v1/contents/{id}``)
EXCERPT_LENGTH = 280
#: what a feed reads of an item: no body, its excerpt
FEED_COLUMNS = (
    "c.id, c.community_id, c.space_id, c.type, c.parent_id, c.author_id, c.title,"
    f" left(c.body, {EXCERPT_LENGTH}) AS excerpt, length(c.body) > {EXCERPT_LENGTH} AS truncated, c.fields,"
    " c.knowledge_level, c.state, c.step, c.revision, c.publish_at, c.published_at, c.updated_at,"
    " c.accepted_answer_id, c.by_expert, c.locked"
)
#: the columns ``update`` writes
UPDATABLE = (
    "title",
    "body",
    "body_html",
    "fields",
    "knowledge_level",
    "state",
    "step",
    "revision",
    "publish_at",
    "published_at",
    "accepted_answer_id",
)
Condition = tuple[str, Mapping[str, Any]]


def _columns(alias: str) -> str:
    return ", ".join(f"{alias}.{name.strip()}" for name in COLUMNS.split(","))


class ContentStorage:
    def __init__(self, tx: Transaction):
        self.tx = tx

    # -- items -------------------------------------------------------------------------------------

    def insert(self, values: Mapping[str, Any]) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO contents (id, community_id, space_id, type, parent_id, author_id, title, body, body_html,"
            " fields, knowledge_level, state, step, revision, publish_at, created_at, updated_at, by_expert)"
            " VALUES (%(id)s, %(community_id)s, %(space_id)s, %(type)s, %(parent_id)s, %(author_id)s, %(title)s,"
            " %(body)s, %(body_html)s, %(fields)s, %(knowledge_level)s, 'draft', NULL, 1, %(publish_at)s,"
            f" %(at)s, %(at)s, %(by_expert)s) RETURNING {COLUMNS}",
            {"by_expert": False, **values, "fields": Json(values["fields"])},
        )
        assert row is not None
        return row

    def place_of(self, content_id: str) -> dict | None:
        """The item's community and space (to build the caller's visibility before reading it)."""
        return self.tx.fetchone("SELECT community_id, space_id FROM contents WHERE id = %s", (content_id,))

    def level_of(self, content_id: str) -> str:
        """An item's knowledge level (a child is never more widely readable than its parent)."""
        found = self.tx.fetchone("SELECT knowledge_level FROM contents WHERE id = %s", (content_id,))
        return "public" if found is None else found["knowledge_level"]

    def item(self, content_id: str, visible: Condition, lock: bool = False) -> dict | None:
        """The item if the condition lets the caller read it (locked for this transaction with ``lock``)."""
        sql, params = visible
        return self.tx.fetchone(
            f"SELECT {_columns('c')} FROM contents c WHERE c.id = %(content_id)s AND {sql}"
            + (" FOR UPDATE OF c" if lock else ""),
            {**params, "content_id": content_id},
        )

    def update(self, content_id: str, values: Mapping[str, Any], at: datetime) -> dict:
        """Write ``values`` (columns of ``UPDATABLE``) and ``updated_at``; returns the row."""
        names = [name for name in UPDATABLE if name in values]
        assignments = "".join(f"{name} = %({name})s, " for name in names)
        row = self.tx.fetchone(
            f"UPDATE contents SET {assignments}updated_at = %(at)s WHERE id = %(id)s RETURNING {COLUMNS}",
            {
                **{name: Json(values[name]) if name == "fields" else values[name] for name in names},
                "id": content_id,
                "at": at,
            },
        )
        assert row is not None
        return row

    # -- revisions ---------------------------------------------------------------------------------

    def insert_revision(self, content_id: str, number: int, version: Mapping[str, Any], author_id: str, at) -> None:
        self.tx.execute(
            "INSERT INTO content_revisions (content_id, number, title, body, fields, author_id, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (content_id, number, version["title"], version["body"], Json(version["fields"]), author_id, at),
        )

    def revision(self, content_id: str, number: int) -> dict | None:
        return self.tx.fetchone(
            "SELECT number, title, body, fields, author_id, created_at FROM content_revisions"
            " WHERE content_id = %s AND number = %s",
            (content_id, number),
        )

    def revisions(self, content_id: str, limit: int, before: int | None) -> list[dict]:
        """A page of the item's revisions, newest first (keyset on ``number``)."""
        older = "" if before is None else " AND number < %(before)s"
        return self.tx.fetchall(
            "SELECT number, title, body, fields, author_id, created_at FROM content_revisions"
            f" WHERE content_id = %(content_id)s{older} ORDER BY number DESC LIMIT %(limit)s",
            {"content_id": content_id, "before": before, "limit": limit},
        )

    # -- transitions -------------------------------------------------------------------------------

    def record_transition(
        self,
        content_id: str,
        from_state: str | None,
        to_state: str,
        step: str | None,
        actor_id: str | None,
        reason: str | None,
        at: datetime,
    ) -> None:
        self.tx.execute(
            "INSERT INTO content_transitions (content_id, from_state, to_state, step, actor_id, reason, at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (content_id, from_state, to_state, step, actor_id, reason, at),
        )

    def history(self, content_id: str, visible: Condition) -> list[dict]:
        """The item's transitions, oldest first — only if the caller reads the item."""
        sql, params = visible
        return self.tx.fetchall(
            "SELECT t.from_state, t.to_state, t.step, t.actor_id, t.reason, t.at FROM content_transitions t"
            f" JOIN contents c ON c.id = t.content_id WHERE t.content_id = %(content_id)s AND {sql}"
            " ORDER BY t.id",
            {**params, "content_id": content_id},
        )

    # -- lists -------------------------------------------------------------------------------------

    def feed(
        self, scope: str, scope_ids: Sequence[str], visible: Condition, limit: int, after: Sequence[str] | None
    ) -> list[dict]:
        """Published items of some spaces (``scope="space"``) or communities (``"community"``) the
        caller reads (``visible``: a ``Reader.published`` condition), newest first, as a feed shows
        them (``FEED_COLUMNS``, and the access read model's version they were read at:
        ``Visibility.read``): keyset on (published_at, id) over the partial feed indexes. A
        transaction of its own when it is the worker's first statement."""
        column = {"space": "space_id", "community": "community_id"}[scope]
        sql, params = visible
        ids = list(scope_ids)
        where = f"c.{column} = %(scope)s::uuid" if len(ids) == 1 else f"c.{column} = ANY(%(scope)s::uuid[])"
        if after:
            where += " AND (c.published_at, c.id) < (%(after_at)s::timestamptz, %(after_id)s::uuid)"
        return self.tx.fetchall_alone(
            f"SELECT {FEED_COLUMNS}, {VERSION_COLUMN} FROM contents c WHERE {where} AND {sql}"
            " ORDER BY c.published_at DESC, c.id DESC LIMIT %(limit)s",
            {
                **params,
                "scope": ids[0] if len(ids) == 1 else ids,
                "after_at": after[0] if after else None,
                "after_id": after[1] if after else None,
                "limit": limit,
            },
        )

    def waiting(self, community_id: str, visible: Condition, limit: int, after: Sequence[str] | None) -> list[dict]:
        """Items of the community waiting for a decision the condition says the caller may take,
        oldest first: keyset on (updated_at, id) over ``contents_waiting``."""
        sql, params = visible
        where = "c.community_id = %(community_id)s AND c.state IN ('submitted', 'in_review')"
        if after:
            where += " AND (c.updated_at, c.id) > (%(after_at)s::timestamptz, %(after_id)s::uuid)"
        return self.tx.fetchall(
            f"SELECT {_columns('c')} FROM contents c WHERE {where} AND {sql} ORDER BY c.updated_at, c.id"
            " LIMIT %(limit)s",
            {
                **params,
                "community_id": community_id,
                "after_at": after[0] if after else None,
                "after_id": after[1] if after else None,
                "limit": limit,
            },
        )

    def due(self, now: datetime, limit: int) -> list[dict]:
        """Approved items whose ``publish_at`` has come, in a place that is not read-only, locked;
        rows another worker holds are skipped (it is publishing them)."""
        return self.tx.fetchall(
            f"SELECT {_columns('c')} FROM contents c"
            " JOIN access_spaces s ON s.space_id = c.space_id"
            " JOIN access_communities ac ON ac.community_id = c.community_id"
            " WHERE c.state = 'approved' AND c.publish_at IS NOT NULL AND c.publish_at <= %s"
            " AND NOT s.archived AND ac.state <> 'archived'"
            " ORDER BY c.publish_at, c.id LIMIT %s FOR UPDATE OF c SKIP LOCKED",
            (now, limit),
        )


COMMENT_COLUMNS = "m.id, m.content_id, m.parent_id, m.author_id, m.body, m.body_html, m.created_at"


class DiscussionStorage:
    """SQL on comments and reactions (``migrations/0002_discussion.sql``). Every read joins the item
    (alias ``c``) and applies the caller's condition: a comment or a count of an item one may not
    read is never fetched."""

    def __init__(self, tx: Transaction):
        self.tx = tx

    def insert_comment(self, values: Mapping[str, Any]) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO comments AS m (id, content_id, parent_id, author_id, body, body_html, created_at)"
            " VALUES (%(id)s, %(content_id)s, %(parent_id)s, %(author_id)s, %(body)s, %(body_html)s, %(at)s)"
            f" RETURNING {COMMENT_COLUMNS}",
            values,
        )
        assert row is not None
        return row

    def comment(self, comment_id: str, content_id: str) -> dict | None:
        """A visible comment of the item (a reply's parent)."""
        return self.tx.fetchone(
            f"SELECT {COMMENT_COLUMNS} FROM comments m WHERE m.id = %s AND m.content_id = %s AND NOT m.hidden",
            (comment_id, content_id),
        )

    def comments(self, content_id: str, visible: Condition, limit: int, after: Sequence[str] | None) -> list[dict]:
        """A page of the item's visible comments, oldest first (keyset on created_at, id), if the
        condition lets the caller read the item."""
        sql, params = visible
        where = "m.content_id = %(content_id)s AND NOT m.hidden"
        if after:
            where += " AND (m.created_at, m.id) > (%(after_at)s::timestamptz, %(after_id)s::uuid)"
        return self.tx.fetchall(
            f"SELECT {COMMENT_COLUMNS} FROM comments m JOIN contents c ON c.id = m.content_id"
            f" WHERE {where} AND {sql} ORDER BY m.created_at, m.id LIMIT %(limit)s",
            {
                **params,
                "content_id": content_id,
                "after_at": after[0] if after else None,
                "after_id": after[1] if after else None,
                "limit": limit,
            },
        )

    def add_reaction(self, content_id: str, user_id: str, reaction: str, at: datetime) -> bool:
        """Whether the reaction is new (adding it again changes nothing)."""
        row = self.tx.fetchone(
            "INSERT INTO reactions (content_id, user_id, reaction, created_at) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING reaction",
            (content_id, user_id, reaction, at),
        )
        return row is not None

    def reactions(self, content_id: str, visible: Condition, user_id: str | None = None) -> tuple[dict, list[str]]:
        """The item's reaction counts and those of ``user_id``, if the condition lets the caller read it."""
        sql, params = visible
        rows = self.tx.fetchall(
            "SELECT r.reaction, count(*) AS n, bool_or(r.user_id = %(me)s::uuid) AS mine FROM reactions r"
            f" JOIN contents c ON c.id = r.content_id WHERE r.content_id = %(content_id)s AND {sql}"
            " GROUP BY r.reaction ORDER BY r.reaction",
            {**params, "content_id": content_id, "me": user_id},
        )
        return {row["reaction"]: row["n"] for row in rows}, [row["reaction"] for row in rows if row["mine"]]

    def summary(self, content_id: str, course: bool = False) -> dict:
        """What an item's view shows of its discussion: ``reactions`` (counts) and ``comments_count``
        (of an item the caller was already found to read); with ``course``, ``registrations_count``."""
        registrations = (
            "(SELECT count(*) FROM course_registrations WHERE course_id = %(id)s)" if course else "NULL::bigint"
        )
        row = self.tx.fetchone(
            "SELECT (SELECT count(*) FROM comments WHERE content_id = %(id)s AND NOT hidden) AS comments_count,"
            " (SELECT coalesce(jsonb_object_agg(reaction, n), '{}') FROM (SELECT reaction, count(*) AS n"
            f" FROM reactions WHERE content_id = %(id)s GROUP BY reaction) r) AS reactions,"
            f" {registrations} AS registrations_count",
            {"id": content_id},
        )
        assert row is not None
        found = {"comments_count": row["comments_count"], "reactions": dict(row["reactions"])}
        if course:
            found["registrations_count"] = row["registrations_count"]
        return found


REGISTRATION_COLUMNS = "course_id, user_id, registered_at, completed_at, completed_by"


class CourseStorage:
    """SQL on course registrations and completions (``migrations/0005_courses.sql``), of a course the
    caller was already found to read and locked (``ContentStorage.item``)."""

    def __init__(self, tx: Transaction):
        self.tx = tx

    def registration(self, course_id: str, user_id: str) -> dict | None:
        return self.tx.fetchone(
            f"SELECT {REGISTRATION_COLUMNS} FROM course_registrations WHERE course_id = %s AND user_id = %s",
            (course_id, user_id),
        )

    def count(self, course_id: str) -> int:
        row = self.tx.fetchone("SELECT count(*) AS n FROM course_registrations WHERE course_id = %s", (course_id,))
        assert row is not None
        return int(row["n"])

    def register(self, course_id: str, user_id: str, at: datetime) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO course_registrations (course_id, user_id, registered_at) VALUES (%s, %s, %s)"
            f" RETURNING {REGISTRATION_COLUMNS}",
            (course_id, user_id, at),
        )
        assert row is not None
        return row

    def complete(self, course_id: str, user_id: str, by: str, at: datetime) -> dict | None:
        """The registration marked completed; None when it already was (nothing changes)."""
        return self.tx.fetchone(
            "UPDATE course_registrations SET completed_at = %s, completed_by = %s"
            " WHERE course_id = %s AND user_id = %s AND completed_at IS NULL"
            f" RETURNING {REGISTRATION_COLUMNS}",
            (at, by, course_id, user_id),
        )

    def registrations(self, course_id: str, limit: int, after: Sequence[Any] | None) -> list[dict]:
        """A page of the course's registrations, oldest first (keyset on registered_at, user_id)."""
        where = "course_id = %(course_id)s"
        if after:
            where += " AND (registered_at, user_id) > (%(after_at)s::timestamptz, %(after_id)s::uuid)"
        return self.tx.fetchall(
            f"SELECT {REGISTRATION_COLUMNS} FROM course_registrations WHERE {where}"
            " ORDER BY registered_at, user_id LIMIT %(limit)s",
            {
                "course_id": course_id,
                "after_at": after[0] if after else None,
                "after_id": after[1] if after else None,
                "limit": limit,
            },
        )


class ErasureStorage:
    """What an erased account leaves in publishing: its contributions stay, by an anonymous author
    (``author_id``/``reporter_id`` null); its reactions and course registrations are deleted. Each
    statement matches nothing the second time, so applying it again changes nothing."""

    def __init__(self, tx: Transaction):
        self.tx = tx

    def anonymize(self, user_id: str) -> None:
        for table in ("contents", "content_revisions", "comments"):
            self.tx.execute(f"UPDATE {table} SET author_id = NULL WHERE author_id = %s", (user_id,))
        self.tx.execute("DELETE FROM reactions WHERE user_id = %s", (user_id,))
        self.tx.execute("DELETE FROM course_registrations WHERE user_id = %s", (user_id,))
        self.tx.execute("UPDATE course_registrations SET completed_by = NULL WHERE completed_by = %s", (user_id,))
        self.tx.execute("UPDATE reports SET reporter_id = NULL WHERE reporter_id = %s", (user_id,))
        self.tx.execute("UPDATE content_transitions SET actor_id = NULL WHERE actor_id = %s", (user_id,))
        self.tx.execute("DELETE FROM sanctions WHERE user_id = %s", (user_id,))  # about them: personal data
        self.tx.execute("UPDATE sanctions SET by = NULL WHERE by = %s", (user_id,))
        self.tx.execute("UPDATE hidings SET by = NULL WHERE by = %s", (user_id,))
        self.tx.execute("UPDATE space_moderation SET changed_by = NULL WHERE changed_by = %s", (user_id,))
