"""The spaces service's events: communities, their lifecycle, spaces, members, roles, admissions, modules.

Events that change who may do what carry the state they leave behind, not only the change:
``access`` snapshots (a community's state and matrix, a space's place, visibility and matrix) and a
member's whole standing (role, banned), each with a ``revision`` taken from one sequence of the
spaces service. A consumer's read model (``kernel.access.readmodel``) keeps, per row, the highest
revision applied: events applied late or twice never undo a newer state.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from kernel.access.rules import PERMISSIONS, STATES, VISIBILITIES
from kernel.events.registry import define

KINDS = ("interest", "practice", "project")
ACCESS_MODES = ("open", "authorized", "mixed")
POLICIES = ("open", "request", "cooptation", "criteria", "invitation")
#: how a member came in
JOIN_ROUTES = ("creator", "open", "request", "cooptation", "criteria", "invitation", "pilot")


def _matrix(**kwargs) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=fields.List(fields.String(validate=validate.OneOf(PERMISSIONS))),
        **kwargs,
    )


class CommunitySettingsSchema(Schema):
    """The settings other services apply to a community's content (its charter's, as they are now)."""

    languages = fields.List(fields.String(), load_default=list)
    modules = fields.List(fields.String(), load_default=list, metadata={"description": "Enabled community-wide."})
    content_types = fields.List(fields.String(), load_default=list)
    validation = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={"description": "{mode, steps: [{name, role}], types: {content type: {mode, steps}}}"},
    )
    default_knowledge_level = fields.String(
        load_default="public", validate=validate.OneOf(("confidential", "extended", "public"))
    )
    organizations = fields.List(
        fields.String(), load_default=list, metadata={"description": "Their employees and partners read extended."}
    )


class CommunityAccessSchema(Schema):
    """What a read model keeps of a community: its state, its permission matrix (role -> permissions)
    and the settings other services apply to its content."""

    community_id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    matrix = _matrix(required=True)
    settings = fields.Nested(CommunitySettingsSchema, load_default=lambda: CommunitySettingsSchema().load({}))


class SpaceAccessSchema(Schema):
    """What a read model keeps of a space; ``matrix`` null means the space inherits its parent's."""

    space_id = fields.String(required=True)
    community_id = fields.String(required=True)
    parent_id = fields.String(required=True, allow_none=True)
    visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES))
    archived = fields.Boolean(required=True)
    matrix = _matrix(required=True, allow_none=True)
    own_members = fields.Boolean(
        load_default=False, metadata={"description": "The space keeps its own member list (roles given there)."}
    )
    modules = fields.List(
        fields.String(),
        load_default=None,
        allow_none=True,
        metadata={"description": "Modules enabled in the space; null: the community's."},
    )
    validation = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The space's own validation policy {mode?, steps?, types: {type: {mode, steps}}}; "
            "null: its parent's (at the root, the community's)."
        },
    )


def _revision() -> fields.Integer:
    return fields.Integer(required=True, validate=validate.Range(min=1))


class CommunityCreatedSchema(Schema):
    community_id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    languages = fields.List(fields.String(), required=True)
    access_mode = fields.String(required=True, validate=validate.OneOf(ACCESS_MODES))
    membership_policy = fields.String(required=True, validate=validate.OneOf(POLICIES))
    created_by = fields.String(required=True)
    access = fields.Nested(CommunityAccessSchema, required=True)
    revision = _revision()


class CommunityUpdatedSchema(Schema):
    """Which settings changed (names such as ``name``, ``charter.rules``), and the community's access
    snapshot after the change (its ``settings`` carry what other services apply)."""

    community_id = fields.String(required=True)
    changed = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    changed_by = fields.String(required=True)
    access = fields.Nested(CommunityAccessSchema, required=True)
    revision = _revision()


class CommunityStateChangedSchema(Schema):
    community_id = fields.String(required=True)
    previous_state = fields.String(required=True, validate=validate.OneOf(STATES))
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    changed_by = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)
    access = fields.Nested(CommunityAccessSchema, required=True)
    revision = _revision()


class SpaceCreatedSchema(Schema):
    space_id = fields.String(required=True)
    community_id = fields.String(required=True)
    name = fields.String(required=True)
    created_by = fields.String(required=True)
    access = fields.Nested(SpaceAccessSchema, required=True)
    revision = _revision()


class SpaceUpdatedSchema(Schema):
    space_id = fields.String(required=True)
    community_id = fields.String(required=True)
    changed = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    changed_by = fields.String(required=True)
    access = fields.Nested(SpaceAccessSchema, required=True)
    revision = _revision()


class SpaceMovedSchema(Schema):
    space_id = fields.String(required=True)
    community_id = fields.String(required=True)
    previous_parent_id = fields.String(required=True, allow_none=True)
    parent_id = fields.String(required=True, allow_none=True)
    moved_by = fields.String(required=True)
    access = fields.Nested(SpaceAccessSchema, required=True)
    revision = _revision()


class SpaceArchivedSchema(Schema):
    """A space and its whole sub-tree were archived (read-only); ``access`` has each of them."""

    space_id = fields.String(required=True)
    community_id = fields.String(required=True)
    archived_by = fields.String(required=True)
    access = fields.List(fields.Nested(SpaceAccessSchema), required=True, validate=validate.Length(min=1))
    revision = _revision()


class MemberJoinedSchema(Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    role = fields.String(required=True)
    via = fields.String(required=True, validate=validate.OneOf(JOIN_ROUTES))
    revision = _revision()


class MemberLeftSchema(Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    revision = _revision()


class MemberRemovedSchema(Schema):
    """``removed_by`` is null when the platform removed the member (erasure, end of a pilot group)."""

    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    removed_by = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    revision = _revision()


class MemberBannedSchema(Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    banned_by = fields.String(required=True)
    reason = fields.String(required=True)
    revision = _revision()


class MemberUnbannedSchema(Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    unbanned_by = fields.String(required=True)
    revision = _revision()


class MemberRoleChangedSchema(Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    previous_role = fields.String(required=True)
    role = fields.String(required=True)
    changed_by = fields.String(required=True)
    revision = _revision()


class RoleMatrixChangedSchema(Schema):
    """A community's matrix (``space_id`` null, ``community_access`` set) or a space's override
    (``space_access`` set; its ``matrix`` null when the space inherits again)."""

    community_id = fields.String(required=True)
    space_id = fields.String(required=True, allow_none=True)
    changed_by = fields.String(required=True)
    community_access = fields.Nested(CommunityAccessSchema, required=True, allow_none=True)
    space_access = fields.Nested(SpaceAccessSchema, required=True, allow_none=True)
    revision = _revision()


class SpaceMemberAddedSchema(Schema):
    """A member was given a role in a space that keeps its own members (again: the role changed)."""

    space_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    role = fields.String(required=True)
    previous_role = fields.String(required=True, allow_none=True)
    changed_by = fields.String(required=True)
    revision = _revision()


class SpaceMemberRemovedSchema(Schema):
    """A member's role in a space ended (``removed_by`` null: they left the community)."""

    space_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    removed_by = fields.String(required=True, allow_none=True)
    revision = _revision()


class JoinRequestSubmittedSchema(Schema):
    request_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    policy = fields.String(required=True, validate=validate.OneOf(POLICIES))


class JoinRequestSponsoredSchema(Schema):
    request_id = fields.String(required=True)
    community_id = fields.String(required=True)
    sponsor_id = fields.String(required=True)
    sponsors = fields.Integer(required=True, metadata={"description": "Sponsors so far, this one included."})
    required = fields.Integer(required=True, metadata={"description": "Sponsors needed for admission."})


class JoinRequestApprovedSchema(Schema):
    """``decided_by`` is null when the last sponsor's support admitted the candidate (co-optation)."""

    request_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    decided_by = fields.String(required=True, allow_none=True)


class JoinRequestRejectedSchema(Schema):
    request_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    decided_by = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True)


class InvitationSentSchema(Schema):
    """No token and no email: only who invited, to which role, until when, and the invitee if named."""

    invitation_id = fields.String(required=True)
    community_id = fields.String(required=True)
    role = fields.String(required=True)
    invited_by = fields.String(required=True)
    user_id = fields.String(required=True, allow_none=True)
    expires_at = fields.AwareDateTime(required=True)


class ModuleChangedSchema(Schema):
    """A module enabled or disabled for a whole community (``space_id`` null, ``community_access``
    set) or for one space (``space_access`` set)."""

    community_id = fields.String(required=True)
    space_id = fields.String(required=True, allow_none=True)
    module = fields.String(required=True)
    changed_by = fields.String(required=True)
    community_access = fields.Nested(CommunityAccessSchema, required=True, allow_none=True)
    space_access = fields.Nested(SpaceAccessSchema, required=True, allow_none=True)
    revision = _revision()


COMMUNITY_CREATED = define(
    "ecommunity.spaces.community.created.v1", CommunityCreatedSchema, "A community was defined (it starts in draft)."
).name
COMMUNITY_UPDATED = define(
    "ecommunity.spaces.community.updated.v1",
    CommunityUpdatedSchema,
    "Settings or charter of a community changed; each change is in its change log.",
).name
COMMUNITY_STATE_CHANGED = define(
    "ecommunity.spaces.community.state_changed.v1",
    CommunityStateChangedSchema,
    "A community moved along draft → review → pilot → live → archived (or back to draft).",
).name
SPACE_CREATED = define("ecommunity.spaces.space.created.v1", SpaceCreatedSchema, "A space was created.").name
SPACE_UPDATED = define(
    "ecommunity.spaces.space.updated.v1", SpaceUpdatedSchema, "A space's name, description or visibility changed."
).name
SPACE_MOVED = define(
    "ecommunity.spaces.space.moved.v1", SpaceMovedSchema, "A space (with its sub-tree) moved under another parent."
).name
SPACE_ARCHIVED = define(
    "ecommunity.spaces.space.archived.v1", SpaceArchivedSchema, "A space and its sub-tree became read-only."
).name
MEMBER_JOINED = define("ecommunity.spaces.member.joined.v1", MemberJoinedSchema, "A user became a member.").name
MEMBER_LEFT = define("ecommunity.spaces.member.left.v1", MemberLeftSchema, "A member left the community.").name
MEMBER_REMOVED = define(
    "ecommunity.spaces.member.removed.v1", MemberRemovedSchema, "A member was removed by a manager or the platform."
).name
MEMBER_BANNED = define(
    "ecommunity.spaces.member.banned.v1",
    MemberBannedSchema,
    "A user was banned (and removed if a member): they cannot rejoin until unbanned.",
).name
MEMBER_UNBANNED = define(
    "ecommunity.spaces.member.unbanned.v1", MemberUnbannedSchema, "A ban was lifted; the user may join again."
).name
MEMBER_ROLE_CHANGED = define(
    "ecommunity.spaces.member.role_changed.v1", MemberRoleChangedSchema, "A member's role changed."
).name
ROLE_MATRIX_CHANGED = define(
    "ecommunity.spaces.role_matrix.changed.v1",
    RoleMatrixChangedSchema,
    "A community's permission matrix, or a space's override of it, changed.",
).name
SPACE_MEMBER_ADDED = define(
    "ecommunity.spaces.space_member.added.v1",
    SpaceMemberAddedSchema,
    "A member got (or changed) a role in a space that keeps its own members.",
).name
SPACE_MEMBER_REMOVED = define(
    "ecommunity.spaces.space_member.removed.v1",
    SpaceMemberRemovedSchema,
    "A member's role in a space that keeps its own members ended.",
).name
JOIN_REQUEST_SUBMITTED = define(
    "ecommunity.spaces.join_request.submitted.v1",
    JoinRequestSubmittedSchema,
    "A candidate asked to join (request, co-optation or criteria policy).",
).name
JOIN_REQUEST_SPONSORED = define(
    "ecommunity.spaces.join_request.sponsored.v1", JoinRequestSponsoredSchema, "A member sponsored a candidate."
).name
JOIN_REQUEST_APPROVED = define(
    "ecommunity.spaces.join_request.approved.v1",
    JoinRequestApprovedSchema,
    "A candidate was admitted (by a manager, or by the last sponsor needed).",
).name
JOIN_REQUEST_REJECTED = define(
    "ecommunity.spaces.join_request.rejected.v1", JoinRequestRejectedSchema, "A manager rejected a candidate."
).name
INVITATION_SENT = define(
    "ecommunity.spaces.invitation.sent.v1", InvitationSentSchema, "A single-use invitation was issued."
).name
MODULE_ENABLED = define(
    "ecommunity.spaces.module.enabled.v1", ModuleChangedSchema, "A content module was enabled."
).name
MODULE_DISABLED = define(
    "ecommunity.spaces.module.disabled.v1", ModuleChangedSchema, "A content module was disabled."
).name

__all__ = [
    "ACCESS_MODES",
    "COMMUNITY_CREATED",
    "COMMUNITY_STATE_CHANGED",
    "COMMUNITY_UPDATED",
    "INVITATION_SENT",
    "JOIN_REQUEST_APPROVED",
    "JOIN_REQUEST_REJECTED",
    "JOIN_REQUEST_SPONSORED",
    "JOIN_REQUEST_SUBMITTED",
    "JOIN_ROUTES",
    "KINDS",
    "MEMBER_BANNED",
    "MEMBER_JOINED",
    "MEMBER_LEFT",
    "MEMBER_REMOVED",
    "MEMBER_ROLE_CHANGED",
    "MEMBER_UNBANNED",
    "MODULE_DISABLED",
    "MODULE_ENABLED",
    "POLICIES",
    "ROLE_MATRIX_CHANGED",
    "SPACE_ARCHIVED",
    "SPACE_CREATED",
    "SPACE_MEMBER_ADDED",
    "SPACE_MEMBER_REMOVED",
    "SPACE_MOVED",
    "SPACE_UPDATED",
    "CommunityAccessSchema",
    "CommunitySettingsSchema",
    "SpaceAccessSchema",
]
