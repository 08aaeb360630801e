"""Community entrypoints of the spaces service: creation from a kind's preset, listing and reading,
settings and charter changes (with their change log and the review's section validations), the
lifecycle, pilot feedback, the roles matrix and the enabled modules (docs/spaces.md).

Each entrypoint loads its input (``schemas``), checks who may (``Guard``: NotFound, PermissionDenied,
Conflict ``archived``), applies the rules (``domain``, ``presets``), stores (``storage``, the
community row locked first) and records its events with ``Facts`` (outbox and read model in the
worker's transaction), then answers a JSON-able dump.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from kernel import errors, paging
from kernel.access import rules
from kernel.access.readmodel import AccessReadModel
from kernel.auth import Actor, actor_of, optional_actor
from kernel.entrypoints import rpc
from kernel.events.catalog import (
    COMMUNITY_CREATED,
    COMMUNITY_STATE_CHANGED,
    COMMUNITY_UPDATED,
    MEMBER_JOINED,
    MODULE_DISABLED,
    MODULE_ENABLED,
    ROLE_MATRIX_CHANGED,
)
from kernel.inputs import load
from services.spaces import domain, presets, schemas
from services.spaces.guards import NO_COMMUNITY, NO_SPACE, Guard
from services.spaces.plugins import content_types, installed_modules
from services.spaces.tree import Workbench, now, subject, uuid_or_none

NEW_COMMUNITY = schemas.NewCommunity()
CHANGES = schemas.CommunityChanges()
TRANSITION = schemas.Transition()
SECTION = schemas.Section()
FEEDBACK_IN = schemas.FeedbackInput()
ROLES_IN = schemas.Roles()
MODULES_IN = schemas.ModulesInput()
COMMUNITY = schemas.CommunityOut()
CHANGE = schemas.ChangeOut()
FEEDBACK = schemas.FeedbackOut()
REVIEW = schemas.ReviewOut()
ROLES = schemas.RolesOut()
MODULE = schemas.ModuleOut()

#: platform roles that may create communities
CREATORS = ("admin", "community_creator")
INSIGHTS = frozenset({"configure", "view_insights"})


class CommunityEntrypoints(Workbench):
    """Mixed into ``SpacesService``."""

    # -- creating and reading ----------------------------------------------------------------------

    @rpc
    def create_community(self, actor, data):
        """A new community in ``draft``: the kind's preset with the creator's overrides, its first
        spaces, and the creator as owner. Raises PermissionDenied ``not-a-creator``, InvalidInput,
        Conflict ``slug-taken``."""
        caller, user_id = self.signed_in(actor)
        if caller.platform_role not in CREATORS:
            raise errors.PermissionDenied("Only community creators may create communities.", code="not-a-creator")
        clean = load(NEW_COMMUNITY, data)
        preset = presets.preset_for(clean["kind"])
        matrix = domain.community_matrix({**preset.matrix, **clean["matrix"]}, field="matrix")
        charter = domain.check_charter({**preset.charter, **clean["charter"]}, matrix, content_types())
        chosen = preset.modules if clean["modules"] is None else clean["modules"]
        modules = domain.check_modules(chosen, installed_modules())
        community_id, at = str(uuid.uuid4()), now()
        row = self.community_storage.insert_community(
            {
                "id": community_id,
                "slug": clean.get("slug") or domain.slugify(clean["name"]),
                "name": clean["name"],
                "description": clean["description"],
                "languages": clean["languages"],
                "kind": clean["kind"],
                "charter": charter,
                "matrix": matrix,
                "modules": modules,
                "created_by": user_id,
            },
            at,
        )
        if row is None:
            raise errors.Conflict("Another community has this slug.", code="slug-taken")
        self.facts.record(
            COMMUNITY_CREATED,
            subject(community_id),
            {
                "community_id": community_id,
                "slug": row["slug"],
                "name": row["name"],
                "kind": row["kind"],
                "languages": list(row["languages"]),
                "access_mode": charter["access_mode"],
                "membership_policy": charter["membership"]["policy"],
                "created_by": user_id,
                "access": self.facts.community_access(community_id),
            },
        )
        made: list[str] = []
        for seed in presets.first_spaces(charter["access_mode"], matrix, clean["work_packages"]):
            space = self.community_storage.insert_space(
                {
                    "id": str(uuid.uuid4()),
                    "community_id": community_id,
                    "parent_id": None if seed.parent is None else made[seed.parent],
                    "name": seed.name,
                    "slug": seed.slug,
                    "description": seed.description,
                    "visibility": seed.visibility,
                    "matrix": seed.matrix,
                    "modules": None,
                    "created_by": user_id,
                },
                at,
            )
            assert space is not None  # a new community has no spaces; seeds have distinct slugs
            made.append(str(space["id"]))
            self.record_space_created(community_id, space, user_id)
        self.community_storage.insert_member(community_id, user_id, "owner", "creator", at)
        self.facts.record(
            MEMBER_JOINED,
            subject(community_id),
            {"community_id": community_id, "user_id": user_id, "role": "owner", "via": "creator"},
        )
        return self.community_view(caller, row)

    @rpc
    def list_communities(self, actor, limit=20, after=None, kind=None, member_only=False):
        """*anon* A page of the communities the caller sees (``kind``, ``member_only`` filters)."""
        caller = optional_actor(actor)
        limit = paging.check_limit(limit)
        position = paging.position(after, created_at=datetime, id=uuid.UUID)
        if kind is not None and kind not in presets.KINDS:
            raise errors.InvalidInput("Unknown kind.", extra={"errors": {"kind": ["Unknown kind."]}})
        if not isinstance(member_only, bool):
            raise errors.InvalidInput("Not a boolean.", extra={"errors": {"member_only": ["Not a valid boolean."]}})
        user_id = None if caller is None else uuid_or_none(caller.user_id)
        if caller is not None and user_id is None:
            raise errors.NotFound("No such user.", code="user-not-found")
        rows = self.community_storage.visible_communities(user_id, limit + 1, position, kind, member_only)
        result = paging.page(
            rows, limit, lambda row: {"created_at": row["created_at"].isoformat(), "id": str(row["id"])}
        )
        model = AccessReadModel(self.db)
        items = []
        for row in result["items"]:
            # the SQL filter follows the same rules; a row they would not show is left out, not an error
            found = model.visible_community(caller, str(row["id"]))
            if found is not None:
                items.append(self.community_view(caller, row, found))
        return {"items": items, "next": result["next"]}

    @rpc
    def get_community(self, actor, community_id):
        """*anon* The Community; NotFound when it does not exist for the caller."""
        caller = optional_actor(actor)
        found = self.guard.community(caller, community_id)
        row = self.community_storage.community(found[0].id)
        if row is None:
            raise errors.NotFound(NO_COMMUNITY, code="community-not-found")
        return self.community_view(caller, row, found)

    # -- settings, change log, review ---------------------------------------------------------------

    @rpc
    def update_community(self, actor, community_id, changes):
        """``configure``: change identity fields and charter keys (each given key replaces that key);
        each changed setting is logged and clears its section's validation."""
        caller, user_id = self.signed_in(actor)
        row = self.locked_community(community_id)
        community_id = str(row["id"])
        found = self.guard.community(caller, community_id, "configure")
        clean = load(CHANGES, changes)
        if "charter" in clean:
            merged = domain.check_charter({**row["charter"], **clean["charter"]}, row["matrix"], content_types())
            clean["charter"] = {key: merged[key] for key in clean["charter"]}
        changed = domain.community_changes(row, clean)
        if not changed:
            return self.community_view(caller, row, found)
        values = {change.setting: change.after for change in changed if change.section == "identity"}
        if "charter" in clean:
            values["charter"] = {**row["charter"], **clean["charter"]}
        at = now()
        row = self.community_storage.update_community(community_id, values, at)
        self.clear_sections(community_id, changed, user_id, at)
        self.facts.record(
            COMMUNITY_UPDATED,
            subject(community_id),
            {
                "community_id": community_id,
                "changed": [change.setting for change in changed],
                "changed_by": user_id,
                "access": self.facts.community_access(community_id),
            },
        )
        return self.community_view(caller, row)

    @rpc
    def list_changes(self, actor, community_id, limit=20, after=None):
        """``configure`` or ``view_insights``: the change log, oldest first, keyset on ``id``."""
        caller = actor_of(actor)
        limit = paging.check_limit(limit)
        position = paging.position(after, id=int)
        community_id = self._insight(caller, community_id)
        rows = self.community_storage.changes(community_id, limit + 1, position[0] if position else None)
        return paging.page([CHANGE.dump(row) for row in rows], limit, lambda item: {"id": item["id"]})

    @rpc
    def validate_section(self, actor, community_id, section):
        """The owner validates one section of the model during ``review``; answers the Review."""
        caller, user_id = self.signed_in(actor)
        row = self.locked_community(community_id)
        community_id = str(row["id"])
        community, standing, _ = self.guard.community(caller, community_id)
        clean = load(SECTION, {"section": section})
        if not (standing.is_member and standing.role == domain.OWNER):
            raise errors.PermissionDenied("Only the owner validates the model.", code="owner-only")
        if community.state != "review":
            raise errors.Conflict(
                "Sections are validated during the review.", extra={"state": community.state}, code="not-in-review"
            )
        self.community_storage.validate(community_id, clean["section"], user_id, now())
        return REVIEW.dump(domain.review(self.community_storage.validations(community_id)))

    # -- lifecycle ----------------------------------------------------------------------------------

    @rpc
    def transition(self, actor, community_id, to, note=None):
        """Move the community along its lifecycle (docs/spaces.md's table); logged, and recorded as
        ``community.state_changed`` with the new access snapshot."""
        caller, user_id = self.signed_in(actor)
        row = self.locked_community(community_id)
        community_id = str(row["id"])
        community, standing, _ = self.guard.community(caller, community_id)
        clean = load(TRANSITION, {"to": to, "note": note})
        permissions = rules.community_permissions(community, standing)
        if community.state == "archived":
            Guard.require(permissions, "configure", "archived")
        validated = {item["section"] for item in self.community_storage.validations(community_id)}
        missing = domain.missing_sections(validated) if community.state == "review" else []
        role = standing.role if standing.is_member else None
        domain.check_transition(community.state, clean["to"], role, permissions, missing)
        at = now()
        previous = row["state"]
        row = self.community_storage.set_state(community_id, clean["to"], at)
        self.community_storage.log_change(community_id, domain.LIFECYCLE, "state", previous, clean["to"], user_id, at)
        self.facts.record(
            COMMUNITY_STATE_CHANGED,
            subject(community_id),
            {
                "community_id": community_id,
                "previous_state": previous,
                "state": clean["to"],
                "changed_by": user_id,
                "note": clean["note"],
                "access": self.facts.community_access(community_id),
            },
        )
        return self.community_view(caller, row)

    @rpc
    def give_feedback(self, actor, community_id, message, rating=None):
        """A member's feedback on the pilot (state ``pilot`` only)."""
        caller, user_id = self.signed_in(actor)
        row = self.locked_community(community_id)
        community_id = str(row["id"])
        community, standing, _ = self.guard.community(caller, community_id)
        clean = load(FEEDBACK_IN, {"message": message, "rating": rating})
        if community.state != "pilot":
            raise errors.Conflict(
                "Feedback is given during the pilot.", extra={"state": community.state}, code="not-in-pilot"
            )
        if not standing.is_member:
            raise errors.PermissionDenied("Only members give feedback on the pilot.", code="not-a-member")
        feedback = self.community_storage.insert_feedback(
            {"id": str(uuid.uuid4()), "community_id": community_id, "user_id": user_id, "created_at": now(), **clean}
        )
        return FEEDBACK.dump(feedback)

    @rpc
    def list_feedback(self, actor, community_id, limit=20, after=None):
        """``configure`` or ``view_insights``: the pilot feedback, oldest first."""
        caller = actor_of(actor)
        limit = paging.check_limit(limit)
        position = paging.position(after, created_at=datetime, id=uuid.UUID)
        community_id = self._insight(caller, community_id)
        rows = self.community_storage.feedback(community_id, limit + 1, position)
        items = [FEEDBACK.dump(row) for row in rows]
        return paging.page(items, limit, lambda item: {"created_at": item["created_at"], "id": item["id"]})

    # -- roles --------------------------------------------------------------------------------------

    @rpc
    def get_roles(self, actor, community_id):
        """Members: the community's roles and what each may do."""
        caller = actor_of(actor)
        community, standing, _ = self.guard.community(caller, community_id)
        if not standing.is_member:
            raise errors.PermissionDenied("Only members see the roles.", code="not-a-member")
        return self._roles_view(community.matrix)

    @rpc
    def set_roles(self, actor, community_id, roles):
        """``configure``: replace the whole matrix (built-in roles present, the owner's row forced).
        A custom role still held (or named by the charter) cannot go: Conflict ``role-in-use``;
        space overrides naming a removed role drop it."""
        caller, user_id = self.signed_in(actor)
        row = self.locked_community(community_id)
        community_id = str(row["id"])
        self.guard.community(caller, community_id, "configure")
        matrix = domain.community_matrix(load(ROLES_IN, {"roles": roles})["roles"])
        if matrix == domain.canonical_matrix(row["matrix"]):
            return self._roles_view(matrix)
        storage = self.community_storage
        removed = domain.check_removed_roles(
            row["matrix"],
            matrix,
            storage.role_holders(community_id),
            row["charter"],
            storage.validations_of(community_id),
        )
        at = now()
        storage.update_community(community_id, {"matrix": matrix}, at)
        self.clear_sections(community_id, [domain.Change("roles", "matrix", row["matrix"], matrix)], user_id, at)
        self.facts.record(
            ROLE_MATRIX_CHANGED,
            subject(community_id),
            {
                "community_id": community_id,
                "space_id": None,
                "changed_by": user_id,
                "community_access": self.facts.community_access(community_id),
                "space_access": None,
            },
        )
        for override in storage.overrides(community_id):
            if removed and set(removed) & set(override["matrix"]):
                space_id = str(override["id"])
                storage.update_space(space_id, {"matrix": domain.without_roles(override["matrix"], removed)}, at)
                self.record_space_override(community_id, space_id, user_id)
        return self._roles_view(matrix)

    # -- modules ------------------------------------------------------------------------------------

    @rpc
    def list_modules(self):
        """The installed content modules, by name."""
        modules = installed_modules()
        return [MODULE.dump(modules[name].as_dict()) for name in sorted(modules)]

    @rpc
    def set_modules(self, actor, community_id, modules, space_id=None):
        """``configure``: the modules enabled community-wide (→ Community), or in one space (→ Space;
        ``modules=None``: the space inherits the community's). One module.enabled / module.disabled
        event per difference."""
        caller, user_id = self.signed_in(actor)
        row = self.locked_community(community_id)
        community_id = str(row["id"])
        self.guard.community(caller, community_id, "configure")
        clean = load(MODULES_IN, {"modules": modules, "space_id": space_id})
        if clean["modules"] is None and clean["space_id"] is None:
            raise errors.InvalidInput("A community needs a list of modules.", extra={"errors": {"modules": ["Null."]}})
        chosen = None if clean["modules"] is None else domain.check_modules(clean["modules"], installed_modules())
        at = now()
        if clean["space_id"] is None:
            assert chosen is not None
            before = list(row["modules"])
            if chosen != before:
                row = self.community_storage.update_community(community_id, {"modules": chosen}, at)
                self.clear_sections(community_id, [domain.Change("modules", "modules", before, chosen)], user_id, at)
                self._module_events(community_id, None, before, chosen, user_id)
            return self.community_view(caller, row)
        space, _, permissions = self.guard.space(caller, clean["space_id"])
        if space.community_id != community_id:
            raise errors.NotFound(NO_SPACE, code="space-not-found")
        Guard.require(permissions, "configure", "archived" if space.archived else None)
        current = self.community_storage.space(space.id)
        assert current is not None
        previous = current["modules"]
        if previous != chosen:
            current = self.change_space_setting(community_id, space.id, "modules", "modules", previous, chosen, user_id)
            community_modules = list(row["modules"])
            self._module_events(
                community_id,
                space.id,
                domain.effective_modules(previous, community_modules),
                domain.effective_modules(chosen, community_modules),
                user_id,
            )
        return self.space_view(caller, current, list(row["modules"]), permissions)

    # -- helpers ------------------------------------------------------------------------------------

    def _insight(self, caller: Actor, community_id: Any) -> str:
        """The community's id, if the caller holds ``configure`` or ``view_insights`` there."""
        community, standing, _ = self.guard.community(caller, community_id)
        permissions = rules.community_permissions(community, standing)
        if not permissions & INSIGHTS:
            Guard.require(permissions, "view_insights")
        return community.id

    def _module_events(self, community_id: str, space_id: str | None, before, after, user_id: str) -> None:
        enabled, disabled = domain.module_differences(before, after)
        for event_type, names in ((MODULE_ENABLED, enabled), (MODULE_DISABLED, disabled)):
            for name in names:
                self.facts.record(
                    event_type,
                    subject(community_id),
                    {
                        "community_id": community_id,
                        "space_id": space_id,
                        "module": name,
                        "changed_by": user_id,
                        "community_access": None if space_id else self.facts.community_access(community_id),
                        "space_access": self.facts.space_access(space_id) if space_id else None,
                    },
                )

    @staticmethod
    def _roles_view(matrix) -> dict:
        builtin = [role for role in rules.BUILTIN_ROLES if role in matrix]
        custom = sorted(role for role in matrix if role not in rules.BUILTIN_ROLES)
        return ROLES.dump(
            {
                "roles": [
                    {
                        "name": role,
                        "builtin": role in rules.BUILTIN_ROLES,
                        "permissions": domain.ordered_permissions(rules.role_permissions(matrix, role)),
                    }
                    for role in builtin + custom
                ],
                "permissions": list(rules.PERMISSIONS),
            }
        )
