"""marshmallow schemas of the recovery entrypoints' inputs and outputs (``services.identity.recovery``)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from services.identity import domain
from services.identity.schemas import EmailAddress

#: a mailed token is 43 characters; anything much longer is not one of ours (and not bad input either)
MAX_TOKEN_CHARS = 512
#: the gateway asks for one more event than a page holds, to know whether there is a next page
MAX_AUDIT_ROWS = 101


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class OneTimeTokenInput(_Strict):
    token = fields.String(required=True, validate=validate.Length(max=MAX_TOKEN_CHARS))


class PasswordResetRequest(_Strict):
    email = EmailAddress(required=True, validate=validate.Length(max=254))
    client_address = fields.IP(load_default=None, allow_none=True)


class PasswordResetConfirmation(_Strict):
    token = fields.String(required=True, validate=validate.Length(max=MAX_TOKEN_CHARS))
    password = fields.String(required=True, validate=validate.Length(min=1, max=domain.MAX_PASSWORD_LENGTH))


class PasswordChange(_Strict):
    current_password = fields.String(required=True, validate=validate.Length(max=domain.MAX_PASSWORD_LENGTH))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=domain.MAX_PASSWORD_LENGTH))
    #: the session to keep; every other one ends
    refresh_token = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4096))
    client_address = fields.IP(load_default=None, allow_none=True)


class AuditQuery(_Strict):
    limit = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_AUDIT_ROWS))
    before_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    user_id = fields.UUID(load_default=None, allow_none=True)
    kind = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


class AuditEvent(Schema):
    """A security event as an admin reads it: never a password, a token or a hash."""

    id = fields.Integer()
    kind = fields.String()
    user_id = fields.String(allow_none=True)
    client_address = fields.String(allow_none=True)
    at = fields.AwareDateTime()
    details = fields.Dict()
