"""marshmallow schemas of the membership RPCs' inputs and outputs. Inputs are loaded with
``kernel.inputs.load`` (InvalidInput, per field); outputs dump rows as JSON-able dicts (uuids as
strings, times in ISO 8601)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from services.spaces.membership_rules import REQUEST_STATUSES

MAX_PILOT_GROUP = 50
ROLE_NAME = validate.Length(min=1, max=40)


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ApplicationIn(_Strict):
    """What a candidate sends with ``join``; which questions and attestations exist is the
    charter's (checked by ``membership_rules.check_application``)."""

    message = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=fields.String(validate=validate.Length(max=5000)),
        load_default=dict,
        validate=validate.Length(max=100),
    )
    attestations = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), load_default=list, validate=validate.Length(max=100)
    )


class RequestListIn(_Strict):
    status = fields.String(load_default="pending", validate=validate.OneOf(REQUEST_STATUSES))


class ReasonIn(_Strict):
    reason = TrimmedString(required=True, validate=validate.Length(min=1, max=500))


class InvitationIn(_Strict):
    role = fields.String(required=True, validate=ROLE_NAME)
    expires_in_hours = fields.Integer(load_default=168, strict=True, validate=validate.Range(min=1, max=720))
    user_id = fields.UUID(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))


class RoleIn(_Strict):
    role = fields.String(required=True, validate=ROLE_NAME)


class RoleFilterIn(_Strict):
    role = fields.String(load_default=None, allow_none=True, validate=ROLE_NAME)


class PilotGroupIn(_Strict):
    user_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(max=MAX_PILOT_GROUP))


# -- outputs ----------------------------------------------------------------------------------


class MemberOut(Schema):
    user_id = fields.String()
    role = fields.String()
    via = fields.String()
    joined_at = fields.AwareDateTime()


class JoinRequestOut(Schema):
    """``answers`` is null for readers other than managers and the candidate."""

    id = fields.String()
    community_id = fields.String()
    user_id = fields.String()
    policy = fields.String()
    status = fields.String()
    message = fields.String(allow_none=True)
    answers = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    attestations = fields.List(fields.String())
    sponsors = fields.List(fields.String())
    sponsors_required = fields.Integer(allow_none=True)
    decided_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)


class JoinOut(Schema):
    """``join``'s answer: a member now, or a pending request."""

    status = fields.String()
    community_id = fields.String()
    member = fields.Nested(MemberOut)
    request = fields.Nested(JoinRequestOut)


class InvitationOut(Schema):
    """The invitation as its inviter receives it, with its ``token`` (shown only here)."""

    id = fields.String()
    community_id = fields.String()
    role = fields.String()
    user_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    expires_at = fields.AwareDateTime()
    token = fields.String()


class BanOut(Schema):
    community_id = fields.String()
    user_id = fields.String()
    reason = fields.String()
    banned_by = fields.String(allow_none=True)
    banned_at = fields.AwareDateTime()


class PilotGroupOut(Schema):
    user_ids = fields.List(fields.String())
