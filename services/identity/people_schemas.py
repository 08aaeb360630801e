"""marshmallow schemas of the people RPCs' inputs and outputs (roles, experts, profiles,
organizations, privacy). Inputs are loaded with ``schemas.load`` (InvalidInput per field)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from services.identity.people_rules import AFFILIATIONS, PLATFORM_ROLES
from services.identity.schemas import TrimmedString


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class UserId(_Strict):
    user_id = fields.UUID(required=True)


class RoleChange(_Strict):
    user_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=validate.OneOf(PLATFORM_ROLES))


class ExpertGrant(_Strict):
    user_id = fields.UUID(required=True)
    expertise_fields = fields.List(
        TrimmedString(validate=validate.Length(min=1, max=100)),
        required=True,
        validate=validate.Length(min=1, max=20),
        data_key="fields",
    )


class NewOrganization(_Strict):
    name = TrimmedString(required=True, validate=validate.Length(min=1, max=200))


class OrganizationId(_Strict):
    organization_id = fields.UUID(required=True)


class NewMember(_Strict):
    organization_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    affiliation = fields.String(required=True, validate=validate.OneOf(AFFILIATIONS))


class Member(_Strict):
    organization_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)


class Erasure(_Strict):
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


# -- outputs ----------------------------------------------------------------------------------


class RoleOut(Schema):
    user_id = fields.String()
    platform_role = fields.String()


class ExpertOut(Schema):
    expertise_fields = fields.List(fields.String(), data_key="fields")
    verified_at = fields.AwareDateTime()


class ExpertStatusOut(Schema):
    user_id = fields.String()
    expertise_fields = fields.List(fields.String(), data_key="fields")
    verified_by = fields.String()
    verified_at = fields.AwareDateTime()


class ProfileOut(Schema):
    id = fields.String()
    display_name = fields.String()
    bio = fields.String(allow_none=True)
    avatar_url = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    expertise = fields.List(fields.String())
    expert = fields.Nested(ExpertOut, allow_none=True)


class OrganizationMemberOut(Schema):
    user_id = fields.String()
    display_name = fields.String()
    affiliation = fields.String()
    added_at = fields.AwareDateTime()


class OrganizationOut(Schema):
    id = fields.String()
    name = fields.String()
    created_at = fields.AwareDateTime()
    members = fields.List(fields.Nested(OrganizationMemberOut))


class MembershipOut(Schema):
    organization_id = fields.String()
    user_id = fields.String()
    affiliation = fields.String()
    added_at = fields.AwareDateTime()
