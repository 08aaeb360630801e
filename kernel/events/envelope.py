"""The CloudEvents 1.0 envelope every eCommunity event travels in (structured JSON mode).

Attributes: ``specversion`` "1.0", ``id`` (uuid4), ``source`` (``/ecommunity/<service>``),
``type`` (``ecommunity.<service>.<noun>.<verb_past>.v<N>``), ``time`` (RFC 3339, UTC),
``subject`` (the entity the event is about, e.g. ``user/42``; per-subject order is kept),
``datacontenttype`` "application/json", the extension ``correlationid`` (the request that caused
it) and ``data``, validated by the schema registered for ``type``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

SPECVERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
#: name under which kombu (and so nameko consumers) knows the CloudEvents JSON format
SERIALIZER = "cloudevents"

TYPE_PATTERN = r"^ecommunity\.[a-z_]+\.[a-z_]+(\.[a-z_]+)*\.v[0-9]+$"


class EnvelopeSchema(Schema):
    """The envelope's own attributes; ``data`` is checked by the type's schema."""

    specversion = fields.String(required=True, validate=validate.Equal(SPECVERSION))
    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    source = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.Regexp(TYPE_PATTERN))
    time = fields.String(required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=500))
    datacontenttype = fields.String(required=True, validate=validate.Equal("application/json"))
    correlationid = fields.String(load_default=None, allow_none=True)
    data = fields.Dict(required=True)

    class Meta:
        # extension attributes added later must not break older consumers
        unknown = "include"


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def make_envelope(
    source_service: str,
    event_type: str,
    subject: str,
    data: dict,
    correlation_id: str | None = None,
    **extensions: Any,
) -> dict:
    envelope = {
        "specversion": SPECVERSION,
        "id": str(uuid.uuid4()),
        "source": f"/ecommunity/{source_service}",
        "type": event_type,
        "time": now_rfc3339(),
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
    }
    if correlation_id:
        envelope["correlationid"] = correlation_id
    envelope.update({k.lower(): v for k, v in extensions.items()})
    return envelope


def check_envelope(envelope: Any) -> dict:
    """The envelope if its attributes are well formed; raises ValidationError otherwise."""
    if not isinstance(envelope, dict):
        raise ValidationError({"_schema": ["an event envelope must be a JSON object"]})
    return EnvelopeSchema().load(envelope)


def dumps(envelope: dict) -> str:
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True)


def loads(body: bytes | str) -> Any:
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return json.loads(body)


def register_serializer() -> None:
    """Teach kombu the CloudEvents content type (idempotent)."""
    from kombu.serialization import register

    register(SERIALIZER, dumps, loads, content_type=CONTENT_TYPE, content_encoding="utf-8")


register_serializer()
