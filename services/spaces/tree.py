"""Space entrypoints of the spaces service: the tree of spaces inside a community (create, list,
read, change, archive a sub-tree, move, override permissions) and what a caller may do in a space
(docs/spaces.md). ``Workbench``, the base these and the community entrypoints share (storage,
facts, guard, locks, views), is here too.

A space the caller may not see does not exist for them (NotFound); one they see but may not change
is PermissionDenied; an archived space or community is read-only (Conflict ``archived``). Every
change locks the space's community row first, then records its event with ``Facts``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from kernel import errors, paging
from kernel.access import rules
from kernel.access.readmodel import AccessReadModel
from kernel.access.rules import SpaceAccess, Standing
from kernel.auth import Actor, actor_of, optional_actor
from kernel.entrypoints import rpc
from kernel.events.catalog import ROLE_MATRIX_CHANGED, SPACE_ARCHIVED, SPACE_CREATED, SPACE_MOVED, SPACE_UPDATED
from kernel.inputs import load, uuid_or_none
from services.spaces import domain, schemas
from services.spaces.facts import Facts
from services.spaces.guards import NO_COMMUNITY, NO_SPACE, Guard
from services.spaces.plugins import content_types, installed_modules
from services.spaces.storage import SpacesStorage

NEW_SPACE = schemas.NewSpace()
SPACE_CHANGES = schemas.SpaceChanges()
SPACE_PERMISSIONS = schemas.SpacePermissions()
SPACE_VALIDATION = schemas.SpaceValidation()
MOVE = schemas.Move()
COMMUNITY = schemas.CommunityOut()
SPACE = schemas.SpaceOut()
MY_PERMISSIONS = schemas.MyPermissionsOut()


def now() -> datetime:
    return datetime.now(UTC)


def subject(community_id: str) -> str:
    """Every event of a community (its spaces' too) has this subject: the relay keeps them in order."""
    return f"community/{community_id}"


class Workbench:
    """What the community and space entrypoints share: storage, facts, guard, locks and views."""

    db: Any  # the worker's kernel.db.Transaction (the Database provider of PlatformService)

    @property
    def community_storage(self) -> SpacesStorage:
        return SpacesStorage(self.db)

    @property
    def facts(self) -> Facts:
        return Facts(self.db)

    @property
    def guard(self) -> Guard:
        return Guard(self.db)

    @staticmethod
    def signed_in(actor: Any) -> tuple[Actor, str]:
        """The caller and their user id (Unauthenticated without one; NotFound if not a UUID)."""
        caller = actor_of(actor)
        user_id = uuid_or_none(caller.user_id)
        if user_id is None:
            raise errors.NotFound("No such user.", code="user-not-found")
        return caller, user_id

    def locked_community(self, community_id: Any) -> dict:
        """The community row, locked for this transaction; NotFound when there is none."""
        key = uuid_or_none(community_id)
        row = None if key is None else self.community_storage.lock_community(key)
        if row is None:
            raise errors.NotFound(NO_COMMUNITY, code="community-not-found")
        return row

    def record_space_override(self, community_id: str, space_id: str, user_id: str) -> None:
        """``role_matrix.changed`` for a space's override (its matrix as stored now)."""
        self.facts.record(
            ROLE_MATRIX_CHANGED,
            subject(community_id),
            {
                "community_id": community_id,
                "space_id": space_id,
                "changed_by": user_id,
                "community_access": None,
                "space_access": self.facts.space_access(space_id),
            },
        )

    def locked_community_of_space(self, space_id: Any) -> tuple[str, dict]:
        """The space's id and its community's row, locked; NotFound when there is no such space."""
        key = uuid_or_none(space_id)
        row = None if key is None else self.community_storage.lock_community_of_space(key)
        if key is None or row is None:
            raise errors.NotFound(NO_SPACE, code="space-not-found")
        return key, row

    def community_view(self, actor: Any, row: dict, found: tuple | None = None) -> dict:
        """The Community as ``actor`` sees it: their role and permissions, the spaces they can
        read, the member count (members only) and the review (``configure`` only). ``found`` is
        the Guard's answer when the caller has it already."""
        community_id = str(row["id"])
        community, standing, readable = found or self.guard.community(actor, community_id)
        permissions = rules.community_permissions(community, standing)
        member = standing.is_member
        storage = self.community_storage
        return COMMUNITY.dump(
            {
                **row,
                "my_role": standing.role if member else None,
                "my_permissions": domain.ordered_permissions(permissions),
                "spaces_count": len(readable),
                "member_count": storage.member_count(community_id) if member else None,
                "review": domain.review(storage.validations(community_id)) if "configure" in permissions else None,
            }
        )

    def space_view(self, actor: Any, row: dict, community_modules: list[str], permissions=None) -> dict:
        """The Space as ``actor`` sees it, with its effective modules and the actor's permissions."""
        if permissions is None:
            permissions = AccessReadModel(self.db).space_permissions(actor, str(row["id"])) or frozenset()
        return SPACE.dump(
            {
                **row,
                "inherits_permissions": row["matrix"] is None,
                "archived": row["archived_at"] is not None,
                "modules": domain.effective_modules(row["modules"], community_modules),
                "my_permissions": domain.ordered_permissions(permissions),
            }
        )

    def record_space_created(self, community_id: str, space: dict, created_by: str) -> None:
        self.facts.record(
            SPACE_CREATED,
            subject(community_id),
            {
                "space_id": str(space["id"]),
                "community_id": community_id,
                "name": space["name"],
                "created_by": created_by,
                "access": self.facts.space_access(str(space["id"])),
            },
        )

    def change_space_setting(
        self, community_id: str, space_id: str, section: str, name: str, before: Any, after: Any, by: str
    ) -> dict:
        """Store a space's own setting ``name``, log it as ``space.<name>`` and clear ``section``'s
        validation; answers the space's row."""
        at = now()
        row = self.community_storage.update_space(space_id, {name: after}, at)
        change = domain.Change(
            section, f"space.{name}", {"space_id": space_id, name: before}, {"space_id": space_id, name: after}
        )
        self.clear_sections(community_id, [change], by, at)
        return row

    def clear_sections(self, community_id: str, changes: list[domain.Change], by: str, at: datetime) -> None:
        """Log each change and clear the validation of the sections they touch."""
        for change in changes:
            self.community_storage.log_change(
                community_id, change.section, change.setting, change.before, change.after, by, at
            )
        self.community_storage.clear_validations(community_id, domain.touched_sections(changes))


class TreeEntrypoints(Workbench):
    """Mixed into ``SpacesService``."""

    @rpc
    def create_space(self, actor, community_id, data):
        """``configure`` in the community: a new space, at the root or under a visible, live parent
        of the same community. A secured space without a matrix gets the owner's and managers' rows."""
        caller, user_id = self.signed_in(actor)
        row = self.locked_community(community_id)
        community_id = str(row["id"])
        self.guard.community(caller, community_id, "configure")
        clean = load(NEW_SPACE, data)
        parent_id = None
        if clean["parent_id"] is not None:
            parent, _, _ = self.guard.space(caller, clean["parent_id"])
            if parent.community_id != community_id:
                raise _not_here("parent_id")
            if parent.archived:
                raise errors.Conflict("The parent space is archived and read-only.", code="archived")
            parent_id = parent.id
        matrix = None
        if clean["matrix"] is not None:
            matrix = domain.space_matrix(clean["matrix"], row["matrix"])
        modules = None if clean["modules"] is None else domain.check_modules(clean["modules"], installed_modules())
        space = self.community_storage.insert_space(
            {
                "id": str(uuid.uuid4()),
                "community_id": community_id,
                "parent_id": parent_id,
                "name": clean["name"],
                "slug": clean.get("slug") or domain.slugify(clean["name"], fallback="space"),
                "description": clean["description"],
                "visibility": clean["visibility"],
                "matrix": domain.space_override(clean["visibility"], matrix, row["matrix"]),
                "modules": modules,
                "created_by": user_id,
            },
            now(),
        )
        if space is None:
            raise errors.Conflict("Another space of this community has this slug.", code="slug-taken")
        self.record_space_created(community_id, space, user_id)
        return self.space_view(caller, space, list(row["modules"]))

    @rpc
    def list_spaces(self, actor, community_id, limit=20, after=None):
        """*anon* A page of the community's spaces the caller may read, by (created_at, id)."""
        caller = optional_actor(actor)
        limit = paging.check_limit(limit)
        position = paging.position(after, created_at=datetime, id=uuid.UUID)
        community, _, readable = self.guard.community(caller, community_id)
        row = self.community_storage.community(community.id)
        assert row is not None
        rows = self.community_storage.spaces_page(community.id, list(readable), limit + 1, position)
        modules = list(row["modules"])
        items = [self.space_view(caller, space, modules, readable[str(space["id"])]) for space in rows]
        return paging.page(items, limit, lambda item: {"created_at": item["created_at"], "id": item["id"]})

    @rpc
    def get_space(self, actor, space_id):
        """*anon* The Space with what the caller may do there; NotFound if they cannot see it."""
        caller = optional_actor(actor)
        space, _, permissions = self.guard.space(caller, space_id)
        return self._space_out(caller, space.id, permissions)

    @rpc
    def update_space(self, actor, space_id, changes):
        """``configure`` in the space: name, slug, description, visibility, own_members (the space
        keeps its own member list: ``space_members``). A space made secured without a matrix of its
        own gets the owner's and managers' rows."""
        caller, user_id = self.signed_in(actor)
        space_id, row = self.locked_community_of_space(space_id)
        self._changeable(caller, space_id)
        clean = load(SPACE_CHANGES, changes)
        current = self.community_storage.space(space_id)
        assert current is not None
        changed = domain.space_changes(current, clean)
        values: dict[str, Any] = {name: clean[name] for name in changed}
        if "visibility" in values:
            override = domain.space_override(values["visibility"], current["matrix"], row["matrix"])
            if override != current["matrix"]:
                values["matrix"] = override
                changed.append("matrix")
        if changed:
            current = self.community_storage.update_space(space_id, values, now())
            self.facts.record(
                SPACE_UPDATED,
                subject(str(row["id"])),
                {
                    "space_id": space_id,
                    "community_id": str(row["id"]),
                    "changed": changed,
                    "changed_by": user_id,
                    "access": self.facts.space_access(space_id),
                },
            )
        return self._space_out(caller, space_id)

    @rpc
    def archive_space(self, actor, space_id):
        """``configure``: the space and its whole sub-tree become read-only (one space.archived)."""
        caller, user_id = self.signed_in(actor)
        space_id, row = self.locked_community_of_space(space_id)
        self._changeable(caller, space_id)
        tree = self.community_storage.subtree(space_id)
        self.community_storage.archive_spaces(tree, now())
        self.facts.record(
            SPACE_ARCHIVED,
            subject(str(row["id"])),
            {
                "space_id": space_id,
                "community_id": str(row["id"]),
                "archived_by": user_id,
                "access": [self.facts.space_access(member) for member in tree],
            },
        )
        return self._space_out(caller, space_id)

    @rpc
    def move_space(self, actor, space_id, parent_id):
        """``configure`` in the space and in the new parent (community-wide for a root): the space
        and its sub-tree move. Under itself or a sub-space: Conflict ``space-cycle``."""
        caller, user_id = self.signed_in(actor)
        space_id, row = self.locked_community_of_space(space_id)
        community_id = str(row["id"])
        self._changeable(caller, space_id)
        clean = load(MOVE, {"parent_id": parent_id})
        new_parent = None
        if clean["parent_id"] is None:
            self.guard.community(caller, community_id, "configure")
        else:
            parent, _, permissions = self.guard.space(caller, clean["parent_id"])
            if parent.community_id != community_id:
                raise _not_here("parent_id")
            Guard.require(permissions, "configure", "archived" if parent.archived else None)
            new_parent = parent.id
        current = self.community_storage.space(space_id)
        assert current is not None
        previous = None if current["parent_id"] is None else str(current["parent_id"])
        if previous != new_parent:
            domain.check_move(space_id, new_parent, self.community_storage.parents(community_id))
            self.community_storage.update_space(space_id, {"parent_id": new_parent}, now())
            self.facts.record(
                SPACE_MOVED,
                subject(community_id),
                {
                    "space_id": space_id,
                    "community_id": community_id,
                    "previous_parent_id": previous,
                    "parent_id": new_parent,
                    "moved_by": user_id,
                    "access": self.facts.space_access(space_id),
                },
            )
        return self._space_out(caller, space_id)

    @rpc
    def set_space_permissions(self, actor, space_id, inherit, matrix=None):
        """``configure``: the space inherits its parent's matrix again, or overrides it with
        ``matrix`` (roles of the community only; the owner's row forced)."""
        caller, user_id = self.signed_in(actor)
        space_id, row = self.locked_community_of_space(space_id)
        community_id = str(row["id"])
        self._changeable(caller, space_id)
        clean = load(SPACE_PERMISSIONS, {"inherit": inherit, "matrix": matrix})
        override = None if clean["inherit"] else domain.space_matrix(clean["matrix"], row["matrix"])
        current = self.community_storage.space(space_id)
        assert current is not None
        if override != current["matrix"]:
            self.change_space_setting(community_id, space_id, "roles", "matrix", current["matrix"], override, user_id)
            self.record_space_override(community_id, space_id, user_id)
        return self._space_out(caller, space_id)

    @rpc
    def set_space_validation(self, actor, space_id, policy):
        """``configure``: how the space's content is validated (docs/spaces.md, "Validation per space
        and content type"): ``{"inherit": true}`` follows the parent (at the root, the charter), or a
        rule of the space's own (``mode``, ``steps``) and/or rules per content type (``types``). Logged
        as ``space.validation`` (it clears the review's content section); ``space.updated``."""
        caller, user_id = self.signed_in(actor)
        space_id, row = self.locked_community_of_space(space_id)
        community_id = str(row["id"])
        self._changeable(caller, space_id)
        clean = load(SPACE_VALIDATION, policy)
        own = domain.space_validation(clean)
        if own is not None:
            domain.check_validation(own, row["matrix"], content_types(), "validation")
        current = self.community_storage.space(space_id)
        assert current is not None
        if own != current["validation"]:
            self.change_space_setting(
                community_id, space_id, "content", "validation", current["validation"], own, user_id
            )
            self.facts.record(
                SPACE_UPDATED,
                subject(community_id),
                {
                    "space_id": space_id,
                    "community_id": community_id,
                    "changed": ["validation"],
                    "changed_by": user_id,
                    "access": self.facts.space_access(space_id),
                },
            )
        return self._space_out(caller, space_id)

    @rpc
    def my_permissions(self, actor, space_id):
        """*anon* ``{space_id, community_id, role, permissions}``: what the caller may do in the space."""
        caller = optional_actor(actor)
        space, standing, permissions = self.guard.space(caller, space_id)
        return MY_PERMISSIONS.dump(
            {
                "space_id": space.id,
                "community_id": space.community_id,
                "role": standing.role if standing.is_member else None,
                "permissions": domain.ordered_permissions(permissions),
            }
        )

    # -- helpers ------------------------------------------------------------------------------------

    def _changeable(self, caller: Actor, space_id: str) -> tuple[SpaceAccess, Standing]:
        """The space, if the caller sees it and holds ``configure`` there; an archived space or
        community is Conflict ``archived``."""
        space, standing, _ = self.guard.space(caller, space_id, "configure")
        return space, standing

    def _space_out(self, caller: Actor | None, space_id: str, permissions=None) -> dict:
        space = self.community_storage.space(space_id)
        community = None if space is None else self.community_storage.community(str(space["community_id"]))
        if space is None or community is None:
            raise errors.NotFound(NO_SPACE, code="space-not-found")
        return self.space_view(caller, space, list(community["modules"]), permissions)


def _not_here(field: str) -> errors.InvalidInput:
    message = "Not a space of this community."
    return errors.InvalidInput(message, extra={"errors": {field: [message]}})
