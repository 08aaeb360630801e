"""`/v1/users/*`, `/v1/organizations/*` and the privacy routes of `/v1/me`: the identity service's
people, as the public API shows them.

The gateway checks each body's shape (400); identity applies the rules — who may (admins, the
organization's members, the user themself), the last admin, one organization per user — and its
exceptions are mapped through the kernel's one table.
"""

from __future__ import annotations

import json

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from gateway.routing import route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema

PLATFORM_ROLES = ["admin", "community_creator", "member"]
AFFILIATIONS = ["employee", "partner", "customer"]
ADMIN_ONLY = "The caller is not an admin."


class PlatformRoleSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(PLATFORM_ROLES))


class ExpertGrantSchema(Schema):
    fields_of_expertise = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        required=True,
        validate=validate.Length(min=1, max=20),
        data_key="fields",
        metadata={"description": "The fields an admin verified the user in (1 to 20)."},
    )


class NewOrganizationSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class NewMemberSchema(Schema):
    user_id = fields.UUID(required=True)
    affiliation = fields.String(required=True, validate=validate.OneOf(AFFILIATIONS))


class MemberRemovalSchema(Schema):
    user_id = fields.UUID(required=True)


class ErasureSchema(Schema):
    password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "The account's password: erasure cannot be undone."},
    )


class PlatformRoleOutSchema(ResponseSchema):
    user_id = fields.String(required=True)
    platform_role = fields.String(required=True, metadata={"enum": PLATFORM_ROLES})


class ExpertStatusSchema(ResponseSchema):
    user_id = fields.String(required=True)
    fields_of_expertise = fields.List(fields.String(), required=True, attribute="fields", data_key="fields")
    verified_by = fields.String(required=True, metadata={"description": "The admin who verified the user."})
    verified_at = fields.String(required=True, metadata={"format": "date-time"})


class ExpertSchema(ResponseSchema):
    fields_of_expertise = fields.List(fields.String(), required=True, attribute="fields", data_key="fields")
    verified_at = fields.String(required=True, metadata={"format": "date-time"})


class ProfileSchema(ResponseSchema):
    id = fields.String(required=True)
    display_name = fields.String(required=True)
    bio = fields.String(allow_none=True)
    avatar_url = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    expertise = fields.List(fields.String(), metadata={"description": "What the user says they know."})
    expert = fields.Nested(
        ExpertSchema, allow_none=True, metadata={"description": "Verified by an admin; null when not an expert."}
    )


class OrganizationSummarySchema(ResponseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class OrganizationMemberSchema(ResponseSchema):
    user_id = fields.String(required=True)
    display_name = fields.String(required=True)
    affiliation = fields.String(required=True, metadata={"enum": AFFILIATIONS})
    added_at = fields.String(required=True, metadata={"format": "date-time"})


class OrganizationSchema(OrganizationSummarySchema):
    members = fields.List(fields.Nested(OrganizationMemberSchema), required=True)


class MembershipSchema(ResponseSchema):
    organization_id = fields.String(required=True)
    user_id = fields.String(required=True)
    affiliation = fields.String(required=True, metadata={"enum": AFFILIATIONS})
    added_at = fields.String(required=True, metadata={"format": "date-time"})


class PeopleRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the identity service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    # -- users -------------------------------------------------------------------------------------

    @route(
        "GET",
        "/v1/users/{user_id:uuid}",
        summary="A user's public profile",
        tags=["users"],
        response=ProfileSchema,
        auth=True,
        responses={404: "No such user (or the account was erased)."},
    )
    def get_user(self, request, user_id, actor):
        """What any signed-in user may see of another: name, bio, avatar, languages, expertise and the
        verified-expert status. Never the email."""
        return self.services.call("identity", "get_profile", actor.as_dict(), str(user_id))

    @route(
        "PUT",
        "/v1/users/{user_id:uuid}/platform-role",
        summary="Set a user's platform role",
        tags=["users"],
        body=PlatformRoleSchema,
        response=PlatformRoleOutSchema,
        auth=True,
        responses={
            403: ADMIN_ONLY,
            404: "No such user.",
            409: "The user is the last admin: make another admin first.",
        },
    )
    def set_platform_role(self, request, user_id, body, actor):
        """Admins only. The new role is in the `role` claim of the user's next access tokens; tokens
        issued before keep their claim until they expire (15 minutes by default). Admin rights
        themselves are checked against the current role, so a demoted admin loses them at once."""
        return self.services.call("identity", "set_platform_role", actor.as_dict(), str(user_id), body["role"])

    @route(
        "PUT",
        "/v1/users/{user_id:uuid}/expert",
        summary="Verify a user as an expert",
        tags=["users"],
        body=ExpertGrantSchema,
        response=ExpertStatusSchema,
        auth=True,
        responses={403: ADMIN_ONLY, 404: "No such user."},
    )
    def grant_expert(self, request, user_id, body, actor):
        """Admins only: records who verified the user, when, and in which fields (replacing earlier
        ones). The status is on the public profile and in the `exp_v` claim of new access tokens."""
        return self.services.call(
            "identity", "grant_expert", actor.as_dict(), str(user_id), body["fields_of_expertise"]
        )

    @route(
        "DELETE",
        "/v1/users/{user_id:uuid}/expert",
        summary="Revoke a user's expert status",
        tags=["users"],
        status=204,
        auth=True,
        responses={403: ADMIN_ONLY, 404: "No such user."},
    )
    def revoke_expert(self, request, user_id, actor):
        """Admins only. Revoking the status of a user who has none changes nothing (204)."""
        self.services.call("identity", "revoke_expert", actor.as_dict(), str(user_id))

    # -- organizations -----------------------------------------------------------------------------

    @route(
        "POST",
        "/v1/organizations",
        summary="Create an organization",
        tags=["organizations"],
        body=NewOrganizationSchema,
        response=OrganizationSummarySchema,
        status=201,
        auth=True,
        responses={403: ADMIN_ONLY, 409: "An organization has this name (whatever its case)."},
    )
    def create_organization(self, request, body, actor):
        """Admins only. An organization of the extended enterprise: its members are employees,
        partners or customers."""
        return self.services.call("identity", "create_organization", actor.as_dict(), body["name"])

    @route(
        "GET",
        "/v1/organizations/{organization_id:uuid}",
        summary="An organization and its members",
        tags=["organizations"],
        response=OrganizationSchema,
        auth=True,
        responses={404: "No such organization, or the caller is neither an admin nor one of its members."},
    )
    def get_organization(self, request, organization_id, actor):
        """For admins and the organization's own members; to anyone else it does not exist (404)."""
        return self.services.call("identity", "get_organization", actor.as_dict(), str(organization_id))

    @route(
        "POST",
        "/v1/organizations/{organization_id:uuid}/members",
        summary="Affiliate a user to an organization",
        tags=["organizations"],
        body=NewMemberSchema,
        response=MembershipSchema,
        status=201,
        auth=True,
        responses={
            403: ADMIN_ONLY,
            404: "No such organization or user.",
            409: "The user already belongs to an organization (one per user).",
        },
    )
    def add_organization_member(self, request, organization_id, body, actor):
        """Admins only. The affiliation is in the `aff` and `org` claims of the user's new access tokens."""
        return self.services.call(
            "identity",
            "add_organization_member",
            actor.as_dict(),
            str(organization_id),
            str(body["user_id"]),
            body["affiliation"],
        )

    @route(
        "DELETE",
        "/v1/organizations/{organization_id:uuid}/members",
        summary="End a user's affiliation",
        tags=["organizations"],
        body=MemberRemovalSchema,
        status=204,
        auth=True,
        responses={403: ADMIN_ONLY, 404: "The user is not a member of this organization."},
    )
    def remove_organization_member(self, request, organization_id, body, actor):
        """Admins only. The user is `public` again in their next access tokens."""
        self.services.call(
            "identity", "remove_organization_member", actor.as_dict(), str(organization_id), str(body["user_id"])
        )

    # -- privacy -----------------------------------------------------------------------------------

    @route(
        "GET",
        "/v1/me/export",
        summary="Export my data",
        tags=["me"],
        auth=True,
        responses={404: "The account was erased."},
    )
    def export_me(self, request, actor):
        """Everything the identity service holds about the caller — account, affiliation, expert
        status, sessions (without tokens) and security events — as a JSON attachment."""
        document = self.services.call("identity", "export_me", actor.as_dict())
        return Response(
            json.dumps(document, ensure_ascii=False, indent=2),
            content_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="ecommunity-identity-export.json"',
                "Cache-Control": "no-store",
            },
        )

    @route(
        "DELETE",
        "/v1/me",
        summary="Erase my account",
        tags=["me"],
        body=ErasureSchema,
        status=204,
        auth=True,
        responses={
            403: "The password is not correct.",
            404: "The account was already erased.",
            409: "The caller is the last admin: make another admin first.",
        },
    )
    def erase_me(self, request, body, actor):
        """Erases the caller's account for good, once they confirm with their password: the email,
        names, bio, avatar and password are removed (the id remains, anonymous), every session ends,
        the organization membership ends, and every service is told to anonymize what it holds
        (`user.erased`). Access tokens already issued are refused from then on."""
        self.services.call("identity", "erase_me", actor.as_dict(), body["password"])
