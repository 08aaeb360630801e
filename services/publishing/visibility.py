"""Who reads what: one SQL condition, built once per request and applied inside every read.

An item is read (docs/publishing.md, "Knowledge levels") by whoever may ``read`` its space
(``kernel.access``), and moreover:

- ``public``: nothing more;
- ``extended``: an ``employee`` or ``partner`` (token claims ``aff``, ``org``) of one of the
  community's ``organizations`` — or one who reads its confidential items (the levels are nested:
  who reads the narrower circle reads the wider one);
- ``confidential``: a member of the community whose role in the space has ``read``.

Unpublished (and hidden) items are read, in a space one sees, by their author, and within the
knowledge level by co-editors of co-edited types and by who approves in the space (``moderate``,
``validate`` or, for the item's type, a validation step's role).

``Visibility(db).reader(actor, community_ids)`` reads the caller's standing from the access read
model (``AccessReadModel.community``, the read model's tables) and decides each space with the
pure rules of ``kernel.access.rules``; the ``Reader`` it answers turns that into SQL: arrays of
space ids as parameters of one condition (``published``, ``readable``, ``waiting``), so the
database filters and pages — an item one may not read is never fetched.

A reader is derived from the read model only, so it holds as long as the model's version has not
moved (``AccessReadModel.version``). Readers are kept per service and database (``kernel.lru.LRU``),
by caller and communities, with the version they were built at: ``reader`` reads the version (one
small query) and builds a reader only when it moved. ``read`` goes further for a read made of one
statement: it runs the statement with the kept reader, and the version the statement's rows carry
(``VERSION_COLUMN``, same snapshot) tells whether that reader held — one round trip when it did.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kernel.access.readmodel import AccessReadModel
from kernel.access.rules import CommunityAccess, Standing, community_visible
from kernel.auth import Actor
from kernel.inputs import uuid_or_none
from kernel.lru import LRU
from services.publishing import domain
from services.publishing.plugins import content_types

#: affiliations that read a community's ``extended`` items when their organization is one of its own
EXTENDED_AFFILIATIONS = frozenset({"employee", "partner"})
#: readers kept per service and database (least recently used first out)
CACHED_READERS = 4_096


@dataclass(frozen=True)
class Place:
    """The caller in one space they may see."""

    space_id: str
    community_id: str
    permissions: frozenset[str]
    role: str | None  #: their role in this space (``None``: not a member here)
    archived: bool  #: the space, or its community, is read-only
    reads_confidential: bool
    reads_extended: bool


@dataclass
class Reader:
    """What one caller may read in some communities, as SQL (``published``, ``readable``,
    ``waiting``) and as rules' inputs (``caller_in``, ``policy``, ``read_only``)."""

    user_id: str | None
    #: the read model's version it was built at (``None``: unknown, never reused)
    version: int | None = None
    places: dict[str, Place] = field(default_factory=dict)
    #: each known space's community, parent and own validation policy (``None``: its parent's)
    spaces: dict[str, tuple[str, str | None, Mapping[str, Any] | None]] = field(default_factory=dict)
    #: each community's charter validation policy
    charters: dict[str, Mapping[str, Any] | None] = field(default_factory=dict)
    archived_communities: set[str] = field(default_factory=set)
    #: the communities it was built over that the read model knows, with the caller's standing
    communities: dict[str, tuple[CommunityAccess, Standing]] = field(default_factory=dict)
    _params: dict[str, Any] | None = field(default=None, repr=False)
    _policies: dict[tuple[str, str], domain.Policy] = field(default_factory=dict, repr=False)
    _clauses: dict[str, str] = field(default_factory=dict, repr=False)

    # -- rules' inputs ---------------------------------------------------------------------------

    def caller_in(self, space_id: str) -> domain.Caller:
        place = self.places.get(str(space_id))
        if place is None:
            return domain.Caller(self.user_id)
        return domain.Caller(self.user_id, place.permissions, place.role)

    def policy(self, space_id: str, content_type: str) -> domain.Policy:
        """How an item of ``content_type`` in the space is validated (``domain.Policy.applying``)."""
        key = (str(space_id), content_type)
        if key not in self._policies:
            self._policies[key] = domain.Policy.applying(self._validations(str(space_id)), content_type)
        return self._policies[key]

    def _validations(self, space_id: str) -> list[Mapping[str, Any] | None]:
        """The space's own policy, its ancestors', then its community's charter's."""
        if space_id not in self.spaces:
            return []
        community_id = self.spaces[space_id][0]
        found: list[Mapping[str, Any] | None] = []
        current: str | None = space_id
        while current is not None and current in self.spaces and len(found) <= len(self.spaces):
            _, parent, validation = self.spaces[current]
            found.append(validation)
            current = parent
        found.append(self.charters.get(community_id))
        return found

    def sees_community(self, community_id: str) -> bool:
        """Whether the community exists for the caller (``rules.community_visible``)."""
        found = self.communities.get(str(community_id))
        if found is None:
            return False
        has_space = any(place.community_id == found[0].id for place in self.places.values())
        return community_visible(found[0], found[1], has_public_space=has_space)

    def read_only(self, space_id: str, community_id: str) -> bool:
        place = self.places.get(str(space_id))
        return str(community_id) in self.archived_communities or (place is not None and place.archived)

    # -- SQL -------------------------------------------------------------------------------------

    def params(self, workflow: bool = False) -> dict[str, Any]:
        """The parameters of this reader's conditions (named ``v_*``), computed once: the knowledge
        levels' and, with ``workflow``, those of unpublished items (co-edition, approvals, steps)."""
        if self._params is None:
            places = self.places.values()
            self._params = {
                "v_user": self.user_id,
                "v_public": [p.space_id for p in places],
                "v_extended": [p.space_id for p in places if p.reads_extended],
                "v_confidential": [p.space_id for p in places if p.reads_confidential],
            }
        if workflow and "v_steps" not in self._params:
            self._params.update(self._workflow_params())
        return self._params

    def _workflow_params(self) -> dict[str, Any]:
        places = self.places.values()
        co_edited = sorted(name for name, kind in content_types().items() if kind.co_edited)
        types = sorted(content_types())
        steps: list[str] = []  # space:type:step where the caller's role holds the step
        approve: list[str] = []  # space:type where the caller approves something
        for place in places:
            caller = domain.Caller(self.user_id, place.permissions, place.role)
            for name in types:
                policy = self.policy(place.space_id, name)
                if domain.may_approve_somewhere(caller, policy):
                    approve.append(f"{place.space_id}:{name}")
                steps.extend(
                    f"{place.space_id}:{name}:{index}"
                    for index, step in enumerate(policy.steps)
                    if step.role == place.role
                )
        return {
            "v_co_edited": co_edited,
            "v_co_edit": [p.space_id for p in places if "co_edit" in p.permissions],
            "v_approve": approve,
            "v_moderate": [p.space_id for p in places if "moderate" in p.permissions],
            "v_premoderate": [p.space_id for p in places if p.permissions & domain.APPROVING],
            "v_steps": steps,
        }

    def knowledge(self, a: str = "c") -> str:
        """The knowledge-level clause on alias ``a``: the item's level read in its space. Written for
        this reader (the planner's time grows with the clause): levels read in the same spaces share
        one test, a level read in no space is left out."""
        clause = self._clauses.get(a)
        if clause is None:
            params = self.params()
            groups: list[tuple[list[str], str]] = []  # levels, the parameter of their spaces
            for level, name in (("public", "v_public"), ("extended", "v_extended"), ("confidential", "v_confidential")):
                if not params[name]:
                    continue
                if groups and params[groups[-1][1]] == params[name]:
                    groups[-1][0].append(level)
                else:
                    groups.append(([level], name))
            arms = [
                f"({a}.knowledge_level IN ({', '.join(repr(level) for level in levels)})"
                f" AND {a}.space_id = ANY(%({name})s::uuid[]))"
                for levels, name in groups
            ]
            clause = self._clauses[a] = f"({' OR '.join(arms) or 'false'})"
        return clause

    def published(self, a: str = "c") -> tuple[str, dict[str, Any]]:
        """Published items the caller reads (feeds)."""
        return f"({a}.state = 'published' AND NOT {a}.hidden AND {self.knowledge(a)})", self.params()

    def readable(self, a: str = "c") -> tuple[str, dict[str, Any]]:
        """Every item the caller reads: published ones as in ``published``, and unpublished or hidden
        ones, in a space they see, of theirs, of co-edited types they co-edit, or (not drafts) of
        spaces where they approve."""
        sql = (
            f"(({a}.state = 'published' AND NOT {a}.hidden AND {self.knowledge(a)})"
            f" OR (({a}.state <> 'published' OR {a}.hidden) AND {a}.space_id = ANY(%(v_public)s::uuid[])"
            f" AND ({a}.author_id = %(v_user)s::uuid"
            f" OR ({self.knowledge(a)} AND (({a}.type = ANY(%(v_co_edited)s::text[])"
            f" AND {a}.space_id = ANY(%(v_co_edit)s::uuid[]))"
            f" OR ({a}.state <> 'draft' AND ({a}.space_id::text || ':' || {a}.type) = ANY(%(v_approve)s::text[])))))))"
        )
        return sql, self.params(workflow=True)

    def waiting(self, a: str = "c") -> tuple[str, dict[str, Any]]:
        """Items waiting for a decision the caller may take now (the moderation queue): a submitted
        item where they hold ``moderate`` or ``validate``; a review's step where they hold
        ``moderate`` or the step's role — within the knowledge level."""
        sql = (
            f"((({a}.state = 'submitted' AND {a}.space_id = ANY(%(v_premoderate)s::uuid[]))"
            f" OR ({a}.state = 'in_review' AND ({a}.space_id = ANY(%(v_moderate)s::uuid[])"
            f" OR ({a}.space_id::text || ':' || {a}.type || ':' || {a}.step::text) = ANY(%(v_steps)s::text[]))))"
            f" AND {self.knowledge(a)})"
        )
        return sql, self.params(workflow=True)


_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection pool -> its kept readers


class Visibility:
    """Builds ``Reader``s on one transaction's view of the access read model."""

    def __init__(self, db):
        self.db = db
        self.model = AccessReadModel(db)
        pool = getattr(db, "pool", None)
        if pool is None:  # a stand-in transaction in a unit test: nothing kept
            self.cache: LRU[Hashable, Reader] = LRU(CACHED_READERS)
        else:
            self.cache = _caches.get(pool) or _caches.setdefault(pool, LRU(CACHED_READERS))

    def reader(self, actor: Actor | None, community_ids: Iterable[str] | None) -> Reader:
        """What ``actor`` (``None``: anonymous) reads in these communities (``None``: the ones they
        are a member of): the kept reader if the read model has not moved since it was built, else
        a new one (two queries whatever the number of communities)."""
        key = _key(actor, community_ids)
        version = self.model.version()
        kept = self.cache.get(key)
        if kept is not None and kept.version == version:
            return kept
        reader = self._build(actor, None if community_ids is None else list(community_ids), version)
        self.cache.put(key, reader)
        return reader

    def read(
        self,
        actor: Actor | None,
        community_ids: Iterable[str] | None,
        fetch: Callable[[Reader], list[dict]],
    ) -> tuple[Reader, list[dict]]:
        """``fetch(reader)``'s rows with the caller's reader, ``fetch`` being one statement whose rows
        carry ``VERSION_COLUMN``: tried first with the kept reader (run as a transaction of its own:
        ``Transaction.fetchall_alone``), whose rows count only if they were read at the version it
        was built at; else a reader read now, and ``fetch`` again."""
        ids = None if community_ids is None else list(community_ids)
        kept = self.cache.get(_key(actor, ids))
        if kept is not None:
            rows = fetch(kept)
            seen = rows[0]["access_version"] if rows else self.model.version()
            if seen == kept.version:
                return kept, rows
        reader = self.reader(actor, ids)
        return reader, fetch(reader)

    def _build(self, actor: Actor | None, community_ids: list[str] | None, version: int) -> Reader:
        user_id = None if actor is None else actor.user_id
        reader = Reader(user_id, version=version)
        if community_ids is None:
            known = self.model.my_communities(actor)
        else:
            known = self.model.communities(actor, community_ids)
        spaces = self.model.space_rows(list(known), actor)
        for community_id, found in known.items():
            settings = found[0].settings
            reader.charters[found[0].id] = settings.get("validation")
            if found[0].state == "archived":
                reader.archived_communities.add(found[0].id)
            extended = _extended(actor, settings)
            rows = spaces[community_id]
            for row in rows:
                parent = None if row["parent_id"] is None else str(row["parent_id"])
                reader.spaces[str(row["space_id"])] = (community_id, parent, row["validation"])
            views = self.model.space_views(actor, community_id, found, rows)
            for view in views.values():
                reader.places[view.space_id] = Place(
                    space_id=view.space_id,
                    community_id=found[0].id,
                    permissions=view.permissions,
                    role=view.role,
                    archived=view.archived,
                    reads_confidential=view.member_reads,
                    reads_extended=view.member_reads or extended,
                )
        reader.communities = known
        return reader


def _key(actor: Actor | None, community_ids: Iterable[str] | None) -> Hashable:
    """What a reader depends on besides the read model: the caller's claims and the communities."""
    who = None if actor is None else (actor.user_id, actor.platform_role, actor.affiliation, actor.organization_id)
    return who, None if community_ids is None else tuple(sorted({str(c) for c in community_ids}))


def _extended(actor: Actor | None, settings: Mapping[str, Any]) -> bool:
    """Whether the actor is an employee or partner of one of the community's organizations."""
    if actor is None or actor.affiliation not in EXTENDED_AFFILIATIONS:
        return False
    organization = uuid_or_none(actor.organization_id)
    return organization is not None and organization in {
        uuid_or_none(org) for org in settings.get("organizations") or ()
    }
