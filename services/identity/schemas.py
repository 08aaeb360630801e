"""marshmallow schemas of identity's RPC inputs and outputs, and ``load`` that turns a validation
failure into ``InvalidInput`` (``invalid-email`` when the email is what is wrong)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from kernel.auth import actor_of  # noqa: F401  (identity's entrypoints take it from here)
from kernel.errors import InvalidInput
from services.identity import domain


class EmailAddress(fields.Email):
    """An email address, normalised (``domain.normalize_email``) before it is validated."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            value = domain.normalize_email(value)
        return super()._deserialize(value, attr, data, **kwargs)


class LanguageTag(fields.String):
    """A short BCP 47 tag (en, fr, it, en-GB), loaded in canonical case."""

    default_error_messages = {"tag": "Not a language tag such as en, fr or en-GB."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        canonical = domain.canonical_language_tag(text)
        if canonical is None:
            raise self.make_error("tag")
        return canonical


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def _display_name(**kwargs: Any) -> fields.Field:
    return TrimmedString(validate=validate.Length(min=1, max=100), **kwargs)


class Registration(Schema):
    class Meta:
        unknown = RAISE

    email = EmailAddress(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=domain.MAX_PASSWORD_LENGTH))
    display_name = _display_name(required=True)
    locale = LanguageTag(load_default="en")


class Login(Schema):
    """``issue_tokens``'s input: the email is normalised but not validated (a malformed one is just
    an unknown account, with the same answer as any wrong credentials)."""

    class Meta:
        unknown = RAISE

    email = TrimmedString(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=domain.MAX_PASSWORD_LENGTH))
    client_address = fields.IP(load_default=None, allow_none=True)


class RefreshTokenInput(Schema):
    """Any string up to 4096 characters: one that matches no stored token is an invalid token, not bad input."""

    class Meta:
        unknown = RAISE

    refresh_token = fields.String(required=True, validate=validate.Length(max=4096))


class ProfileChanges(Schema):
    """``update_me``'s ``changes``: any of the profile fields; ``bio`` and ``avatar_url`` accept null."""

    class Meta:
        unknown = RAISE

    display_name = _display_name()
    locale = LanguageTag()
    bio = fields.String(allow_none=True, validate=validate.Length(max=2000))
    avatar_url = fields.URL(
        allow_none=True, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000)
    )
    languages = fields.List(LanguageTag(), validate=validate.Length(max=20))
    expertise = fields.List(TrimmedString(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50))


class User(Schema):
    """A user as every RPC answers it: no password hash, no token, ever."""

    id = fields.UUID()
    email = fields.String()
    display_name = fields.String()
    locale = fields.String()
    bio = fields.String(allow_none=True)
    avatar_url = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    expertise = fields.List(fields.String())
    platform_role = fields.String()
    email_verified = fields.Boolean()
    created_at = fields.AwareDateTime()


def load(schema: Schema, data: Any) -> dict:
    """``data`` loaded by ``schema``; raises InvalidInput with the per-field errors."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        errors = exc.messages_dict
        code = "invalid-email" if "email" in errors else "invalid-input"
        raise InvalidInput("The request is not valid.", extra={"errors": errors}, code=code) from None
