"""`/v1/communities/{id}/spaces` and `/v1/spaces/*`: the tree of spaces inside a community, and who
may do what in each (the spaces service's ``tree``, ``docs/spaces.md``).

A space one cannot see does not exist: the spaces service answers 404 for it, lists only the
readable ones, and says in ``my_permissions`` what the caller may do in each. A space inherits its
parent's (or the community's) matrix until ``PUT .../permissions`` sets one of its own.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.charter import (
    MODULE_NAME,
    ROLE_NAME,
    RULE,
    SLUG,
    VALIDATION_MODES,
    ContentValidationSchema,
    UuidText,
    matrix_field,
    steps_input,
    text,
    type_rules_input,
)
from gateway.communities import NO_COMMUNITY, ChangesSchema, caller
from gateway.pagination import PageQuery, page_from, page_of
from gateway.routing import OPTIONAL, route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema
from kernel.access.rules import PERMISSIONS, VISIBILITIES

NO_SPACE = "No such space, or the caller cannot see it (or one of its ancestors)."
CONFIGURE_HERE = "The caller lacks the `configure` permission in this space (`missing-permission`)."
ARCHIVED_SPACE = "The space (or an ancestor) is archived and read-only (`archived`)."
VISIBILITY = (
    "public: anyone; registered: signed-in users; members: members whose role may read; secured: only roles "
    "granted `read` by a matrix on this space or a secured ancestor."
)


def visibility_field(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(VISIBILITIES), metadata={"description": VISIBILITY}, **kwargs)


class NewSpaceSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(validate=SLUG, metadata={"description": "Derived from the name when not sent."})
    description = text(5000)
    visibility = visibility_field(required=True)
    parent_id = UuidText(allow_none=True, metadata={"description": "The parent space; omitted or null: a root."})
    matrix = matrix_field(
        metadata={
            "description": "An override of the inherited matrix; a secured space without one grants only "
            "owner and manager."
        }
    )
    modules = fields.List(
        fields.String(validate=MODULE_NAME),
        allow_none=True,
        validate=validate.Length(max=30),
        metadata={"description": "The modules enabled in this space; omitted or null: the community's."},
    )


class SpaceChangesSchema(ChangesSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    slug = fields.String(validate=SLUG)
    description = text(5000)
    visibility = visibility_field()
    own_members = fields.Boolean(
        metadata={
            "description": "true: from this space down, members' roles are the ones given on its own list "
            "(`PUT /v1/spaces/{id}/members/{user_id}`); community owners and managers keep theirs."
        }
    )


class MoveSchema(Schema):
    parent_id = UuidText(
        required=True, allow_none=True, metadata={"description": "The new parent space; null: make it a root."}
    )


class SpacePermissionsSchema(Schema):
    inherit = fields.Boolean(
        required=True, metadata={"description": "true: drop the space's own matrix and inherit again."}
    )
    matrix = matrix_field(
        allow_none=True, metadata={"description": "The space's own matrix; required when `inherit` is false."}
    )

    @validates_schema
    def matrix_with_override_only(self, data, **kwargs):
        if data.get("inherit") is False and not data.get("matrix"):
            raise ValidationError("A space that does not inherit needs its own matrix.", "matrix")
        if data.get("inherit") is True and data.get("matrix") is not None:
            raise ValidationError("A space that inherits has no matrix of its own: omit it.", "matrix")


class SpaceValidationSchema(Schema):
    inherit = fields.Boolean(
        required=True,
        metadata={"description": "true: follow the parent space's policy (at the root, the charter's); nothing else."},
    )
    mode = fields.String(
        allow_none=True,
        validate=validate.OneOf(VALIDATION_MODES),
        metadata={"description": f"The space's own rule for every content type. {RULE}"},
    )
    steps = steps_input()
    types = type_rules_input()


class SpaceSchema(ResponseSchema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    parent_id = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    slug = fields.String()
    description = fields.String()
    visibility = fields.String(required=True, metadata={"enum": list(VISIBILITIES)})
    inherits_permissions = fields.Boolean(
        metadata={"description": "Whether the space uses its parent's (or the community's) matrix."}
    )
    matrix = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        allow_none=True,
        metadata={"description": "The space's own matrix; null when it inherits."},
    )
    modules = fields.List(fields.String(), metadata={"description": "The modules enabled in the space."})
    own_members = fields.Boolean(metadata={"description": "Whether the space keeps its own member list."})
    validation = fields.Nested(
        ContentValidationSchema,
        allow_none=True,
        metadata={
            "description": "The space's own validation policy (`mode` optional, `types`); null: its parent's "
            "(at the root, the charter's)."
        },
    )
    archived = fields.Boolean()
    my_permissions = fields.List(
        fields.String(metadata={"enum": list(PERMISSIONS)}), metadata={"description": "What the caller may do here."}
    )
    created_at = fields.String(metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})


class SpaceRoleSchema(Schema):
    role = fields.String(
        required=True, validate=ROLE_NAME, metadata={"description": "A role of the community, not `owner`."}
    )


class SpaceMemberSchema(ResponseSchema):
    space_id = fields.String(required=True)
    user_id = fields.String(required=True)
    role = fields.String(required=True)
    added_by = fields.String(allow_none=True)
    added_at = fields.String(metadata={"format": "date-time"})


class MyPermissionsSchema(ResponseSchema):
    space_id = fields.String(required=True)
    community_id = fields.String(required=True)
    role = fields.String(required=True, allow_none=True, metadata={"description": "Null: not a member."})
    permissions = fields.List(fields.String(metadata={"enum": list(PERMISSIONS)}), required=True)


class SpaceRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the spaces service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    @route(
        "POST",
        "/v1/communities/{community_id:uuid}/spaces",
        summary="Create a space",
        tags=["spaces"],
        body=NewSpaceSchema,
        response=SpaceSchema,
        status=201,
        auth=True,
        responses={
            403: "The caller lacks the `configure` permission (`missing-permission`).",
            404: f"{NO_COMMUNITY} Or the caller cannot see the parent space.",
            409: "Another space of the community has this slug (`slug-taken`), or the parent is archived.",
        },
    )
    def create_space(self, request, community_id, body, actor):
        """Needs `configure` in the community. A space is a root, or a child (`parent_id`, a space of the
        same community: else a 400) at any depth; it inherits its parent's matrix unless given one."""
        return self.services.call("spaces", "create_space", actor.as_dict(), str(community_id), body)

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}/spaces",
        summary="List a community's spaces",
        tags=["spaces"],
        query=PageQuery,
        response=page_of(SpaceSchema),
        auth=OPTIONAL,
        responses={404: NO_COMMUNITY},
    )
    def list_spaces(self, request, community_id, query, actor):
        """The spaces the caller can see, oldest first, with what they may do in each; the others are
        not listed. Anonymous visitors see the public ones of a live community."""
        return page_from(
            self.services.call(
                "spaces", "list_spaces", caller(actor), str(community_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "GET",
        "/v1/spaces/{space_id:uuid}",
        summary="A space",
        tags=["spaces"],
        response=SpaceSchema,
        auth=OPTIONAL,
        responses={404: NO_SPACE},
    )
    def get_space(self, request, space_id, actor):
        """Anyone who can see the space and each of its ancestors; `my_permissions` says what the
        caller may do there."""
        return self.services.call("spaces", "get_space", caller(actor), str(space_id))

    @route(
        "PATCH",
        "/v1/spaces/{space_id:uuid}",
        summary="Change a space",
        tags=["spaces"],
        body=SpaceChangesSchema,
        response=SpaceSchema,
        auth=True,
        responses={
            403: CONFIGURE_HERE,
            404: NO_SPACE,
            409: f"Another space of the community has this slug (`slug-taken`). Or: {ARCHIVED_SPACE}",
        },
    )
    def update_space(self, request, space_id, body, actor):
        """Needs `configure` in the space: its name, slug, description, visibility, or whether it keeps
        its own members (`own_members`)."""
        return self.services.call("spaces", "update_space", actor.as_dict(), str(space_id), body)

    @route(
        "DELETE",
        "/v1/spaces/{space_id:uuid}",
        summary="Archive a space",
        tags=["spaces"],
        status=204,
        auth=True,
        responses={403: CONFIGURE_HERE, 404: NO_SPACE, 409: ARCHIVED_SPACE},
    )
    def archive_space(self, request, space_id, actor):
        """Needs `configure` in the space. The space and its whole sub-tree become read-only: nothing is
        deleted, their content stays readable by those who could read it."""
        self.services.call("spaces", "archive_space", actor.as_dict(), str(space_id))

    @route(
        "POST",
        "/v1/spaces/{space_id:uuid}/move",
        summary="Move a space",
        tags=["spaces"],
        body=MoveSchema,
        response=SpaceSchema,
        auth=True,
        responses={
            403: "The caller lacks `configure` in the space or in its new parent (`missing-permission`).",
            404: f"{NO_SPACE} Or the caller cannot see the new parent.",
            409: f"The new parent is the space or one of its descendants (`space-cycle`). Or: {ARCHIVED_SPACE}",
        },
    )
    def move_space(self, request, space_id, body, actor):
        """Needs `configure` in the space and in its new parent (community-wide for a root); the parent is
        a space of the same community (else a 400). The space moves with its whole sub-tree; spaces that
        inherit now inherit from their new ancestors."""
        return self.services.call("spaces", "move_space", actor.as_dict(), str(space_id), body["parent_id"])

    @route(
        "PUT",
        "/v1/spaces/{space_id:uuid}/permissions",
        summary="Override or inherit a space's permissions",
        tags=["spaces"],
        body=SpacePermissionsSchema,
        response=SpaceSchema,
        auth=True,
        responses={403: CONFIGURE_HERE, 404: NO_SPACE, 409: ARCHIVED_SPACE},
    )
    def set_space_permissions(self, request, space_id, body, actor):
        """Needs `configure` in the space. `inherit: false` with a `matrix` gives the space (and the
        children that inherit from it) a matrix of its own; `inherit: true` drops it."""
        return self.services.call(
            "spaces", "set_space_permissions", actor.as_dict(), str(space_id), body["inherit"], body.get("matrix")
        )

    @route(
        "PUT",
        "/v1/spaces/{space_id:uuid}/validation",
        summary="Set or inherit a space's validation policy",
        tags=["spaces"],
        body=SpaceValidationSchema,
        response=SpaceSchema,
        auth=True,
        responses={403: CONFIGURE_HERE, 404: NO_SPACE, 409: ARCHIVED_SPACE},
    )
    def set_space_validation(self, request, space_id, body, actor):
        """Needs `configure` in the space. How its content (and its sub-spaces' that inherit) is
        validated: `inherit: true`, or a `mode` with its `steps` for every content type and/or
        `types`, rules for some content types. For an item, the nearest rule wins: the space's rule for
        its type, then the space's own mode, then its parent's, up to the charter's (`types`, then
        `mode`). Steps name roles of the community; types are installed content types (else a 400).
        Logged as `space.validation` in the change log; it clears the review's content section."""
        return self.services.call("spaces", "set_space_validation", actor.as_dict(), str(space_id), body)

    @route(
        "GET",
        "/v1/spaces/{space_id:uuid}/permissions/me",
        summary="What I may do in a space",
        tags=["spaces"],
        response=MyPermissionsSchema,
        auth=OPTIONAL,
        responses={404: NO_SPACE},
    )
    def my_space_permissions(self, request, space_id, actor):
        """Anyone who can see the space: the caller's role in its community and their permissions there
        (an anonymous visitor: no role, `read`)."""
        return self.services.call("spaces", "my_permissions", caller(actor), str(space_id))

    # -- spaces that keep their own members ------------------------------------------------------------

    @route(
        "GET",
        "/v1/spaces/{space_id:uuid}/members",
        summary="List a space's own members",
        tags=["spaces"],
        query=PageQuery,
        response=page_of(SpaceMemberSchema),
        auth=True,
        responses={403: "Only community members see who belongs to a space (`members-only`).", 404: NO_SPACE},
    )
    def list_space_members(self, request, space_id, query, actor):
        """For community members who see the space: who is on its own list, with their role there,
        earliest first. Empty for a space that shares the community's members."""
        return page_from(
            self.services.call(
                "spaces", "list_space_members", actor.as_dict(), str(space_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "PUT",
        "/v1/spaces/{space_id:uuid}/members/{user_id:uuid}",
        summary="Give a member a role in a space",
        tags=["spaces"],
        body=SpaceRoleSchema,
        response=SpaceMemberSchema,
        auth=True,
        responses={
            403: "The caller lacks `manage_members` in this space.",
            404: NO_SPACE + " Or: the user is not a member of the community (`member-not-found`).",
            409: "The space shares the community's members: set `own_members` first (`space-inherits-members`). "
            "Or: " + ARCHIVED_SPACE,
            422: "No such role in the community, or `owner` (`unknown-role`).",
        },
    )
    def set_space_member(self, request, space_id, user_id, body, actor):
        """Needs `manage_members` in the space, which must keep its own members. The member's role
        there (and in the spaces below) becomes `role`; giving the same role again changes nothing."""
        return self.services.call(
            "spaces", "set_space_member", actor.as_dict(), str(space_id), str(user_id), body["role"]
        )

    @route(
        "DELETE",
        "/v1/spaces/{space_id:uuid}/members/{user_id:uuid}",
        summary="End a member's role in a space",
        tags=["spaces"],
        status=204,
        auth=True,
        responses={
            403: "The caller lacks `manage_members` in this space.",
            404: NO_SPACE + " Or: the user has no role there (`space-member-not-found`).",
            409: "The space shares the community's members (`space-inherits-members`). Or: " + ARCHIVED_SPACE,
        },
    )
    def remove_space_member(self, request, space_id, user_id, actor):
        """Needs `manage_members` in the space. The user keeps their community membership; in this
        space they are then like any member not on its list."""
        self.services.call("spaces", "remove_space_member", actor.as_dict(), str(space_id), str(user_id))
