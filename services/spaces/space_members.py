"""Members of a space that keeps its own (``own_members``): the people of a work package, a board,
a working group. From such a space down, a community member's role is the one given here — none
if they are not on the list — while the community's owners and managers keep theirs
(``kernel.access.rules``, rule 6). Only community members can be listed; leaving the community
ends their roles in its spaces (``MembershipStorage.delete_member``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from marshmallow import Schema, fields, validate

from kernel import errors, paging
from kernel.entrypoints import rpc
from kernel.events.catalog import SPACE_MEMBER_ADDED, SPACE_MEMBER_REMOVED
from kernel.inputs import load
from services.spaces.tree import Workbench, now, subject, uuid_or_none


class SpaceRole(Schema):
    class Meta:
        unknown = "raise"

    role = fields.String(required=True, validate=validate.Length(min=1, max=40))


class SpaceMemberOut(Schema):
    space_id = fields.String()
    user_id = fields.String()
    role = fields.String()
    added_by = fields.String(allow_none=True)
    added_at = fields.AwareDateTime()


ROLE = SpaceRole()
SPACE_MEMBER = SpaceMemberOut()
NOT_A_MEMBER = "Only members of the community can be given a role in its spaces."


class SpaceMemberEntrypoints(Workbench):
    """Mixed into ``SpacesService``."""

    @rpc
    def set_space_member(self, actor, space_id, user_id, role):
        """``manage_members`` in the space: give a community member a role there (or change it);
        emits ``space_member.added``. The space must keep its own members (409 otherwise)."""
        caller, by = self.signed_in(actor)
        space_id, community = self._managed_space(caller, space_id)
        clean = load(ROLE, {"role": role})
        cid = str(community["id"])
        if clean["role"] == "owner" or clean["role"] not in community["matrix"]:
            raise errors.Unprocessable(
                "No such role in this community (owner is a community role).",
                extra={"errors": {"role": ["Not a role of this community."]}},
                code="unknown-role",
            )
        target = self._community_member(cid, user_id)
        previous = self.community_storage.space_member(space_id, target)
        if previous is not None and previous["role"] == clean["role"]:
            return SPACE_MEMBER.dump(previous)
        row = self.community_storage.put_space_member(space_id, target, clean["role"], by, now())
        self.facts.record(
            SPACE_MEMBER_ADDED,
            subject(cid),
            {
                "space_id": space_id,
                "community_id": cid,
                "user_id": target,
                "role": clean["role"],
                "previous_role": None if previous is None else previous["role"],
                "changed_by": by,
            },
        )
        return SPACE_MEMBER.dump(row)

    @rpc
    def remove_space_member(self, actor, space_id, user_id):
        """``manage_members`` in the space: the member's role there ends (``space_member.removed``);
        NotFound when they had none."""
        caller, by = self.signed_in(actor)
        space_id, community = self._managed_space(caller, space_id)
        target = uuid_or_none(user_id)
        if target is None or not self.community_storage.delete_space_member(space_id, target):
            raise errors.NotFound("This user has no role in this space.", code="space-member-not-found")
        self.facts.record(
            SPACE_MEMBER_REMOVED,
            subject(str(community["id"])),
            {"space_id": space_id, "community_id": str(community["id"]), "user_id": target, "removed_by": by},
        )

    @rpc
    def list_space_members(self, actor, space_id, limit=20, after=None):
        """The space's own members, oldest first, for community members who see the space."""
        caller, _ = self.signed_in(actor)
        space, standing, _ = self.guard.space(caller, space_id)
        if not standing.is_member:
            raise errors.PermissionDenied("Only members see who belongs to a space.", code="members-only")
        limit = paging.check_limit(limit)
        position = paging.position(after, added_at=datetime, user_id=uuid.UUID)
        rows = self.community_storage.space_members_page(space.id, limit, position)
        page = paging.page(rows, limit, lambda r: {"added_at": r["added_at"].isoformat(), "user_id": str(r["user_id"])})
        return {"items": [SPACE_MEMBER.dump(row) for row in page["items"]], "next": page["next"]}

    # -- helpers ---------------------------------------------------------------------------------------

    def _managed_space(self, caller, space_id) -> tuple[str, dict]:
        """The space (locked with its community) where the caller holds ``manage_members`` and which
        keeps its own members."""
        key, community = self.locked_community_of_space(space_id)
        space, _, _ = self.guard.space(caller, key, "manage_members")
        if not space.own_members:
            raise errors.Conflict(
                "This space shares the community's members; set own_members on it first.",
                code="space-inherits-members",
            )
        return key, community

    def _community_member(self, community_id: str, user_id) -> str:
        target = uuid_or_none(user_id)
        if target is None or not self.community_storage.is_member(community_id, target):
            raise errors.NotFound(NOT_A_MEMBER, code="member-not-found")
        return target
