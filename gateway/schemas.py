"""The gateway's own HTTP schemas: the problem document, and the platform operations' bodies.

Domain schemas (communities, content, ...) belong to the endpoints that serve them; these are the
ones every operation shares (``ProblemSchema``) and the ones of the gateway's own ``/v1`` routes.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, INCLUDE, Schema, fields

from kernel.web import PROBLEM_TYPE_PREFIX


class ResponseSchema(Schema):
    """Base of every response body's schema.

    Its document does not say ``additionalProperties: false``: adding a field to a response later
    must not break a client that validates responses against the document. (Request bodies keep
    marshmallow's default and refuse unknown fields, so a misspelt field is a 400, not ignored.)
    """

    class Meta:
        unknown = EXCLUDE


class ProblemSchema(Schema):
    """RFC 9457 problem details: the body of every error response (``application/problem+json``).

    Further members (``errors``, ``service``, ...) may appear; clients ignore those they do not know.
    """

    class Meta:
        unknown = INCLUDE  # extension members: additionalProperties is true in the document

    type = fields.String(
        required=True,
        metadata={
            "format": "uri",
            "description": f"Stable identifier of the kind of problem (`{PROBLEM_TYPE_PREFIX}<code>`); "
            "programs branch on it.",
            "example": f"{PROBLEM_TYPE_PREFIX}not-found",
        },
    )
    title = fields.String(required=True, metadata={"description": "Short summary of the kind of problem."})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code.", "example": 404})
    detail = fields.String(metadata={"description": "What went wrong this time, for a human."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={
            "description": "For invalid input: each offending field and its messages.",
            "example": {"name": ["Missing data for required field."]},
        },
    )


class PingSchema(ResponseSchema):
    """One service's answer to ``ping``."""

    service = fields.String(required=True, metadata={"description": "The service's name."})
    time = fields.String(required=True, metadata={"format": "date-time", "description": "The service's clock."})
    database_time = fields.String(
        required=True,
        allow_none=True,
        metadata={"format": "date-time", "description": "Its PostgreSQL's clock: the service reached its database."},
    )


class PingReportSchema(ResponseSchema):
    """Every pinged service answered."""

    status = fields.String(required=True, metadata={"enum": ["ok"]})
    services = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(PingSchema),
        required=True,
        metadata={"description": "Each service's answer, by service name."},
    )


class ServiceSchema(ResponseSchema):
    """A platform service the gateway routes to."""

    name = fields.String(required=True, metadata={"example": "identity"})
    ping = fields.String(required=True, metadata={"description": "Path of its ping.", "example": "/v1/ping/identity"})
