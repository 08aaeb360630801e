"""Every event type of the platform and the marshmallow schema of its ``data``.

Producers and consumers import the same definition from here; an event type that is not
registered cannot be emitted. Each service's events are declared in its own section below as the
services are built; ``docs/events.md`` documents each one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marshmallow import Schema, fields, validate

from kernel.events.envelope import TYPE_PATTERN


class UnknownEventType(LookupError):
    """The type is not in the catalogue."""


@dataclass(frozen=True)
class EventType:
    name: str  # e.g. ecommunity.identity.user.registered.v1
    schema: type[Schema]
    description: str = ""

    @property
    def service(self) -> str:
        return self.name.split(".")[1]

    @property
    def instance(self) -> Schema:
        """One schema instance per type (marshmallow schemas are reusable and costly to build)."""
        cached = _INSTANCES.get(self.name)
        if cached is None:
            cached = _INSTANCES[self.name] = self.schema()
        return cached

    def validate(self, data: object) -> dict:
        """``data`` as loaded by the schema; raises marshmallow.ValidationError."""
        return self.instance.load(data)  # type: ignore[arg-type]

    def dump(self, data: dict) -> dict:
        """The JSON form of loaded data (dates as strings, ...)."""
        return self.instance.dump(data)


_REGISTRY: dict[str, EventType] = {}
_INSTANCES: dict[str, Schema] = {}


def define(name: str, schema: type[Schema], description: str = "") -> EventType:
    """Register an event type; the name must be ``ecommunity.<service>.<noun>.<verb_past>.vN``."""
    if not re.match(TYPE_PATTERN, name):
        raise ValueError(f"event type {name!r} does not follow ecommunity.<service>.<noun>.<verb>.vN")
    existing = _REGISTRY.get(name)
    if existing is not None and existing.schema is not schema:
        raise ValueError(f"event type {name!r} is already defined with another schema")
    event_type = EventType(name, schema, description)
    _REGISTRY[name] = event_type
    return event_type


def lookup(name: str) -> EventType:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownEventType(f"unknown event type {name!r}; define it in kernel.events.catalog") from None


def all_types() -> list[EventType]:
    return sorted(_REGISTRY.values(), key=lambda e: e.name)


# -- identity --------------------------------------------------------------------------------


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
