"""The local read model of who may do what, and the one question every service asks of it.

```python
from kernel.access.readmodel import may

if not may(self.db, actor, "post", space_id):
    raise errors.NotFound(...)        # or PermissionDenied when the space is visible
```

Every service's schema has the ``access_communities``, ``access_spaces``, ``access_members`` and
``access_space_members`` tables (``kernel/sql/0002_access.sql``, ``0003_access_space_members.sql``).
The spaces service writes them in the same transaction as its own tables, by passing each event it
emits to ``project``; every other service keeps them from the same events by inheriting
``AccessProjection`` (an ``on_event`` handler: applied once, in order of revision). A decision is
one SQL query (the space, its ancestors, the community and the user's rows) and the pure rules of
``kernel.access.rules``: no RPC per check.

``actor`` is a ``kernel.auth.Actor``, its ``as_dict()`` form, or ``None`` for an anonymous visitor.

The model has a version (``kernel/sql/0006_access_version.sql``) that moves at the commit of every
change to it: what a process derived from the model holds while the version has not moved
(``version``; ``VERSION_COLUMN`` reads it beside a statement's rows, in the same snapshot).
"""

from __future__ import annotations

import dataclasses
import json
import weakref
from collections.abc import Mapping
from typing import Any

from kernel.access import rules
from kernel.access.rules import CommunityAccess, SpaceAccess, Standing
from kernel.auth import Actor
from kernel.events import catalog
from kernel.events.consumer import on_event
from kernel.inputs import uuid_or_none

# Planning this query costs four times more than running it: it is prepared once per connection
# (``_prepared``) and executed by name. $1: the space, $2: the user (null for an anonymous visitor).
_CHAIN = """
WITH RECURSIVE chain AS (
    SELECT space_id, community_id, parent_id, visibility, archived, matrix, own_members, 0 AS depth
      FROM access_spaces WHERE space_id = $1
    UNION ALL
    SELECT s.space_id, s.community_id, s.parent_id, s.visibility, s.archived, s.matrix, s.own_members,
           chain.depth + 1
      FROM access_spaces s JOIN chain ON s.space_id = chain.parent_id
     WHERE chain.depth < 100
)
SELECT chain.space_id, chain.community_id, chain.parent_id, chain.visibility, chain.archived, chain.matrix,
       chain.own_members, c.state, c.matrix AS community_matrix, m.role, m.banned, sm.role AS space_role
  FROM chain
  JOIN access_communities c ON c.community_id = chain.community_id
  LEFT JOIN access_members m ON m.community_id = chain.community_id AND m.user_id = $2
  LEFT JOIN access_space_members sm ON sm.space_id = chain.space_id AND sm.user_id = $2 AND chain.own_members
 ORDER BY chain.depth DESC
"""
_CHAIN_NAME = "ecommunity_access_chain"
#: a column giving the read model's version in the snapshot of the statement that selects it
VERSION_COLUMN = "(SELECT version FROM access_version) AS access_version"
_prepared: weakref.WeakSet = weakref.WeakSet()  # the connections on which _CHAIN is prepared


def _chain_rows(db, space_id: str, user_id: str | None) -> list[dict]:
    connection = db.connection
    if connection not in _prepared:
        db.execute(f"PREPARE {_CHAIN_NAME} (uuid, uuid) AS {_CHAIN}")
        _prepared.add(connection)
    return db.fetchall(f"EXECUTE {_CHAIN_NAME} (%s, %s)", (space_id, user_id))


def user_id_of(actor: Actor | Mapping[str, Any] | None) -> str | None:
    """The actor's user id, or ``None`` for an anonymous visitor."""
    if actor is None:
        return None
    if isinstance(actor, Actor):
        return actor.user_id
    return actor.get("user_id") or None


class AccessReadModel:
    """Decisions on one transaction's view of the read model (``db``: a ``kernel.db.Transaction``)."""

    def __init__(self, db):
        self.db = db

    def version(self) -> int:
        """The read model's version now (it moves at the commit of every change to the model)."""
        row = self.db.fetchone("SELECT version FROM access_version")
        return 0 if row is None else int(row["version"])

    # -- decisions -----------------------------------------------------------------------------

    def space_permissions(self, actor, space_id) -> frozenset[str] | None:
        """What the actor may do in the space, or ``None`` if it does not exist for them."""
        found = self.space_decision(actor, space_id)
        return None if found is None else found[2]

    def space_decision(self, actor, space_id) -> tuple[SpaceAccess, Standing, frozenset[str]] | None:
        """The space, the actor's standing in its community and their permissions there; ``None``
        when the space does not exist for them (unknown, or hidden by the rules). The space's
        ``archived`` says whether it is read-only: archived itself, under an archived space, or in
        an archived community."""
        space_key = uuid_or_none(space_id)
        if space_key is None:
            return None
        user_id = user_id_of(actor)
        rows = _chain_rows(self.db, space_key, uuid_or_none(user_id))
        if not rows or str(rows[-1]["space_id"]) != space_key or rows[0]["parent_id"] is not None:
            return None  # unknown space, or an ancestor the read model has not received yet
        head = rows[0]
        community = CommunityAccess(
            str(head["community_id"]), head["state"], rules.matrix_of(head["community_matrix"]) or {}
        )
        standing = Standing(signed_in=user_id is not None, role=head["role"], banned=bool(head["banned"]))
        chain = [_space(row) for row in rows]
        space_roles = {str(row["space_id"]): row["space_role"] for row in rows if row["space_role"] is not None}
        view = rules.space_view(community, chain, standing, space_roles)
        if view is None:
            return None
        return dataclasses.replace(chain[-1], archived=view.archived), standing, view.permissions

    def may(self, actor, action: str, space_id) -> bool:
        """Whether the actor may do ``action`` (one of ``rules.PERMISSIONS``) in the space."""
        permissions = self.space_permissions(actor, space_id)
        return permissions is not None and action in permissions

    def community(self, actor, community_id) -> tuple[CommunityAccess, Standing] | None:
        """The community's state, matrix and settings with the actor's standing; ``None`` if the read model
        does not know the community (visibility is the caller's next question: ``community_visible``)."""
        key = uuid_or_none(community_id)
        return None if key is None else self.communities(actor, [key]).get(key)

    def communities(self, actor, community_ids) -> dict[str, tuple[CommunityAccess, Standing]]:
        """``community`` for several communities in one query: those the read model knows, by id."""
        keys = [key for key in (uuid_or_none(c) for c in community_ids) if key is not None]
        if not keys:
            return {}
        return self._communities(
            actor,
            "SELECT c.community_id, c.state, c.matrix, c.settings, m.role, m.banned FROM access_communities c"
            " LEFT JOIN access_members m ON m.community_id = c.community_id AND m.user_id = %s"
            " WHERE c.community_id = ANY(%s::uuid[])",
            keys,
        )

    def my_communities(self, actor) -> dict[str, tuple[CommunityAccess, Standing]]:
        """``community`` for each community where the actor has a role (not banned), in one query."""
        if uuid_or_none(user_id_of(actor)) is None:
            return {}
        return self._communities(
            actor,
            "SELECT c.community_id, c.state, c.matrix, c.settings, m.role, m.banned FROM access_members m"
            " JOIN access_communities c ON c.community_id = m.community_id"
            " WHERE m.user_id = %s AND m.role IS NOT NULL AND NOT m.banned",
        )

    def _communities(self, actor, sql: str, *params: Any) -> dict[str, tuple[CommunityAccess, Standing]]:
        user_id = user_id_of(actor)
        found = {}
        for row in self.db.fetchall(sql, (uuid_or_none(user_id), *params)):
            key = str(row["community_id"])
            community = CommunityAccess(key, row["state"], rules.matrix_of(row["matrix"]) or {}, dict(row["settings"]))
            found[key] = (
                community,
                Standing(signed_in=user_id is not None, role=row["role"], banned=bool(row["banned"])),
            )
        return found

    def community_permissions(self, actor, community_id) -> frozenset[str]:
        """Community-wide permissions (``invite``, ``manage_members``, ``configure``, ...)."""
        found = self.community(actor, community_id)
        return frozenset() if found is None else rules.community_permissions(*found)

    def readable_spaces(self, actor, community_id, found=None) -> dict[str, frozenset[str]]:
        """Every space of the community the actor may see, with their permissions in each
        (``found``: the community and standing when the caller already has them)."""
        return {space_id: view.permissions for space_id, view in self.space_views(actor, community_id, found).items()}

    def space_rows(self, community_ids, actor=None) -> dict[str, list[dict]]:
        """The read model's rows of the communities' spaces, by community, with what other services
        apply to their content (``modules``, ``validation``: null when the space follows its parent)
        and ``space_role``: the actor's role in a space that keeps its own members (rule 6)."""
        keys = [key for key in (uuid_or_none(c) for c in community_ids) if key is not None]
        found: dict[str, list[dict]] = {key: [] for key in keys}
        if keys:
            for row in self.db.fetchall(
                "SELECT s.space_id, s.community_id, s.parent_id, s.visibility, s.archived, s.matrix, s.own_members,"
                " s.modules, s.validation, sm.role AS space_role FROM access_spaces s"
                " LEFT JOIN access_space_members sm ON sm.space_id = s.space_id AND sm.user_id = %s"
                " AND sm.role IS NOT NULL WHERE s.community_id = ANY(%s::uuid[])",
                (uuid_or_none(user_id_of(actor)), keys),
            ):
                found[str(row["community_id"])].append(row)
        return found

    def space_views(self, actor, community_id, found=None, rows=None) -> dict[str, rules.SpaceView]:
        """The actor's view (role, permissions, read-only, whether their role reads) of every space
        of the community they may see (``rows``: its ``space_rows`` for the actor, when the caller
        has them)."""
        found = found or self.community(actor, community_id)
        if found is None:
            return {}
        community, standing = found
        if rows is None:
            rows = self.space_rows([community.id], actor)[community.id]
        space_roles = (
            {str(row["space_id"]): row["space_role"] for row in rows if row["space_role"] is not None}
            if standing.is_member
            else {}
        )
        return rules.space_views(community, [_space(row) for row in rows], standing, space_roles)

    def visible_community(self, actor, community_id) -> tuple[CommunityAccess, Standing, dict] | None:
        """The community, the actor's standing and their readable spaces, if the community exists
        for them (``rules.community_visible``); else ``None``."""
        found = self.community(actor, community_id)
        if found is None:
            return None
        community, standing = found
        readable = self.readable_spaces(actor, community_id, found)
        # an anonymous or banned visitor sees exactly the spaces public all the way up: any of them
        # makes the community visible to them; others do not depend on it
        if not rules.community_visible(community, standing, has_public_space=bool(readable)):
            return None
        return community, standing, readable

    def community_settings(self, community_id) -> dict | None:
        """The settings other services apply to the community's content (``CommunitySettingsSchema``),
        or ``None`` for a community the read model does not know."""
        key = uuid_or_none(community_id)
        row = (
            None
            if key is None
            else self.db.fetchone("SELECT settings FROM access_communities WHERE community_id = %s", (key,))
        )
        return None if row is None else dict(row["settings"])

    def space_modules(self, space_id) -> list[str] | None:
        """The modules enabled in the space (its own list, else its community's); ``None`` for an
        unknown space."""
        key = uuid_or_none(space_id)
        row = (
            None
            if key is None
            else self.db.fetchone(
                "SELECT s.modules, c.settings -> 'modules' AS community_modules FROM access_spaces s"
                " JOIN access_communities c ON c.community_id = s.community_id WHERE s.space_id = %s",
                (key,),
            )
        )
        if row is None:
            return None
        return list(row["modules"] if row["modules"] is not None else row["community_modules"] or [])

    def member_communities(self, actor) -> list[str]:
        """The communities where the actor has a role (not banned)."""
        user_id = uuid_or_none(user_id_of(actor))
        if user_id is None:
            return []
        rows = self.db.fetchall(
            "SELECT community_id FROM access_members WHERE user_id = %s AND role IS NOT NULL AND NOT banned",
            (user_id,),
        )
        return [str(row["community_id"]) for row in rows]

    # -- projection ----------------------------------------------------------------------------

    def project(self, event_type: str, data: Mapping[str, Any]) -> None:
        """Apply one spaces event (its ``data`` as the catalogue loads or dumps it) to the read model.

        Every write is guarded by the event's revision: a row keeps the newest state it was given.
        Events that carry no access facts are ignored.
        """
        if event_type not in ACCESS_EVENTS:
            return
        revision = int(data["revision"])
        if event_type in (catalog.COMMUNITY_CREATED, catalog.COMMUNITY_STATE_CHANGED, catalog.COMMUNITY_UPDATED):
            self._community(data["access"], revision)
        elif event_type in (catalog.SPACE_CREATED, catalog.SPACE_UPDATED, catalog.SPACE_MOVED):
            self._space(data["access"], revision)
        elif event_type == catalog.SPACE_ARCHIVED:
            for snapshot in data["access"]:
                self._space(snapshot, revision)
        elif event_type in (catalog.ROLE_MATRIX_CHANGED, catalog.MODULE_ENABLED, catalog.MODULE_DISABLED):
            if data.get("community_access"):
                self._community(data["community_access"], revision)
            if data.get("space_access"):
                self._space(data["space_access"], revision)
        elif event_type in (catalog.MEMBER_JOINED, catalog.MEMBER_ROLE_CHANGED):
            self._member(data, data["role"], False, revision)
        elif event_type in (catalog.MEMBER_LEFT, catalog.MEMBER_REMOVED, catalog.MEMBER_UNBANNED):
            self._member(data, None, False, revision)
        elif event_type == catalog.MEMBER_BANNED:
            self._member(data, None, True, revision)
        elif event_type == catalog.SPACE_MEMBER_ADDED:
            self._space_member(data, data["role"], revision)
        elif event_type == catalog.SPACE_MEMBER_REMOVED:
            self._space_member(data, None, revision)

    def _community(self, snapshot: Mapping[str, Any], revision: int) -> None:
        self.db.execute(
            "INSERT INTO access_communities (community_id, state, matrix, settings, revision)"
            " VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (community_id) DO UPDATE SET state = EXCLUDED.state, matrix = EXCLUDED.matrix,"
            " settings = EXCLUDED.settings,"
            " revision = EXCLUDED.revision WHERE access_communities.revision < EXCLUDED.revision",
            (
                snapshot["community_id"],
                snapshot["state"],
                _json(snapshot["matrix"]),
                _json(snapshot.get("settings") or {}),
                revision,
            ),
        )

    def _space(self, snapshot: Mapping[str, Any], revision: int) -> None:
        matrix = snapshot.get("matrix")
        self.db.execute(
            "INSERT INTO access_spaces"
            " (space_id, community_id, parent_id, visibility, archived, matrix, own_members, modules, validation,"
            " revision) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (space_id) DO UPDATE SET parent_id = EXCLUDED.parent_id,"
            " visibility = EXCLUDED.visibility, archived = EXCLUDED.archived, matrix = EXCLUDED.matrix,"
            " own_members = EXCLUDED.own_members, modules = EXCLUDED.modules, validation = EXCLUDED.validation,"
            " revision = EXCLUDED.revision WHERE access_spaces.revision < EXCLUDED.revision",
            (
                snapshot["space_id"],
                snapshot["community_id"],
                snapshot.get("parent_id"),
                snapshot["visibility"],
                bool(snapshot.get("archived")),
                None if matrix is None else _json(matrix),
                bool(snapshot.get("own_members")),
                snapshot.get("modules"),
                None if snapshot.get("validation") is None else _json(snapshot["validation"]),
                revision,
            ),
        )

    def _space_member(self, data: Mapping[str, Any], role: str | None, revision: int) -> None:
        self.db.execute(
            "INSERT INTO access_space_members (space_id, user_id, community_id, role, revision)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (space_id, user_id) DO UPDATE SET role = EXCLUDED.role,"
            " revision = EXCLUDED.revision WHERE access_space_members.revision < EXCLUDED.revision",
            (data["space_id"], data["user_id"], data["community_id"], role, revision),
        )

    def _member(self, data: Mapping[str, Any], role: str | None, banned: bool, revision: int) -> None:
        self.db.execute(
            "INSERT INTO access_members (community_id, user_id, role, banned, revision) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (community_id, user_id) DO UPDATE SET role = EXCLUDED.role, banned = EXCLUDED.banned,"
            " revision = EXCLUDED.revision WHERE access_members.revision < EXCLUDED.revision",
            (data["community_id"], data["user_id"], role, banned, revision),
        )


def may(db, actor, action: str, space_id) -> bool:
    """May ``actor`` do ``action`` in space ``space_id``? One query on this service's read model."""
    return AccessReadModel(db).may(actor, action, space_id)


#: the spaces events that carry access facts
ACCESS_EVENTS = (
    catalog.COMMUNITY_CREATED,
    catalog.COMMUNITY_STATE_CHANGED,
    catalog.SPACE_CREATED,
    catalog.SPACE_UPDATED,
    catalog.SPACE_MOVED,
    catalog.SPACE_ARCHIVED,
    catalog.ROLE_MATRIX_CHANGED,
    catalog.MEMBER_JOINED,
    catalog.MEMBER_ROLE_CHANGED,
    catalog.MEMBER_LEFT,
    catalog.MEMBER_REMOVED,
    catalog.MEMBER_BANNED,
    catalog.MEMBER_UNBANNED,
    catalog.SPACE_MEMBER_ADDED,
    catalog.SPACE_MEMBER_REMOVED,
    catalog.COMMUNITY_UPDATED,
    catalog.MODULE_ENABLED,
    catalog.MODULE_DISABLED,
)


class AccessProjection:
    """Mixed into a service that decides permissions (publishing, gamification, ...): keeps its
    read model from the spaces service's events, each applied once (``kernel.events.consumer``).
    The spaces service itself does not inherit this: it projects in its own transactions."""

    db: Any

    @on_event(*ACCESS_EVENTS)
    def keep_access_model(self, event):
        AccessReadModel(self.db).project(event.type, catalog.lookup(event.type).dump(event.data))


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _space(row: Mapping[str, Any]) -> SpaceAccess:
    return SpaceAccess(
        id=str(row["space_id"]),
        community_id=str(row["community_id"]),
        parent_id=None if row["parent_id"] is None else str(row["parent_id"]),
        visibility=row["visibility"],
        archived=bool(row["archived"]),
        matrix=rules.matrix_of(row["matrix"]),
        own_members=bool(row.get("own_members")),
    )
