"""`/v1/communities/*` and `/v1/modules`: communities, their charter, review, pilot and launch, as the
public API shows them (the spaces service's communities, ``docs/spaces.md``).

The gateway checks each body's shape — kinds, access modes, membership policies, permissions and
states are the kernel's vocabularies, so an unknown one is a 400 naming the field — and the spaces
service applies the rules: who may (the community's matrix), which transitions, which sections are
validated. Its exceptions are mapped through the kernel's one table. The charter's schemas and
the settings' vocabulary are in ``gateway.charter``.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.charter import (
    LANGUAGE,
    MODULE_NAME,
    SECTIONS,
    SLUG,
    CharterInputSchema,
    CharterSchema,
    UuidText,
    matrix_field,
    text,
)
from gateway.pagination import PageQuery, page_from, page_of
from gateway.routing import OPTIONAL, route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema
from kernel import errors
from kernel.access.rules import PERMISSIONS, STATES
from kernel.events.catalog.spaces import KINDS

NO_COMMUNITY = "No such community, or it does not exist for the caller (not live and not a member, or banned)."
NEEDS_CONFIGURE = "The caller lacks the `configure` permission in this community (`missing-permission`)."
ARCHIVED = "The community is archived and read-only (`archived`)."


def caller(actor) -> dict | None:
    """The RPC form of a route's actor: ``None`` stands for an anonymous visitor."""
    return None if actor is None else actor.as_dict()


class ChangesSchema(Schema):
    """A PATCH body: whatever fields are sent change; sending none is a 400."""

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")


# -- request bodies --------------------------------------------------------------------------------


class NewCommunitySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(validate=SLUG, metadata={"description": "Derived from the name when not sent."})
    description = text(5000)
    languages = fields.List(fields.String(validate=LANGUAGE), validate=validate.Length(min=1, max=20))
    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={"description": "The preset: charter, matrix, modules and first spaces; it never changes."},
    )
    charter = fields.Nested(CharterInputSchema)
    matrix = matrix_field()
    modules = fields.List(fields.String(validate=MODULE_NAME), validate=validate.Length(max=30))
    work_packages = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(max=50),
        metadata={"description": "Project: one child space per work package, under the root."},
    )


class CommunityChangesSchema(ChangesSchema):
    """The identity and the charter; the roles change with `PUT .../roles`, the modules with `PUT
    .../modules`, and the kind never."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    slug = fields.String(validate=SLUG)
    description = text(5000)
    languages = fields.List(fields.String(validate=LANGUAGE), validate=validate.Length(min=1, max=20))
    charter = fields.Nested(CharterInputSchema)


class SectionSchema(Schema):
    section = fields.String(required=True, validate=validate.OneOf(SECTIONS))


class TransitionSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(STATES))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class PilotGroupSchema(Schema):
    user_ids = fields.List(
        UuidText(),
        required=True,
        validate=validate.Length(max=50),
        metadata={"description": "The whole test group: testers not listed any more are removed."},
    )


class FeedbackInputSchema(Schema):
    message = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    rating = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=5))


class RolesInputSchema(Schema):
    roles = matrix_field(
        required=True,
        metadata={
            "description": "The whole matrix: each role and its permissions. Every built-in role is listed (the "
            "owner's row becomes every permission, whatever is sent); custom roles are added or removed by it.",
            "example": {
                "owner": list(PERMISSIONS),
                "manager": ["read", "post", "comment", "configure", "manage_members", "invite"],
                "moderator": ["read", "post", "comment", "moderate"],
                "expert": ["read", "post", "comment", "validate"],
                "member": ["read", "post", "comment"],
                "guest": ["read"],
                "mentor": ["read", "post", "comment", "validate"],
            },
        },
    )


class ModulesInputSchema(Schema):
    modules = fields.List(
        fields.String(validate=MODULE_NAME),
        required=True,
        allow_none=True,
        validate=validate.Length(max=30),
        metadata={
            "description": "Every module enabled (others are disabled); see `GET /v1/modules`. With `space_id`, "
            "null makes the space use the community's modules again."
        },
    )
    space_id = UuidText(
        allow_none=True, metadata={"description": "Only for this space (its own list); omitted: community-wide."}
    )


class CommunitiesQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={"description": "Only communities of this kind."})
    member = fields.Boolean(
        load_default=False, metadata={"description": "Only the caller's communities (needs a signed-in caller)."}
    )


# -- responses -------------------------------------------------------------------------------------


class ReviewSectionSchema(ResponseSchema):
    section = fields.String(required=True, metadata={"enum": list(SECTIONS)})
    validated = fields.Boolean(required=True)
    validated_by = fields.String(allow_none=True)
    validated_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class ReviewSchema(ResponseSchema):
    sections = fields.List(fields.Nested(ReviewSectionSchema), required=True, metadata={"description": "In order."})
    complete = fields.Boolean(required=True, metadata={"description": "Every section is validated: pilot may start."})


class CommunitySchema(ResponseSchema):
    id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    languages = fields.List(fields.String())
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    state = fields.String(required=True, metadata={"enum": list(STATES)})
    charter = fields.Nested(CharterSchema, metadata={"description": "Shown to whoever sees the community."})
    modules = fields.List(fields.String(), metadata={"description": "Modules enabled community-wide."})
    spaces_count = fields.Integer(metadata={"description": "The spaces the caller can see."})
    member_count = fields.Integer(allow_none=True, metadata={"description": "Null when the caller may not know."})
    my_role = fields.String(allow_none=True, metadata={"description": "The caller's role; null if not a member."})
    my_permissions = fields.List(
        fields.String(metadata={"enum": list(PERMISSIONS)}),
        metadata={"description": "What the caller may do community-wide."},
    )
    review = fields.Nested(
        ReviewSchema, allow_none=True, metadata={"description": "The review's sections; null for non-members."}
    )
    created_at = fields.String(metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})
    state_changed_at = fields.String(metadata={"format": "date-time"})


class ChangeSchema(ResponseSchema):
    id = fields.Integer(required=True)
    community_id = fields.String()
    section = fields.String(required=True, metadata={"enum": [*SECTIONS, "lifecycle"]})
    setting = fields.String(required=True, metadata={"example": "charter.rules"})
    before = fields.Raw(allow_none=True, metadata={"description": "The value before (any JSON)."})
    after = fields.Raw(allow_none=True, metadata={"description": "The value after (any JSON)."})
    changed_by = fields.String(allow_none=True)
    changed_at = fields.String(required=True, metadata={"format": "date-time"})


class PilotGroupOutSchema(ResponseSchema):
    user_ids = fields.List(fields.String(), required=True)


class FeedbackSchema(ResponseSchema):
    id = fields.String(required=True)
    community_id = fields.String()
    user_id = fields.String(allow_none=True, metadata={"description": "Null once the author erased their account."})
    message = fields.String(required=True)
    rating = fields.Integer(allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class RoleSchema(ResponseSchema):
    name = fields.String(required=True)
    builtin = fields.Boolean()
    permissions = fields.List(fields.String(metadata={"enum": list(PERMISSIONS)}), required=True)


class RolesSchema(ResponseSchema):
    roles = fields.List(
        fields.Nested(RoleSchema), required=True, metadata={"description": "The community's matrix, role by role."}
    )
    permissions = fields.List(
        fields.String(metadata={"enum": list(PERMISSIONS)}), metadata={"description": "Every permission there is."}
    )


class ModuleSchema(ResponseSchema):
    name = fields.String(required=True, metadata={"example": "forum"})
    title = fields.String()
    description = fields.String()
    content_types = fields.List(fields.String())


class ModuleListSchema(ResponseSchema):
    items = fields.List(fields.Nested(ModuleSchema), required=True)


class EnabledModulesSchema(ResponseSchema):
    community_id = fields.String(required=True)
    space_id = fields.String(required=True, allow_none=True, metadata={"description": "Null: community-wide."})
    modules = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "The modules now enabled there (a space's own, or the community's when it inherits)."},
    )


class CommunityRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the spaces service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    @route(
        "POST",
        "/v1/communities",
        summary="Create a community",
        tags=["communities"],
        body=NewCommunitySchema,
        response=CommunitySchema,
        status=201,
        auth=True,
        responses={
            403: "The caller is neither an admin nor a community creator (`not-a-creator`).",
            409: "Another community has this slug (`slug-taken`).",
        },
    )
    def create_community(self, request, body, actor):
        """Admins and community creators. The community starts in `draft` with its kind's preset
        (charter, matrix, modules, first spaces) and whatever the body overrides; its creator is its
        owner. It exists only for its members until it goes live. Settings that contradict each other
        (a module that is not installed, a validation step naming an unknown role) are a 400 too."""
        return self.services.call("spaces", "create_community", actor.as_dict(), body)

    @route(
        "GET",
        "/v1/communities",
        summary="List communities",
        tags=["communities"],
        query=CommunitiesQuery,
        response=page_of(CommunitySchema),
        auth=OPTIONAL,
        responses={401: "`member=true` without a valid access token, or an invalid token."},
    )
    def list_communities(self, request, query, actor):
        """The communities the caller can see, oldest first: their own (whatever the state), and live or
        archived ones — to anonymous visitors only those with a public space. `member=true` keeps the
        caller's own."""
        if query["member"] and actor is None:
            raise errors.Unauthenticated("member=true lists the caller's communities: send an access token.")
        return page_from(
            self.services.call(
                "spaces",
                "list_communities",
                caller(actor),
                query["limit"],
                query["cursor"],
                kind=query.get("kind"),
                member_only=query["member"],
            )
        )

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}",
        summary="A community and its charter",
        tags=["communities"],
        response=CommunitySchema,
        auth=OPTIONAL,
        responses={404: NO_COMMUNITY},
    )
    def get_community(self, request, community_id, actor):
        """Anyone the community exists for (see `GET /v1/communities`); `spaces_count` counts only the
        spaces the caller can see, and `my_role`/`my_permissions` say what the caller may do."""
        return self.services.call("spaces", "get_community", caller(actor), str(community_id))

    @route(
        "PATCH",
        "/v1/communities/{community_id:uuid}",
        summary="Change a community's settings",
        tags=["communities"],
        body=CommunityChangesSchema,
        response=CommunitySchema,
        auth=True,
        responses={
            403: NEEDS_CONFIGURE,
            404: NO_COMMUNITY,
            409: f"Another community has this slug (`slug-taken`). Or: {ARCHIVED}",
        },
    )
    def update_community(self, request, community_id, body, actor):
        """Needs `configure`. Charter keys sent replace those keys; others keep their value. Each
        change is logged (`GET .../changes`) and clears the validation of its review section. The kind
        never changes (sending it is a 400); the roles and modules have routes of their own."""
        return self.services.call("spaces", "update_community", actor.as_dict(), str(community_id), body)

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}/changes",
        summary="A community's change log",
        tags=["communities"],
        query=PageQuery,
        response=page_of(ChangeSchema),
        auth=True,
        responses={
            403: "The caller has neither `configure` nor `view_insights` here.",
            404: NO_COMMUNITY,
        },
    )
    def list_changes(self, request, community_id, query, actor):
        """Needs `configure` or `view_insights`. Who changed which setting, when, from what to what,
        oldest first; lifecycle transitions are there too (section `lifecycle`, setting `state`)."""
        return page_from(
            self.services.call(
                "spaces", "list_changes", actor.as_dict(), str(community_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "POST",
        "/v1/communities/{community_id:uuid}/validations",
        summary="Validate a review section",
        tags=["communities"],
        body=SectionSchema,
        response=ReviewSchema,
        auth=True,
        responses={
            403: "The caller is not the owner (`owner-only`).",
            404: NO_COMMUNITY,
            409: "The community is not in review (`not-in-review`).",
        },
    )
    def validate_section(self, request, community_id, body, actor):
        """The owner, during `review`, validates the model step by step: one section at a time. A later
        change to one of the section's settings clears its validation. Validating a validated section
        again changes nothing."""
        return self.services.call("spaces", "validate_section", actor.as_dict(), str(community_id), body["section"])

    @route(
        "POST",
        "/v1/communities/{community_id:uuid}/transitions",
        summary="Move a community along its lifecycle",
        tags=["communities"],
        body=TransitionSchema,
        response=CommunitySchema,
        auth=True,
        responses={
            403: NEEDS_CONFIGURE,
            404: NO_COMMUNITY,
            409: "Not allowed now: `transition-not-allowed` with `state` and `allowed` (where the caller may "
            "go), or `sections-not-validated` with `missing` (review → pilot).",
        },
    )
    def transition(self, request, community_id, body, actor):
        """`draft → review → pilot → live → archived`, or back to `draft` from review or pilot. Those with
        `configure` move draft ⇄ review; only the owner goes to pilot (every section validated), live,
        archived, or back from pilot. The transition is logged with its note."""
        return self.services.call(
            "spaces", "transition", actor.as_dict(), str(community_id), body["to"], body.get("note")
        )

    @route(
        "PUT",
        "/v1/communities/{community_id:uuid}/pilot-group",
        summary="Set the pilot group",
        tags=["communities"],
        body=PilotGroupSchema,
        response=PilotGroupOutSchema,
        auth=True,
        responses={
            403: NEEDS_CONFIGURE,
            404: NO_COMMUNITY,
            409: "The community is live or archived (`pilot-closed`), or listed users are banned here "
            "(`banned-users`, with `user_ids`).",
            422: "Listed users are not known (`unknown-users`, with `user_ids`); an account registered a moment "
            "ago may not be known yet.",
        },
    )
    def set_pilot_group(self, request, community_id, body, actor):
        """Needs `configure`, in draft, review or pilot. The listed testers become members (with the
        default role) and may give feedback during the pilot; testers left out are removed."""
        return self.services.call("spaces", "set_pilot_group", actor.as_dict(), str(community_id), body["user_ids"])

    @route(
        "POST",
        "/v1/communities/{community_id:uuid}/feedback",
        summary="Give pilot feedback",
        tags=["communities"],
        body=FeedbackInputSchema,
        response=FeedbackSchema,
        status=201,
        auth=True,
        responses={
            403: "The caller is not a member (`not-a-member`).",
            404: NO_COMMUNITY,
            409: "The community is not in pilot (`not-in-pilot`).",
        },
    )
    def give_feedback(self, request, community_id, body, actor):
        """Members (the pilot group among them), during `pilot` only: a message and an optional rating
        from 1 to 5."""
        return self.services.call(
            "spaces", "give_feedback", actor.as_dict(), str(community_id), body["message"], body.get("rating")
        )

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}/feedback",
        summary="Read the pilot feedback",
        tags=["communities"],
        query=PageQuery,
        response=page_of(FeedbackSchema),
        auth=True,
        responses={403: "The caller has neither `configure` nor `view_insights` here.", 404: NO_COMMUNITY},
    )
    def list_feedback(self, request, community_id, query, actor):
        """Needs `configure` or `view_insights`: the testers' feedback, oldest first."""
        return page_from(
            self.services.call(
                "spaces", "list_feedback", actor.as_dict(), str(community_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}/roles",
        summary="A community's roles and permissions",
        tags=["communities"],
        response=RolesSchema,
        auth=True,
        responses={403: "The caller is not a member (`not-a-member`).", 404: NO_COMMUNITY},
    )
    def get_roles(self, request, community_id, actor):
        """Members: the community's matrix, each role (built-in and custom) and its permissions."""
        return self.services.call("spaces", "get_roles", actor.as_dict(), str(community_id))

    @route(
        "PUT",
        "/v1/communities/{community_id:uuid}/roles",
        summary="Set a community's roles and permissions",
        tags=["communities"],
        body=RolesInputSchema,
        response=RolesSchema,
        auth=True,
        responses={
            403: NEEDS_CONFIGURE,
            404: NO_COMMUNITY,
            409: f"A role still held by members would disappear (`role-in-use`). Or: {ARCHIVED}",
        },
    )
    def set_roles(self, request, community_id, body, actor):
        """Needs `configure`: the whole matrix at once (custom roles are added or removed by it). The
        owner keeps every permission whatever the matrix says. Clears the `roles` section's validation."""
        return self.services.call("spaces", "set_roles", actor.as_dict(), str(community_id), body["roles"])

    @route(
        "GET",
        "/v1/modules",
        summary="List the installed modules",
        tags=["communities"],
        response=ModuleListSchema,
        auth=True,
    )
    def list_modules(self, request, actor):
        """Any signed-in user: the content modules installed on this platform, which managers may enable
        per community or per space (`PUT .../modules`)."""
        return {"items": self.services.call("spaces", "list_modules")}

    @route(
        "PUT",
        "/v1/communities/{community_id:uuid}/modules",
        summary="Enable modules",
        tags=["communities"],
        body=ModulesInputSchema,
        response=EnabledModulesSchema,
        auth=True,
        responses={
            403: NEEDS_CONFIGURE,
            404: f"{NO_COMMUNITY} Or no such space in it.",
            409: ARCHIVED,
        },
    )
    def set_modules(self, request, community_id, body, actor):
        """Needs `configure`: the modules enabled community-wide, or in one space (`space_id`; `modules`
        null: the space uses the community's again). Modules not listed are disabled; one that is not
        installed is a 400. Clears the `modules` section's validation."""
        space_id = body.get("space_id")
        changed = self.services.call(
            "spaces", "set_modules", actor.as_dict(), str(community_id), body["modules"], space_id
        )
        # the service answers the Community, or the Space when one was named: the API answers the same shape
        if space_id is None:
            return {"community_id": changed["id"], "space_id": None, "modules": changed["modules"]}
        return {"community_id": changed["community_id"], "space_id": changed["id"], "modules": changed["modules"]}
