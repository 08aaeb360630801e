"""The identity service's events: accounts, roles, experts, organizations, erasure."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from kernel.events.registry import define

__all__ = [
    "ORGANIZATION_MEMBER_ADDED",
    "ORGANIZATION_MEMBER_REMOVED",
    "USER_EMAIL_VERIFIED",
    "USER_ERASED",
    "USER_EXPERT_GRANTED",
    "USER_EXPERT_REVOKED",
    "USER_PROFILE_UPDATED",
    "USER_REGISTERED",
    "USER_ROLE_CHANGED",
    "OrganizationMemberSchema",
    "UserEmailVerifiedSchema",
    "UserErasedSchema",
    "UserExpertGrantedSchema",
    "UserExpertRevokedSchema",
    "UserProfileUpdatedSchema",
    "UserRegisteredSchema",
    "UserRoleChangedSchema",
]


class UserRegisteredSchema(Schema):
    """A new account; no email or other personal data beyond what other services display."""

    user_id = fields.String(required=True)
    display_name = fields.String(required=True)
    locale = fields.String(required=True)
    registered_at = fields.AwareDateTime(required=True)


class UserProfileUpdatedSchema(Schema):
    """Which profile fields changed (read the new values from identity: events carry no profile)."""

    user_id = fields.String(required=True)
    changed = fields.List(
        fields.String(
            validate=validate.OneOf(["display_name", "locale", "bio", "avatar_url", "languages", "expertise"])
        ),
        required=True,
        validate=validate.Length(min=1),
    )


USER_REGISTERED = define(
    "ecommunity.identity.user.registered.v1", UserRegisteredSchema, "A person registered an account."
).name
USER_PROFILE_UPDATED = define(
    "ecommunity.identity.user.profile_updated.v1",
    UserProfileUpdatedSchema,
    "A user changed their profile (display name, locale, bio, avatar, languages or expertise).",
).name


class UserEmailVerifiedSchema(Schema):
    user_id = fields.String(required=True)
    verified_at = fields.AwareDateTime(required=True)


class UserRoleChangedSchema(Schema):
    """A platform role changed (admin | community_creator | member), and who changed it."""

    user_id = fields.String(required=True)
    previous_role = fields.String(required=True, validate=validate.OneOf(["admin", "community_creator", "member"]))
    role = fields.String(required=True, validate=validate.OneOf(["admin", "community_creator", "member"]))
    changed_by = fields.String(required=True)


class UserExpertGrantedSchema(Schema):
    """Verified-expert status granted (or its fields changed), with who verified it."""

    user_id = fields.String(required=True)
    fields_of_expertise = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    verified_by = fields.String(required=True)
    granted_at = fields.AwareDateTime(required=True)


class UserExpertRevokedSchema(Schema):
    user_id = fields.String(required=True)
    revoked_by = fields.String(required=True)
    revoked_at = fields.AwareDateTime(required=True)


class UserErasedSchema(Schema):
    """The account was erased: every service must now anonymize what it holds about ``user_id``."""

    user_id = fields.String(required=True)
    erased_at = fields.AwareDateTime(required=True)


class OrganizationMemberSchema(Schema):
    """A user joined or left an organization; ``affiliation`` drives the knowledge levels."""

    organization_id = fields.String(required=True)
    user_id = fields.String(required=True)
    affiliation = fields.String(required=True, validate=validate.OneOf(["employee", "partner", "customer"]))
    changed_by = fields.String(required=True)


USER_EMAIL_VERIFIED = define(
    "ecommunity.identity.user.email_verified.v1", UserEmailVerifiedSchema, "A user proved they own their email."
).name
USER_ROLE_CHANGED = define(
    "ecommunity.identity.user.role_changed.v1", UserRoleChangedSchema, "An admin changed a user's platform role."
).name
USER_EXPERT_GRANTED = define(
    "ecommunity.identity.user.expert_granted.v1", UserExpertGrantedSchema, "An admin verified a user as an expert."
).name
USER_EXPERT_REVOKED = define(
    "ecommunity.identity.user.expert_revoked.v1", UserExpertRevokedSchema, "An admin revoked a user's expert status."
).name
USER_ERASED = define(
    "ecommunity.identity.user.erased.v1",
    UserErasedSchema,
    "A user erased their account: every service anonymizes what it holds about them.",
).name
ORGANIZATION_MEMBER_ADDED = define(
    "ecommunity.identity.organization.member_added.v1",
    OrganizationMemberSchema,
    "A user was affiliated to an organization (employee, partner or customer).",
).name
ORGANIZATION_MEMBER_REMOVED = define(
    "ecommunity.identity.organization.member_removed.v1",
    OrganizationMemberSchema,
    "A user's affiliation to an organization ended.",
).name
