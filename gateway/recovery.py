"""Account recovery and the audit log: email verification, password reset and change, ``/v1/admin/audit``.

The gateway checks each request's shape (400); the identity service applies the rules — invalid
tokens (400 ``invalid-token``), weak passwords (422 ``weak-password`` with ``reasons``), a wrong current
password (403 ``invalid-credentials``: the access token is fine, so not 401), lockouts (429
``rate-limited`` with ``Retry-After``), who may read the audit log (403) — and the gateway maps its
exceptions through the kernel's one table.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from gateway.accounts import MAX_PASSWORD
from gateway.pagination import FOREIGN_CURSOR, PageQuery, page_of, paginate
from gateway.routing import route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema
from kernel import errors

MAX_TOKEN = 512


class TokenSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TOKEN))


class PasswordResetRequestSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class PasswordResetSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TOKEN))
    password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD))
    refresh_token = fields.String(
        validate=validate.Length(min=1, max=512),
        metadata={"description": "This session's refresh token: it stays valid. Without it every session ends."},
    )


class AuditQuery(PageQuery):
    user_id = fields.UUID(metadata={"description": "Only this user's events."})
    kind = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Only events of this kind (`login.failed`, `login.locked`, `password.reset`, …)."},
    )


class AuditEventSchema(ResponseSchema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    user_id = fields.String(required=True, allow_none=True)
    client_address = fields.String(required=True, allow_none=True)
    at = fields.String(required=True, metadata={"format": "date-time"})
    details = fields.Dict(required=True, metadata={"description": "What else is known; never a secret."})


class RecoveryRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the identity service."""

    services: ServiceClient

    @route(
        "POST",
        "/v1/auth/verify-email",
        summary="Verify my email address",
        tags=["auth"],
        body=TokenSchema,
        status=204,
        responses={400: "The token is malformed, unknown, used or expired (`invalid-token`)."},
    )
    def verify_email(self, request, body):
        """Confirms an address with the token mailed at registration (valid 48 hours, once)."""
        self.services.call("identity", "verify_email", body["token"])

    @route(
        "POST",
        "/v1/auth/password-reset",
        summary="Ask for a password reset",
        tags=["auth"],
        body=PasswordResetRequestSchema,
        status=202,
    )
    def request_password_reset(self, request, body):
        """Mails a reset token (valid one hour, once) if the address belongs to an account. Always 202:
        the answer never tells whether an address is registered."""
        self.services.call("identity", "request_password_reset", body["email"], request.remote_addr)
        return Response(status=202)

    @route(
        "POST",
        "/v1/auth/password-reset/confirm",
        summary="Set a new password with a reset token",
        tags=["auth"],
        body=PasswordResetSchema,
        status=204,
        responses={
            400: "The token is malformed, unknown, used or expired (`invalid-token`).",
            422: "The password is too weak (says why); the token stays usable.",
        },
    )
    def reset_password(self, request, body):
        """Sets the password and ends every session of the account."""
        self.services.call("identity", "reset_password", body["token"], body["password"])

    @route(
        "POST",
        "/v1/me/password",
        summary="Change my password",
        tags=["me"],
        body=PasswordChangeSchema,
        status=204,
        auth=True,
        responses={
            403: "The current password is wrong (`invalid-credentials`).",
            422: "The new password is too weak (says why).",
            429: "Too many wrong passwords; `Retry-After` says when to try again.",
        },
    )
    def change_password(self, request, body, actor):
        """Changes the caller's password. Every other session ends; send this session's `refresh_token`
        to keep it."""
        self.services.call(
            "identity",
            "change_password",
            actor.as_dict(),
            body["current_password"],
            body["new_password"],
            body.get("refresh_token"),
            request.remote_addr,
        )

    @route(
        "GET",
        "/v1/admin/audit",
        summary="Read the security audit log",
        tags=["admin"],
        query=AuditQuery,
        response=page_of(AuditEventSchema),
        auth=True,
        responses={403: "Only administrators may read the audit log."},
    )
    def audit(self, request, query, actor):
        """Security events, newest first: sign-ins, lockouts, password changes and resets, email
        verifications. No event holds a password, a token or a hash."""
        before_id = _cursor_id(query["cursor"])
        user_id = str(query["user_id"]) if query.get("user_id") else None
        rows = self.services.call(
            "identity", "audit_events", actor.as_dict(), query["limit"] + 1, before_id, user_id, query.get("kind")
        )
        return paginate(rows, query["limit"], lambda row: {"id": row["id"]})


def _cursor_id(position: dict | None) -> int | None:
    """The event id a cursor continues before (None for the first page); a forged cursor is a 400."""
    if position is None:
        return None
    value = position.get("id")
    if type(value) is not int or value < 1:
        raise errors.InvalidInput(
            "The cursor does not belong to this list.", extra={"errors": {"cursor": [FOREIGN_CURSOR]}}
        )
    return value
